import { createReadStream } from 'node:fs';
import {
  Bool,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Type,
  Utf8,
  makeData,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { DataError } from './errors.js';
import { ScanStats, FileUnitSource, UnitSource, registerSourceKind, trackOpen, type ScanOptions, type SourceDescriptor, type Unit } from './source.js';

/** Column types a text source can declare. Integers infer as float64; declare int32/int64 to keep them. */
export type ColumnTypeName = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string' | 'category';

export interface TextSourceOptions {
  /**
   * Declared types: an Arrow Schema (exactly these columns), or a map of column → type that
   * overrides the inferred type of those columns.
   */
  schema?: Schema | Record<string, ColumnTypeName>;
  /** Rows read to infer the types of undeclared columns (default 1000). */
  inferRows?: number;
  /** Values read as null (default '', 'NA', 'N/A', 'null', 'NULL'; JSON null always is). */
  nullValues?: string[];
  /** What a malformed row does: throw a DataError (default) or be skipped and counted. */
  onBadRow?: 'error' | 'skip';
  /** Rows per record batch (default 65536). */
  batchRows?: number;
}

export interface CsvOptions extends TextSourceOptions {
  /** The first row holds the column names (default true). */
  header?: boolean;
  /** Column names when there is no header (default c0, c1, ...). */
  columnNames?: string[];
  /** Field delimiter (default ','). */
  delimiter?: string;
  /** Quote character (default '"'); a quote inside a quoted field is doubled. */
  quote?: string;
}

const DEFAULT_NULLS = ['', 'NA', 'N/A', 'null', 'NULL'];

function typeFromName(t: ColumnTypeName, column: string): DataType {
  switch (t) {
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'bool':
      return new Bool();
    case 'string':
      return new Utf8();
    case 'category':
      return new Dictionary(new Utf8(), new Int32());
    default:
      throw new DataError('ARGUMENT', `unknown column type '${t}' (float32, float64, int32, int64, bool, string, category)`, { column });
  }
}

// ---------------------------------------------------------------- record readers

interface RawRecord {
  /** CSV: the fields; JSONL: [the line]. */
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
  /** A structural error (unterminated quote, junk after a quote). */
  error?: string;
}

async function* chunksOf(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  trackOpen(1);
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of stream) yield decoder.decode(chunk as Buffer, { stream: true });
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError('IO', code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, { file: path, cause: e });
  } finally {
    stream.destroy();
    trackOpen(-1);
  }
}

/** Streaming RFC 4180 records: quoted fields (with doubled quotes and newlines), CRLF or LF. */
export async function* csvRecords(path: string, delimiter = ',', quote = '"'): AsyncGenerator<RawRecord> {
  const D = delimiter.charCodeAt(0);
  const Q = quote.charCodeAt(0);
  let carry = '';
  let line = 1;
  const parse = function* (text: string, final: boolean): Generator<RawRecord, number> {
    let i = 0;
    const n = text.length;
    while (i < n) {
      const start = i;
      const startLine = line;
      let ln = line;
      const fields: string[] = [];
      let error: string | undefined;
      // skip empty lines
      const c0 = text.charCodeAt(i);
      if (c0 === 10 || (c0 === 13 && text.charCodeAt(i + 1) === 10)) {
        if (c0 === 13 && i + 1 >= n && !final) return start;
        i += c0 === 13 ? 2 : 1;
        line++;
        continue;
      }
      if (c0 === 13 && i + 1 >= n && !final) return start;
      let complete = false;
      for (;;) {
        if (text.charCodeAt(i) === Q) {
          // quoted field
          let j = i + 1;
          let val = '';
          let seg = j;
          let closed = false;
          for (;;) {
            const k = text.indexOf(quote, j);
            if (k < 0) break;
            if (text.charCodeAt(k + 1) === Q) {
              val += text.slice(seg, k + 1);
              j = seg = k + 2;
              continue;
            }
            if (k + 1 >= n && !final) break; // the quote may be doubled in the next chunk
            val += text.slice(seg, k);
            j = k + 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (!final) return start;
            error = 'unterminated quoted field';
            for (let q = i; q < n; q++) if (text.charCodeAt(q) === 10) ln++;
            fields.push(text.slice(i + 1));
            i = n;
            complete = true;
            break;
          }
          for (let q = i; q < j; q++) if (text.charCodeAt(q) === 10) ln++;
          fields.push(val);
          i = j;
          const c = i < n ? text.charCodeAt(i) : -1;
          if (c === D) {
            i++;
            continue;
          }
          if (c === 10 || c === 13 || c === -1) {
            if (c === -1 && !final) return start;
            if (c === 13) {
              if (i + 1 >= n && !final) return start;
              i += text.charCodeAt(i + 1) === 10 ? 2 : 1;
            } else if (c === 10) i++;
            ln++;
            complete = true;
            break;
          }
          // junk after the closing quote: the record is bad up to the end of the line
          error = `unexpected character '${text[i]}' after a closing quote`;
          const nl = text.indexOf('\n', i);
          if (nl < 0 && !final) return start;
          i = nl < 0 ? n : nl + 1;
          ln++;
          complete = true;
          break;
        } else {
          let j = i;
          let c = -1;
          for (; j < n; j++) {
            c = text.charCodeAt(j);
            if (c === D || c === 10 || c === 13) break;
          }
          if (j >= n) {
            if (!final) return start;
            fields.push(text.slice(i, n));
            i = n;
            ln++;
            complete = true;
            break;
          }
          fields.push(text.slice(i, j));
          if (c === D) {
            i = j + 1;
            if (i >= n) {
              if (!final) return start;
              fields.push('');
              ln++;
              complete = true;
              break;
            }
            continue;
          }
          if (c === 13) {
            if (j + 1 >= n && !final) return start;
            i = text.charCodeAt(j + 1) === 10 ? j + 2 : j + 1;
          } else i = j + 1;
          ln++;
          complete = true;
          break;
        }
      }
      if (complete) {
        line = ln;
        yield error ? { fields, line: startLine, error } : { fields, line: startLine };
      }
    }
    return n;
  };
  for await (const chunk of chunksOf(path)) {
    const text = carry + chunk;
    const g = parse(text, false);
    let r = g.next();
    while (!r.done) {
      yield r.value;
      r = g.next();
    }
    carry = text.slice(r.value);
  }
  if (carry) {
    const g = parse(carry, true);
    let r = g.next();
    while (!r.done) {
      yield r.value;
      r = g.next();
    }
  }
}

/** Non-empty lines, each a record of one field. */
export async function* lineRecords(path: string): AsyncGenerator<RawRecord> {
  let carry = '';
  let line = 1;
  for await (const chunk of chunksOf(path)) {
    const text = carry + chunk;
    let i = 0;
    for (;;) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      let s = text.slice(i, nl);
      if (s.endsWith('\r')) s = s.slice(0, -1);
      if (s.trim()) yield { fields: [s], line };
      line++;
      i = nl + 1;
    }
    carry = text.slice(i);
  }
  if (carry.trim()) yield { fields: [carry.endsWith('\r') ? carry.slice(0, -1) : carry], line };
}

// ---------------------------------------------------------------- values

const TRUE = new Set(['true', 'True', 'TRUE', '1']);
const FALSE = new Set(['false', 'False', 'FALSE', '0']);

class BadValue {
  constructor(readonly message: string) {}
}

/** Parses a text value for a type; null for null; BadValue when it cannot convert. */
function parseValue(s: string, t: DataType, nulls: Set<string>): unknown {
  if (nulls.has(s)) return null;
  switch (t.typeId) {
    case Type.Float: {
      const v = Number(s);
      if (v !== v) {
        const tr = s.trim();
        if (tr === 'NaN' || tr === 'nan') return NaN;
        return new BadValue(`cannot convert '${s}' to ${String(t).toLowerCase()}`);
      }
      if (v === 0 && s.trim() === '') return null;
      return v;
    }
    case Type.Int: {
      if ((t as Int64).bitWidth === 64) {
        try {
          return BigInt(s.trim());
        } catch {
          return new BadValue(`cannot convert '${s}' to int64`);
        }
      }
      const v = Number(s);
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647 || s.trim() === '') return new BadValue(`cannot convert '${s}' to int32`);
      return v;
    }
    case Type.Bool: {
      const tr = s.trim();
      if (TRUE.has(tr)) return true;
      if (FALSE.has(tr)) return false;
      return new BadValue(`cannot convert '${s}' to bool`);
    }
    default:
      return s;
  }
}

/** Converts a JSON value for a type. */
function jsonValue(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.typeId) {
    case Type.Float:
      if (typeof v === 'number') return v;
      return new BadValue(`cannot convert ${JSON.stringify(v)} to ${String(t).toLowerCase()}`);
    case Type.Int:
      if (typeof v === 'number' && Number.isInteger(v)) return (t as Int64).bitWidth === 64 ? BigInt(v) : v;
      return new BadValue(`cannot convert ${JSON.stringify(v)} to ${String(t).toLowerCase()}`);
    case Type.Bool:
      if (typeof v === 'boolean') return v;
      return new BadValue(`cannot convert ${JSON.stringify(v)} to bool`);
    default:
      return typeof v === 'string' ? v : JSON.stringify(v);
  }
}

type Infer = 'none' | 'bool' | 'number' | 'string';
function inferText(cur: Infer, s: string, nulls: Set<string>): Infer {
  if (nulls.has(s) || cur === 'string') return cur;
  const tr = s.trim();
  if ((cur === 'none' || cur === 'bool') && (tr === 'true' || tr === 'false' || tr === 'True' || tr === 'False' || tr === 'TRUE' || tr === 'FALSE')) return 'bool';
  if (cur === 'bool') return 'string';
  const v = Number(s);
  if ((v === v && tr !== '') || tr === 'NaN' || tr === 'nan') return 'number';
  return 'string';
}
function inferJson(cur: Infer, v: unknown): Infer {
  if (v === null || v === undefined || cur === 'string') return cur;
  if (typeof v === 'boolean') return cur === 'none' || cur === 'bool' ? 'bool' : 'string';
  if (typeof v === 'number') return cur === 'none' || cur === 'number' ? 'number' : 'string';
  return 'string';
}
const typeOfInfer = (i: Infer): DataType => (i === 'bool' ? new Bool() : i === 'string' ? new Utf8() : new Float64());

// ---------------------------------------------------------------- column builders

class ColumnBuilder {
  private values: unknown[] = [];
  constructor(readonly field: Field) {}
  push(v: unknown): void {
    this.values.push(v);
  }
  get length(): number {
    return this.values.length;
  }
  finish(): Data {
    const t = this.field.type;
    const vals = this.values;
    this.values = [];
    const n = vals.length;
    if (t.typeId === Type.Float || (t.typeId === Type.Int && (t as Int32).bitWidth === 32)) {
      const data = t instanceof Float32 ? new Float32Array(n) : t instanceof Float64 ? new Float64Array(n) : new Int32Array(n);
      let nulls = 0;
      const bitmap = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const v = vals[i];
        if (v === null) nulls++;
        else {
          data[i] = v as number;
          bitmap[i >> 3] |= 1 << (i & 7);
        }
      }
      return makeData({ type: t, length: n, data: data as never, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined } as never) as Data;
    }
    return vectorFromArray(vals as never[], t).data[0] as Data;
  }
}

// ---------------------------------------------------------------- sources

interface FileUnit extends Unit {
  file: string;
}

type Format = 'csv' | 'jsonl';

class TextSource extends FileUnitSource<FileUnit> {
  readonly kind: Format;
  private schemaPromise?: Promise<{ schema: Schema; header?: string[] }>;
  private readonly nulls: Set<string>;
  constructor(readonly format: Format, input: string | string[], private readonly o: CsvOptions) {
    super(input);
    this.kind = format;
    this.nulls = new Set(o.nullValues ?? DEFAULT_NULLS);
    if (o.onBadRow && o.onBadRow !== 'error' && o.onBadRow !== 'skip') throw new DataError('ARGUMENT', `onBadRow must be 'error' or 'skip' (got ${o.onBadRow})`);
    if (o.delimiter !== undefined && o.delimiter.length !== 1) throw new DataError('ARGUMENT', 'delimiter must be one character');
    if (o.quote !== undefined && o.quote.length !== 1) throw new DataError('ARGUMENT', 'quote must be one character');
  }
  override descriptor(): SourceDescriptor | undefined {
    const s = this.o.schema;
    if (s instanceof Schema) {
      // A declared Arrow schema travels as its field types by name.
      const decl: Record<string, ColumnTypeName> = {};
      for (const f of s.fields) decl[f.name] = nameOfType(f.type);
      return { kind: this.format, args: { paths: this.paths(), options: { ...this.o, schema: decl, declaredExact: s.fields.map((f) => f.name) } } };
    }
    return { kind: this.format, args: { paths: this.paths(), options: this.o } };
  }
  private records(path: string): AsyncGenerator<RawRecord> {
    return this.format === 'csv' ? csvRecords(path, this.o.delimiter ?? ',', this.o.quote ?? '"') : lineRecords(path);
  }

  schema(): Promise<Schema> {
    return this.resolveSchema().then((s) => s.schema);
  }
  numRows(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  private resolveSchema(): Promise<{ schema: Schema; header?: string[] }> {
    this.schemaPromise ??= (async () => {
      const path = this.paths()[0];
      const declared = this.o.schema;
      const exact = (this.o as { declaredExact?: string[] }).declaredExact;
      if (declared instanceof Schema) return { schema: declared, header: this.format === 'csv' ? await this.readHeader(path) : undefined };
      const limit = this.o.inferRows ?? 1000;
      const it = this.records(path);
      let names: string[] = [];
      const infer = new Map<string, Infer>();
      try {
        if (this.format === 'csv') {
          const first = await it.next();
          if (first.done) throw new DataError('SCHEMA', 'empty CSV file: no header and no rows', { file: path });
          if (this.o.header ?? true) names = headerNames(first.value.fields, path);
          else {
            names = this.o.columnNames ?? first.value.fields.map((_, i) => `c${i}`);
            for (let j = 0; j < names.length; j++) infer.set(names[j], inferText(infer.get(names[j]) ?? 'none', first.value.fields[j] ?? '', this.nulls));
          }
          let k = 0;
          for await (const r of it) {
            if (k++ >= limit) break;
            if (r.error || r.fields.length !== names.length) continue;
            for (let j = 0; j < names.length; j++) infer.set(names[j], inferText(infer.get(names[j]) ?? 'none', r.fields[j], this.nulls));
          }
        } else {
          let k = 0;
          for await (const r of it) {
            if (k++ >= limit) break;
            let obj: unknown;
            try {
              obj = JSON.parse(r.fields[0]);
            } catch {
              continue;
            }
            if (!obj || typeof obj !== 'object' || Array.isArray(obj)) continue;
            for (const [key, v] of Object.entries(obj)) {
              if (!infer.has(key)) names.push(key);
              infer.set(key, inferJson(infer.get(key) ?? 'none', v));
            }
          }
          if (!names.length) throw new DataError('SCHEMA', `no JSON object rows in the first ${limit} lines to infer a schema from`, { file: path });
        }
      } finally {
        await it.return(undefined as never);
      }
      const overrides = (declared ?? {}) as Record<string, ColumnTypeName>;
      for (const k of Object.keys(overrides)) if (!names.includes(k)) throw new DataError('MISSING_COLUMN', `declared column '${k}' is not in the file`, { file: path, column: k });
      const keep = exact ?? names;
      const fields = keep.map((n) => {
        if (!names.includes(n)) throw new DataError('MISSING_COLUMN', `declared column '${n}' is not in the file`, { file: path, column: n });
        return new Field(n, overrides[n] ? typeFromName(overrides[n], n) : typeOfInfer(infer.get(n) ?? 'none'), true);
      });
      return { schema: new Schema(fields), header: this.format === 'csv' ? names : undefined };
    })();
    return this.schemaPromise;
  }

  private async readHeader(path: string): Promise<string[] | undefined> {
    if (!(this.o.header ?? true)) return this.o.columnNames;
    const it = this.records(path);
    try {
      const first = await it.next();
      if (first.done) throw new DataError('SCHEMA', 'empty CSV file: no header', { file: path });
      return headerNames(first.value.fields, path);
    } finally {
      await it.return(undefined as never);
    }
  }

  protected async listUnits(): Promise<FileUnit[]> {
    return this.paths().map((file) => ({ file }));
  }

  protected async *readUnit(u: FileUnit, opts: ScanOptions): AsyncGenerator<RecordBatch> {
    const { schema } = await this.resolveSchema();
    const path = u.file;
    const want = opts.columns ?? schema.fields.map((f) => f.name);
    const fields = want.map((n) => {
      const f = schema.fields.find((x) => x.name === n);
      if (!f) throw new DataError('MISSING_COLUMN', `no column '${n}' (columns: ${schema.fields.map((x) => x.name).join(', ')})`, { file: path, column: n });
      return f;
    });
    const outSchema = new Schema(fields);
    const batchRows = this.o.batchRows ?? 65536;
    const skip = this.o.onBadRow === 'skip';
    const stats = opts.stats ?? new ScanStats();
    const nulls = this.nulls;
    const builders = fields.map((f) => new ColumnBuilder(f));
    const tmp: unknown[] = new Array(fields.length);
    const it = this.records(path);
    let header: string[] | undefined;
    let pos: number[] = [];
    let row = -1;
    const bad = (detail: string, line: number, column?: string): void => {
      if (!skip) throw new DataError('BAD_ROW', detail, { file: path, row, line, column });
      stats.addBadRow({ file: path, row, line, column, message: detail });
    };
    const flush = (): RecordBatch => {
      const n = builders[0]?.length ?? 0;
      const children = builders.map((b) => b.finish());
      return new RecordBatch(outSchema, makeData({ type: new Struct(fields), length: n, children, nullCount: 0 }));
    };
    let rows = 0;
    try {
      if (this.format === 'csv') {
        if (this.o.header ?? true) {
          const first = await it.next();
          if (first.done) return;
          header = headerNames(first.value.fields, path);
        } else header = this.o.columnNames ?? schema.fields.map((f) => f.name);
        pos = want.map((n) => {
          const k = header!.indexOf(n);
          if (k < 0) throw new DataError('MISSING_COLUMN', `no column '${n}' in the header`, { file: path, column: n });
          return k;
        });
      }
      for await (const r of it) {
        row++;
        if (r.error) {
          bad(r.error, r.line);
          continue;
        }
        let ok = true;
        if (this.format === 'csv') {
          if (r.fields.length !== header!.length) {
            bad(`expected ${header!.length} fields, found ${r.fields.length}`, r.line);
            continue;
          }
          for (let j = 0; j < fields.length; j++) {
            const v = parseValue(r.fields[pos[j]], fields[j].type, nulls);
            if (v instanceof BadValue) {
              bad(v.message, r.line, fields[j].name);
              ok = false;
              break;
            }
            tmp[j] = v;
          }
        } else {
          let obj: unknown;
          try {
            obj = JSON.parse(r.fields[0]);
          } catch (e) {
            bad(`invalid JSON: ${(e as Error).message}`, r.line);
            continue;
          }
          if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
            bad('a JSON Lines row must be an object', r.line);
            continue;
          }
          for (let j = 0; j < fields.length; j++) {
            const v = jsonValue((obj as Record<string, unknown>)[fields[j].name], fields[j].type);
            if (v instanceof BadValue) {
              bad(v.message, r.line, fields[j].name);
              ok = false;
              break;
            }
            tmp[j] = v;
          }
        }
        if (!ok) continue;
        for (let j = 0; j < fields.length; j++) builders[j].push(tmp[j]);
        if (++rows === batchRows) {
          rows = 0;
          yield flush();
        }
      }
      if (rows > 0) yield flush();
    } finally {
      await it.return(undefined as never);
    }
  }
}

function headerNames(fields: string[], file: string): string[] {
  const names = fields.map((f, i) => f.trim() || `c${i}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new DataError('SCHEMA', `duplicate column name '${n}' in the header`, { file, column: n, line: 1 });
    seen.add(n);
  }
  return names;
}

function nameOfType(t: DataType): ColumnTypeName {
  if (t instanceof Float32) return 'float32';
  if (t instanceof Float64) return 'float64';
  if (t.typeId === Type.Int) return (t as Int64).bitWidth === 64 ? 'int64' : 'int32';
  if (t.typeId === Type.Bool) return 'bool';
  if (t.typeId === Type.Dictionary) return 'category';
  return 'string';
}

/** CSV files (path, list or glob), streamed; declared or inferred schema; quoted fields, nulls, header. */
export function csvSource(paths: string | string[], opts: CsvOptions = {}): UnitSource {
  return new TextSource('csv', paths, opts);
}

/** JSON Lines files (one object per line), streamed; declared or inferred schema. */
export function jsonlSource(paths: string | string[], opts: TextSourceOptions = {}): UnitSource {
  return new TextSource('jsonl', paths, opts);
}

registerSourceKind('csv', (a: { paths: string[]; options: CsvOptions }) => new TextSource('csv', a.paths, a.options));
registerSourceKind('jsonl', (a: { paths: string[]; options: CsvOptions }) => new TextSource('jsonl', a.paths, a.options));
