import {
  Bool,
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
  type Vector,
} from 'apache-arrow';
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { ParquetWriter, fileWriter, type ColumnSource } from 'hyparquet-writer';
import { toBatchIterable, type BatchInput, type WriteResult } from './arrow.js';
import { DataError, wrapError } from './errors.js';
import { openRead, type TrackedFile } from './files.js';
import { ReadSession, FileUnitSource, UnitSource, registerSourceKind, trackOpen, type ScanOptions, type SourceDescriptor, type Unit } from './source.js';
import { sameSchema } from './schema.js';
import { statSync } from 'node:fs';

/** An AsyncBuffer over a tracked file handle: one positioned read per slice. */
function asyncBuffer(f: TrackedFile): AsyncBuffer {
  return {
    byteLength: f.size,
    async slice(start: number, end = f.size) {
      if (end > f.size) throw new DataError('TRUNCATED', `read past the end of the file (${end} > ${f.size})`, { file: f.path });
      const b = await f.readExact(start, end - start);
      return b.buffer.byteLength === b.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
    },
  };
}

/** Arrow type for a parquet leaf column. */
function arrowTypeOf(e: SchemaElement): DataType {
  const ct = e.converted_type;
  const lt = e.logical_type?.type;
  switch (e.type) {
    case 'FLOAT':
      return new Float32();
    case 'DOUBLE':
      return new Float64();
    case 'BOOLEAN':
      return new Bool();
    case 'INT32':
      if (ct === 'DATE' || lt === 'DATE' || ct === 'TIME_MILLIS') return new Utf8();
      if (ct === 'DECIMAL') return new Float64();
      return new Int32();
    case 'INT64':
      if (ct?.startsWith('TIMESTAMP') || lt === 'TIMESTAMP' || ct?.startsWith('TIME_')) return new Utf8();
      if (ct === 'DECIMAL') return new Float64();
      return new Int64();
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      if (ct === 'DECIMAL') return new Float64();
      return new Utf8();
    default:
      return new Utf8();
  }
}

class ParquetFileInfo {
  constructor(readonly file: TrackedFile, readonly buf: AsyncBuffer, readonly metadata: FileMetaData, readonly schema: Schema, readonly leafTypes: Map<string, DataType>) {}

  static async open(f: TrackedFile): Promise<ParquetFileInfo> {
    if (f.size < 12) throw new DataError(f.size === 0 ? 'TRUNCATED' : 'CORRUPT', `not a Parquet file (${f.size} bytes)`, { file: f.path });
    const head = await f.readExact(0, 4);
    const tail = await f.readExact(f.size - 4, 4);
    const par1 = (b: Uint8Array) => b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;
    if (!par1(head)) throw new DataError('CORRUPT', 'not a Parquet file (no PAR1 magic)', { file: f.path });
    if (!par1(tail)) throw new DataError('TRUNCATED', 'Parquet file has no footer (truncated?)', { file: f.path });
    const buf = asyncBuffer(f);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buf);
    } catch (e) {
      throw wrapError(e, 'CORRUPT', 'cannot decode the Parquet footer', { file: f.path });
    }
    const fields: Field[] = [];
    const leafTypes = new Map<string, DataType>();
    // top-level columns: children of the root; nested groups become strings (JSON)
    const els = metadata.schema;
    let i = 1;
    const skip = (k: number): number => {
      const n = els[k].num_children ?? 0;
      let j = k + 1;
      for (let c = 0; c < n; c++) j = skip(j);
      return j;
    };
    while (i < els.length) {
      const e = els[i];
      const t = e.num_children ? new Utf8() : arrowTypeOf(e);
      fields.push(new Field(e.name, t, e.repetition_type !== 'REQUIRED'));
      leafTypes.set(e.name, t);
      i = skip(i);
    }
    return new ParquetFileInfo(f, buf, metadata, new Schema(fields), leafTypes);
  }
}

/** Arrow Data from hyparquet's decoded column values. */
function toArrowData(values: ArrayLike<unknown>, type: DataType, column: string, file: string): Data {
  const n = values.length;
  const isTyped = ArrayBuffer.isView(values);
  switch (type.typeId) {
    case Type.Float:
    case Type.Int: {
      const Ctor = type instanceof Float32 ? Float32Array : type instanceof Float64 ? Float64Array : type instanceof Int64 ? BigInt64Array : Int32Array;
      if (isTyped && values instanceof Ctor) return makeData({ type, length: n, data: values } as never) as Data;
      // JS array, possibly with nulls
      const data = new Ctor(n);
      const bitmap = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) {
          nulls++;
          continue;
        }
        bitmap[i >> 3] |= 1 << (i & 7);
        if (Ctor === BigInt64Array) (data as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
        else (data as Float64Array)[i] = typeof v === 'bigint' ? Number(v) : Number(v);
      }
      return makeData({ type, length: n, data: data as never, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined } as never);
    }
    case Type.Bool:
      return vectorFromArray(Array.from(values as ArrayLike<boolean | null>), new Bool()).data[0] as Data;
    default: {
      const strs = Array.from(values, (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? Number(x) : x)) : String(v)));
      try {
        return vectorFromArray(strs, new Utf8()).data[0] as Data;
      } catch (e) {
        throw wrapError(e, 'TYPE', 'cannot convert parquet values to strings', { file, column });
      }
    }
  }
}

interface RowGroupUnit extends Unit {
  file: string;
  group: number;
  rowStart: number;
  rows: number;
}

class ParquetSource extends FileUnitSource<RowGroupUnit> {
  readonly kind = 'parquet';
  private schemaPromise?: Promise<Schema>;
  override descriptor(): SourceDescriptor {
    return { kind: 'parquet', args: { paths: this.paths() } };
  }
  schema(): Promise<Schema> {
    this.schemaPromise ??= (async () => {
      const f = await openRead(this.paths()[0]);
      try {
        return (await ParquetFileInfo.open(f)).schema;
      } finally {
        await f.close();
      }
    })();
    return this.schemaPromise;
  }
  async numRows(): Promise<number> {
    return (await this.units()).reduce((s, u) => s + u.rows, 0);
  }
  protected async listUnits(): Promise<RowGroupUnit[]> {
    const out: RowGroupUnit[] = [];
    for (const path of this.paths()) {
      const f = await openRead(path);
      try {
        const info = await ParquetFileInfo.open(f);
        let start = 0;
        info.metadata.row_groups.forEach((g, group) => {
          const rows = Number(g.num_rows);
          out.push({ file: path, group, rowStart: start, rows });
          start += rows;
        });
      } finally {
        await f.close();
      }
    }
    return out;
  }
  protected async *readUnit(u: RowGroupUnit, opts: ScanOptions, session: ReadSession): AsyncGenerator<RecordBatch> {
    const info = await session.get(u.file, async () => {
      const f = await openRead(u.file);
      try {
        const v = await ParquetFileInfo.open(f);
        return { value: v, close: () => f.close() };
      } catch (e) {
        await f.close();
        throw e;
      }
    });
    const want = opts.columns ?? info.schema.fields.map((f) => f.name);
    for (const c of want) {
      if (!info.leafTypes.has(c)) throw new DataError('MISSING_COLUMN', `no column '${c}' (columns: ${info.schema.fields.map((f) => f.name).join(', ')})`, { file: u.file, column: c });
    }
    const chunks = new Map<string, unknown[][] | ArrayLike<unknown>[]>();
    try {
      await parquetRead({
        file: info.buf,
        metadata: info.metadata,
        columns: want,
        rowStart: u.rowStart,
        rowEnd: u.rowStart + u.rows,
        onChunk: (c) => {
          const list = (chunks.get(c.columnName) ?? []) as ArrayLike<unknown>[];
          // chunks may extend outside the row group: clip
          const a = Math.max(0, u.rowStart - c.rowStart);
          const b = Math.min(c.columnData.length, u.rowStart + u.rows - c.rowStart);
          const d = c.columnData as ArrayLike<unknown> & { subarray?: (a: number, b: number) => ArrayLike<unknown>; slice: (a: number, b: number) => ArrayLike<unknown> };
          list.push(a === 0 && b === d.length ? d : d.subarray ? d.subarray(a, b) : d.slice(a, b));
          chunks.set(c.columnName, list);
        },
      });
    } catch (e) {
      throw wrapError(e, 'CORRUPT', `cannot read row group ${u.group}`, { file: u.file });
    }
    const fields: Field[] = [];
    const children: Data[] = [];
    for (const name of want) {
      const parts = (chunks.get(name) ?? []) as ArrayLike<unknown>[];
      const total = parts.reduce((s, p) => s + p.length, 0);
      if (total !== u.rows) throw new DataError('CORRUPT', `row group ${u.group}: column has ${total} values, expected ${u.rows}`, { file: u.file, column: name });
      const values = parts.length === 1 ? parts[0] : concatParts(parts);
      const type = info.leafTypes.get(name)!;
      fields.push(new Field(name, type, true));
      children.push(toArrowData(values, type, name, u.file));
    }
    const schema = new Schema(fields);
    yield new RecordBatch(schema, makeData({ type: new Struct(fields), length: u.rows, children, nullCount: 0 }));
  }
}

function concatParts(parts: ArrayLike<unknown>[]): ArrayLike<unknown> {
  const first = parts[0] as unknown;
  if (ArrayBuffer.isView(first) && parts.every((p) => p.constructor === (first as object).constructor)) {
    const Ctor = (first as object).constructor as new (n: number) => { set(a: ArrayLike<unknown>, o: number): void } & ArrayLike<unknown>;
    const out = new Ctor(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  const out: unknown[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]);
  return out;
}

/** Parquet files (one path, a list or a glob), read row group by row group with hyparquet. */
export function parquetSource(paths: string | string[]): UnitSource {
  return new ParquetSource(paths);
}
registerSourceKind('parquet', (a: { paths: string[] }) => new ParquetSource(a.paths));

// ---------------------------------------------------------------- writer

export interface WriteParquetOptions {
  /** Compression (default 'SNAPPY'). */
  codec?: 'UNCOMPRESSED' | 'SNAPPY';
  /** Rows per row group (default 65536): the unit of shuffling and sharding when read back. */
  rowGroupRows?: number;
  /** Column statistics (default false: faster to write). */
  statistics?: boolean;
}

function parquetElement(f: Field): SchemaElement {
  const rep = f.nullable ? 'OPTIONAL' : 'REQUIRED';
  const t = f.type;
  const base = { name: f.name, repetition_type: rep } as SchemaElement;
  switch (t.typeId) {
    case Type.Float:
      return { ...base, type: t instanceof Float64 ? 'DOUBLE' : 'FLOAT' };
    case Type.Int: {
      const { bitWidth, isSigned } = t as unknown as { bitWidth: number; isSigned: boolean };
      if (bitWidth === 64 || (!isSigned && bitWidth === 32)) return { ...base, type: 'INT64' };
      return { ...base, type: 'INT32', converted_type: isSigned ? (bitWidth === 8 ? 'INT_8' : bitWidth === 16 ? 'INT_16' : undefined) : bitWidth === 8 ? 'UINT_8' : 'UINT_16' } as SchemaElement;
    }
    case Type.Bool:
      return { ...base, type: 'BOOLEAN' };
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    default:
      throw new DataError('TYPE', `cannot write a column of type ${String(t)} to Parquet`, { column: f.name });
  }
}

/** Values of one column of the pending batches, in the form hyparquet-writer takes. */
function columnValues(vectors: Vector[], el: SchemaElement, field: Field): ColumnSource['data'] {
  const n = vectors.reduce((s, v) => s + v.length, 0);
  const hasNulls = vectors.some((v) => v.nullCount > 0);
  const t = field.type;
  if (!hasNulls && (el.type === 'FLOAT' || el.type === 'DOUBLE' || el.type === 'INT32' || el.type === 'INT64')) {
    const Ctor = el.type === 'FLOAT' ? Float32Array : el.type === 'DOUBLE' ? Float64Array : el.type === 'INT32' ? Int32Array : BigInt64Array;
    const out = new Ctor(n);
    let o = 0;
    for (const v of vectors) {
      for (const d of v.data) {
        const vals = d.values as ArrayLike<number | bigint>;
        if (vals.constructor === Ctor) (out as Float32Array).set(vals as Float32Array, o);
        else if (Ctor === BigInt64Array) for (let i = 0; i < d.length; i++) (out as BigInt64Array)[o + i] = BigInt(vals[i] as number);
        else for (let i = 0; i < d.length; i++) (out as Float32Array)[o + i] = vals[i] as number;
        o += d.length;
      }
    }
    return out as ColumnSource['data'];
  }
  const out: unknown[] = new Array(n);
  let o = 0;
  for (const v of vectors) {
    for (let i = 0; i < v.length; i++) {
      let x = v.get(i) as unknown;
      if (x !== null && el.type === 'INT64' && typeof x !== 'bigint') x = BigInt(x as number);
      if (x !== null && el.type === 'FLOAT' && t.typeId === Type.Float && typeof x !== 'number') x = Number(x);
      out[o++] = x;
    }
  }
  return out as ColumnSource['data'];
}

/**
 * Writes record batches to a Parquet file as they come (hyparquet-writer), one row group per
 * `rowGroupRows` rows: memory stays at one row group.
 */
export async function writeParquet(path: string, input: BatchInput, opts: WriteParquetOptions = {}): Promise<WriteResult> {
  const rowGroupRows = opts.rowGroupRows ?? 65536;
  let writer: ParquetWriter | undefined;
  let schema: Schema | undefined;
  let elements: SchemaElement[] = [];
  let pending: RecordBatch[] = [];
  let pendingRows = 0;
  let rows = 0;
  let batches = 0;
  let opened = false;
  const flush = async () => {
    if (!pendingRows) return;
    const columnData: ColumnSource[] = schema!.fields.map((f, j) => ({
      name: f.name,
      data: columnValues(pending.map((b) => b.getChildAt(j)!), elements[j], f),
      nullable: f.nullable,
    }));
    await writer!.write({ columnData, rowGroupSize: pendingRows });
    pending = [];
    pendingRows = 0;
  };
  try {
    for await (const b0 of toBatchIterable(input)) {
      if (!schema) {
        schema = b0.schema;
        elements = schema.fields.map(parquetElement);
        writer = new ParquetWriter({
          writer: fileWriter(path),
          schema: [{ name: 'root', num_children: elements.length }, ...elements] as never,
          codec: opts.codec ?? 'SNAPPY',
          statistics: opts.statistics ?? false,
        });
        opened = true;
        trackOpen(1);
      } else if (!sameSchema(b0.schema, schema)) {
        throw new DataError('SCHEMA', `batch ${batches} has a different schema from the first batch`, { file: path });
      }
      batches++;
      rows += b0.numRows;
      let b = b0;
      while (b.numRows > 0) {
        const take = Math.min(b.numRows, rowGroupRows - pendingRows);
        pending.push(take === b.numRows ? b : b.slice(0, take));
        pendingRows += take;
        b = take === b.numRows ? b.slice(0, 0) : b.slice(take);
        if (pendingRows === rowGroupRows) await flush();
      }
    }
    if (!writer) throw new DataError('ARGUMENT', 'nothing to write: no batches', { file: path });
    await flush();
    await writer.finish();
  } finally {
    if (opened) trackOpen(-1);
  }
  return { path, rows, batches, bytes: statSync(path).size };
}
