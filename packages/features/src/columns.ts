import { DataType, RecordBatch, Table, type Data, type Vector } from 'apache-arrow';
import { FeatureError } from './errors.js';

/** The kind of an input column: numbers (ints, floats, bools) or strings (utf8, dictionary). */
export type ColumnKind = 'numeric' | 'string';

/** One column of a batch: numbers as float64 with NaN for missing, strings with null for missing. */
export type ColumnData = { kind: 'numeric'; values: Float64Array; type: string } | { kind: 'string'; values: (string | null)[]; type: string };

/** A batch in column form: what every input is normalised to. */
export interface ColumnBatch {
  n: number;
  names: string[];
  /** The column, converted on demand (a fresh copy each call); undefined when absent. */
  column(name: string): ColumnData | undefined;
  /** The column's kind without converting it; undefined when absent. */
  kind(name: string): { kind: ColumnKind | 'other'; type: string } | undefined;
}

/** Plain columns: arrays of numbers / strings, null for missing. */
export type PlainColumns = Record<string, ArrayLike<number | null | undefined> | ArrayLike<string | null | undefined>>;

/**
 * A DataLoader batch from @gantry/data (duck-typed, so this package does not depend on the
 * loader's internals): features in `x` (row-major [n, d], float32) named by `featureNames`,
 * passthrough string/categorical columns as Arrow vectors in `columns`, the label in `y`.
 */
export interface LoaderBatchLike {
  x: Float32Array;
  n: number;
  featureNames: string[];
  columns?: Record<string, Vector>;
  y?: Float32Array;
  label?: string;
}

/** Anything a pipeline can fit on or transform. */
export type BatchInput = RecordBatch | Table | LoaderBatchLike | PlainColumns;

function arrowKind(t: DataType): { kind: ColumnKind | 'other'; type: string } {
  const type = String(t);
  if (DataType.isFloat(t) || DataType.isInt(t) || DataType.isBool(t)) return { kind: 'numeric', type };
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || (DataType as unknown as { isUtf8View?: (x: unknown) => boolean }).isUtf8View?.(t)) return { kind: 'string', type };
  if (DataType.isDictionary(t)) return DataType.isUtf8(t.dictionary) || DataType.isLargeUtf8(t.dictionary) ? { kind: 'string', type } : arrowKind(t.dictionary);
  return { kind: 'other', type };
}

function numericFromVector(v: Vector): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  const t = v.type as DataType;
  const half = DataType.isFloat(t) && (t as unknown as { precision: number }).precision === 0;
  if (DataType.isDictionary(t) || DataType.isBool(t) || half) {
    for (let i = 0; i < n; i++) {
      const x = v.get(i) as number | bigint | boolean | null;
      out[i] = x === null || x === undefined ? NaN : Number(x);
    }
    return out;
  }
  let o = 0;
  for (const d of v.data as Data[]) {
    // Data.values is already the slice's view (d.offset only positions the validity bitmap)
    const vals = d.values as ArrayLike<number | bigint>;
    if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
      for (let i = 0; i < d.length; i++) out[o + i] = Number(vals[i]);
    } else {
      const a = vals as ArrayLike<number>;
      for (let i = 0; i < d.length; i++) out[o + i] = a[i];
    }
    if (d.nullCount > 0) for (let i = 0; i < d.length; i++) if (!d.getValid(i)) out[o + i] = NaN;
    o += d.length;
  }
  return out;
}

function stringsFromVector(v: Vector): (string | null)[] {
  const n = v.length;
  const out: (string | null)[] = new Array(n);
  if (DataType.isDictionary(v.type)) {
    let o = 0;
    for (const d of v.data as Data[]) {
      const dict = d.dictionary as Vector;
      const words: (string | null)[] = new Array(dict.length);
      for (let i = 0; i < dict.length; i++) {
        const w = dict.get(i);
        words[i] = w === null || w === undefined ? null : String(w);
      }
      const idx = d.values as ArrayLike<number | bigint>;
      const hasNulls = d.nullCount > 0;
      for (let i = 0; i < d.length; i++) out[o + i] = hasNulls && !d.getValid(i) ? null : words[Number(idx[i])];
      o += d.length;
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const w = v.get(i);
    out[i] = w === null || w === undefined ? null : String(w);
  }
  return out;
}

function fromArrow(source: RecordBatch | Table): ColumnBatch {
  const names = source.schema.fields.map((f) => f.name);
  const vec = (name: string): Vector | undefined => (names.includes(name) ? (source.getChild(name) as Vector | null) ?? undefined : undefined);
  return {
    n: source.numRows,
    names,
    kind(name) {
      const v = vec(name);
      return v ? arrowKind(v.type) : undefined;
    },
    column(name) {
      const v = vec(name);
      if (!v) return undefined;
      const k = arrowKind(v.type);
      if (k.kind === 'numeric') return { kind: 'numeric', values: numericFromVector(v), type: k.type };
      if (k.kind === 'string') return { kind: 'string', values: stringsFromVector(v), type: k.type };
      throw new FeatureError('WRONG_TYPE', `column '${name}' has Arrow type ${k.type}, which is neither numeric (int, float, bool) nor a string (utf8, dictionary)`, { column: name });
    },
  };
}

function isLoaderBatch(x: unknown): x is LoaderBatchLike {
  const b = x as LoaderBatchLike;
  return !!b && b.x instanceof Float32Array && Array.isArray(b.featureNames) && typeof b.n === 'number';
}

function fromLoaderBatch(b: LoaderBatchLike): ColumnBatch {
  const d = b.featureNames.length;
  const cols = b.columns ?? {};
  const names = [...b.featureNames, ...Object.keys(cols)];
  if (b.label !== undefined && b.y && b.y.length === b.n) names.push(b.label);
  return {
    n: b.n,
    names,
    kind(name) {
      if (name in cols) return arrowKind(cols[name].type);
      if (b.featureNames.includes(name) || name === b.label) return { kind: 'numeric', type: 'Float32' };
      return undefined;
    },
    column(name) {
      if (name in cols) return fromArrowVector(name, cols[name]);
      const j = b.featureNames.indexOf(name);
      if (j >= 0) {
        const out = new Float64Array(b.n);
        for (let i = 0; i < b.n; i++) out[i] = b.x[i * d + j];
        return { kind: 'numeric', values: out, type: 'Float32' };
      }
      if (name === b.label && b.y) return { kind: 'numeric', values: Float64Array.from(b.y), type: 'Float32' };
      return undefined;
    },
  };
}

function fromArrowVector(name: string, v: Vector): ColumnData {
  const k = arrowKind(v.type);
  if (k.kind === 'numeric') return { kind: 'numeric', values: numericFromVector(v), type: k.type };
  if (k.kind === 'string') return { kind: 'string', values: stringsFromVector(v), type: k.type };
  throw new FeatureError('WRONG_TYPE', `column '${name}' has Arrow type ${k.type}, which is neither numeric nor a string`, { column: name });
}

function plainKind(a: ArrayLike<unknown>): { kind: ColumnKind | 'other'; type: string } {
  if (ArrayBuffer.isView(a)) return { kind: 'numeric', type: a.constructor.name };
  let sawNum = false;
  let sawStr = false;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'number' || typeof v === 'boolean') sawNum = true;
    else if (typeof v === 'string') sawStr = true;
    else return { kind: 'other', type: typeof v };
  }
  if (sawNum && sawStr) return { kind: 'other', type: 'mixed numbers and strings' };
  return sawStr ? { kind: 'string', type: 'string' } : { kind: 'numeric', type: 'number' };
}

function fromPlain(p: PlainColumns): ColumnBatch {
  const names = Object.keys(p);
  let n = -1;
  for (const k of names) {
    const a = p[k];
    if (!a || typeof a.length !== 'number') throw new FeatureError('WRONG_TYPE', `column '${k}' must be an array or typed array, got ${typeof a}`, { column: k });
    if (n >= 0 && a.length !== n) throw new FeatureError('SCHEMA_MISMATCH', `column '${k}' has ${a.length} rows but '${names[0]}' has ${n}`, { column: k });
    n = a.length;
  }
  return {
    n: Math.max(n, 0),
    names,
    kind: (name) => (name in p ? plainKind(p[name]) : undefined),
    column(name) {
      if (!(name in p)) return undefined;
      const a = p[name];
      const k = plainKind(a);
      if (k.kind === 'numeric') {
        const out = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) {
          const v = a[i] as number | boolean | null | undefined;
          out[i] = v === null || v === undefined ? NaN : Number(v);
        }
        return { kind: 'numeric', values: out, type: k.type };
      }
      if (k.kind === 'string') return { kind: 'string', values: Array.from(a as ArrayLike<string | null | undefined>, (v) => (v === undefined ? null : v)), type: k.type };
      throw new FeatureError('WRONG_TYPE', `column '${name}' holds ${k.type}; expected numbers or strings (null for missing)`, { column: name });
    },
  };
}

/** Normalises any supported input to a {@link ColumnBatch}. */
export function toColumnBatch(input: BatchInput): ColumnBatch {
  if (input instanceof RecordBatch || input instanceof Table) return fromArrow(input);
  if (isLoaderBatch(input)) return fromLoaderBatch(input);
  const maybe = input as { schema?: unknown; numRows?: unknown; getChild?: unknown };
  if (maybe && typeof maybe.getChild === 'function' && typeof maybe.numRows === 'number' && maybe.schema) return fromArrow(input as unknown as RecordBatch);
  if (input && typeof input === 'object') return fromPlain(input as PlainColumns);
  throw new FeatureError('WRONG_TYPE', `expected an Arrow RecordBatch or Table, a DataLoader batch or an object of column arrays, got ${input === null ? 'null' : typeof input}`);
}

/** Categorical values of a column: strings as they are, numbers by String(x), missing as null. */
export function categoricalValues(c: ColumnData): (string | null)[] {
  if (c.kind === 'string') return c.values;
  const out: (string | null)[] = new Array(c.values.length);
  for (let i = 0; i < c.values.length; i++) {
    const v = c.values[i];
    out[i] = v !== v ? null : String(v);
  }
  return out;
}
