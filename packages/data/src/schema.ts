import { DataType, Precision, RecordBatch, Type, type Data, type Field, type Schema } from 'apache-arrow';
import { DataError } from './errors.js';

/** How a column reaches a batch: converted to f32 in `x`, or passed through as an Arrow vector. */
export type ColumnKind = 'numeric' | 'passthrough' | 'unsupported';

/** Numeric Arrow types (ints, floats, bool, decimal-free) convert to f32; strings and dictionaries pass through. */
export function columnKind(type: DataType): ColumnKind {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Bool:
    case Type.Null:
      return 'numeric';
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return 'passthrough';
    default:
      return 'unsupported';
  }
}

export function isNumericType(type: DataType): boolean {
  return columnKind(type) === 'numeric';
}

/** Selects columns of a batch by name; MISSING_COLUMN names the first missing one. */
export function selectColumns(b: RecordBatch, names: string[], file?: string): RecordBatch {
  const fields = b.schema.fields;
  if (names.length === fields.length && names.every((n, i) => fields[i].name === n)) return b;
  for (const n of names) {
    if (!fields.some((f) => f.name === n)) throw new DataError('MISSING_COLUMN', `no column '${n}' (columns: ${fields.map((f) => f.name).join(', ')})`, { file, column: n });
  }
  return b.select(names);
}

export function requireFields(schema: Schema, names: string[], file?: string): Field[] {
  return names.map((n) => {
    const f = schema.fields.find((x) => x.name === n);
    if (!f) throw new DataError('MISSING_COLUMN', `no column '${n}' (columns: ${schema.fields.map((x) => x.name).join(', ')})`, { file, column: n });
    return f;
  });
}

// IEEE half → f32 table
let HALF: Float32Array | undefined;
function halfTable(): Float32Array {
  if (HALF) return HALF;
  HALF = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    HALF[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return HALF;
}

function isValid(bitmap: Uint8Array, i: number): boolean {
  return (bitmap[i >> 3] & (1 << (i & 7))) !== 0;
}

/**
 * Converts one Arrow Data (a column chunk) to f32 into `out[outOffset ..]`. Nulls become NaN.
 * (Fixed-width values of a sliced Data start at index 0; the offset applies to bitmaps only.)
 * Returns `out`. For a Float32 column without nulls, prefer `f32View`.
 */
export function toF32(data: Data, out: Float32Array, outOffset = 0, column?: string): Float32Array {
  const n = data.length;
  const off = data.offset;
  const t = data.type as DataType & { bitWidth?: number; isSigned?: boolean; precision?: Precision };
  const v = data.values as ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> };
  switch (t.typeId) {
    case Type.Null:
      out.fill(NaN, outOffset, outOffset + n);
      return out;
    case Type.Float:
      if (t.precision === Precision.HALF) {
        const h = halfTable();
        const u = data.values as Uint16Array;
        for (let i = 0; i < n; i++) out[outOffset + i] = h[u[i]];
      } else if (t.precision === Precision.SINGLE) {
        out.set((data.values as Float32Array).subarray(0, n), outOffset);
      } else {
        const d = data.values as Float64Array;
        for (let i = 0; i < n; i++) out[outOffset + i] = d[i];
      }
      break;
    case Type.Int:
      if (t.bitWidth === 64) {
        // BigInt64Array / BigUint64Array: read as two 32-bit halves (no BigInt allocation).
        const buf = data.values as BigInt64Array;
        const w = new Uint32Array(buf.buffer, buf.byteOffset, buf.length * 2);
        if (t.isSigned) for (let i = 0; i < n; i++) out[outOffset + i] = (w[2 * i + 1] | 0) * 4294967296 + w[2 * i];
        else for (let i = 0; i < n; i++) out[outOffset + i] = w[2 * i + 1] * 4294967296 + w[2 * i];
      } else {
        convertNumberLoop(v as unknown as Int32Array, 0, n, out, outOffset);
      }
      break;
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      for (let i = 0; i < n; i++) out[outOffset + i] = isValid(bits, off + i) ? 1 : 0;
      break;
    }
    default:
      throw new DataError('TYPE', `column of type ${String(data.type)} cannot convert to f32 (strings and dictionaries pass through; list them as categorical)`, { column });
  }
  if (data.nullCount > 0 && data.nullBitmap && data.nullBitmap.length) {
    const bm = data.nullBitmap;
    for (let i = 0; i < n; i++) if (!isValid(bm, off + i)) out[outOffset + i] = NaN;
  }
  return out;
}

function convertNumberLoop(v: ArrayLike<number>, off: number, n: number, out: Float32Array, o: number): void {
  for (let i = 0; i < n; i++) out[o + i] = v[off + i];
}

/** A zero-copy Float32Array view of a Float32 column chunk without nulls, else undefined. */
export function f32View(data: Data): Float32Array | undefined {
  const t = data.type as DataType & { precision?: Precision };
  if (t.typeId === Type.Float && t.precision === Precision.SINGLE && !(data.nullCount > 0)) {
    return (data.values as Float32Array).subarray(0, data.length);
  }
  return undefined;
}

/** Same field names and types, in order. */
export function sameSchema(a: Schema, b: Schema): boolean {
  if (a === b) return true;
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => f.name === b.fields[i].name && String(f.type) === String(b.fields[i].type));
}
