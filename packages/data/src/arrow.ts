import {
  AsyncByteQueue,
  MessageHeader,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  makeData,
  type Vector,
} from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { Message } from 'apache-arrow/ipc/metadata/message';
import { VectorLoader } from 'apache-arrow/visitor/vectorloader';
import { DataError, wrapError } from './errors.js';
import { FileSink, openRead, type TrackedFile } from './files.js';
import { ReadSession, FileUnitSource, UnitSource, registerSourceKind, type ScanOptions, type SourceDescriptor, type Unit } from './source.js';
import { DictionaryUnifier } from './dictionaries.js';
import { sameSchema, selectColumns } from './schema.js';

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"

function hasMagic(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 6; i++) if (b[at + i] !== MAGIC[i]) return false;
  return true;
}

/**
 * An Arrow IPC *file* (random access) read batch by batch. Plain files (no dictionaries, no
 * body compression) are read into two reusable body buffers when the caller allows it
 * (`transient`: the caller copies a batch before asking for the one after next), else each
 * batch gets its own; other files go through apache-arrow's reader.
 */
export class IpcFile {
  private pools: (Uint8Array | undefined)[] = [undefined, undefined];
  private turn = 0;
  private arrowReader?: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  private constructor(
    readonly file: TrackedFile,
    readonly schema: Schema,
    private readonly footer: InstanceType<typeof Footer>,
    private readonly plain: boolean,
  ) {}

  get numBatches(): number {
    return this.footer.numRecordBatches;
  }

  static async open(file: TrackedFile): Promise<IpcFile> {
    const path = file.path;
    if (file.size < 18) throw new DataError(file.size === 0 ? 'TRUNCATED' : 'CORRUPT', `not an Arrow IPC file (${file.size} bytes)`, { file: path });
    const head = await file.readExact(0, 8);
    const tail = await file.readExact(file.size - 10, 10);
    if (!hasMagic(head, 0)) throw new DataError('CORRUPT', 'not an Arrow IPC file (no ARROW1 magic)', { file: path });
    if (!hasMagic(tail, 4)) throw new DataError('TRUNCATED', 'Arrow IPC file has no footer (truncated?)', { file: path });
    const footerLen = new DataView(tail.buffer, tail.byteOffset).getInt32(0, true);
    if (footerLen <= 0 || footerLen > file.size - 18) throw new DataError('CORRUPT', `bad footer length ${footerLen}`, { file: path });
    let footer: InstanceType<typeof Footer>;
    try {
      footer = Footer.decode(await file.readExact(file.size - 10 - footerLen, footerLen));
    } catch (e) {
      throw wrapError(e, 'CORRUPT', 'cannot decode the Arrow footer', { file: path });
    }
    const schema = footer.schema as Schema;
    let plain = footer.numDictionaries === 0;
    const f = new IpcFile(file, schema, footer, plain);
    for (let i = 0; i < footer.numRecordBatches; i++) {
      const b = footer.getRecordBatch(i)!;
      if (b.offset < 8 || b.offset + b.metaDataLength + b.bodyLength > file.size - 10 - footerLen) {
        throw new DataError('TRUNCATED', `record batch ${i} lies outside the file (offset ${b.offset}, ${b.metaDataLength + b.bodyLength} bytes)`, { file: path, row: undefined });
      }
    }
    if (plain && footer.numRecordBatches > 0) {
      // Body compression is per batch; look at the first one.
      const m = await f.readMessage(0);
      if ((m.header() as { compression?: unknown }).compression != null) f.setPlain(false);
    }
    return f;
  }

  private setPlain(v: boolean): void {
    (this as unknown as { plain: boolean }).plain = v;
  }

  private async readMessage(i: number): Promise<Message> {
    const block = this.footer.getRecordBatch(i)!;
    return this.decodeMessage(i, await this.file.readExact(block.offset, block.metaDataLength));
  }

  private decodeMessage(i: number, meta: Uint8Array): Message {
    const dv = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
    let start = 4;
    let len = dv.getInt32(0, true);
    if (len === -1) {
      len = dv.getInt32(4, true);
      start = 8;
    }
    if (len <= 0 || start + len > meta.byteLength) throw new DataError('CORRUPT', `bad metadata length in record batch ${i}`, { file: this.file.path });
    let message: Message;
    try {
      message = Message.decode(meta.subarray(start, start + len));
    } catch (e) {
      throw wrapError(e, 'CORRUPT', `cannot decode record batch ${i} metadata`, { file: this.file.path });
    }
    if (message.headerType !== MessageHeader.RecordBatch) throw new DataError('CORRUPT', `block ${i} is not a record batch`, { file: this.file.path });
    return message;
  }

  /** Number of rows of batch i, from its metadata only. */
  async batchRows(i: number): Promise<number> {
    const m = await this.readMessage(i);
    return (m.header() as { length: number }).length;
  }

  async readBatch(i: number, transient = false): Promise<RecordBatch> {
    const path = this.file.path;
    try {
      if (!this.plain) {
        this.arrowReader ??= await RecordBatchReader.from(this.file.handle);
        const rb = await (this.arrowReader as unknown as { readRecordBatch(i: number): Promise<RecordBatch | null> }).readRecordBatch(i);
        if (!rb) throw new DataError('CORRUPT', `cannot read record batch ${i}`, { file: path });
        return rb;
      }
      const block = this.footer.getRecordBatch(i)!;
      // metadata and body in one read (one I/O in flight per batch, so read-ahead overlaps it all)
      const total = block.metaDataLength + block.bodyLength;
      let into: Uint8Array | undefined;
      if (transient) {
        // two buffers, alternating: one being read ahead while the caller copies the other
        const k = (this.turn ^= 1);
        const cur = this.pools[k];
        if (!cur || cur.byteLength < total) this.pools[k] = takeBody(total) ?? new Uint8Array(Math.max(total, (cur?.byteLength ?? 0) * 1.25) + 64);
        into = this.pools[k];
      }
      const bytes = await this.file.readExact(block.offset, total, into);
      const message = this.decodeMessage(i, bytes.subarray(0, block.metaDataLength));
      const header = message.header() as {
        length: number;
        nodes: any[];
        buffers: { offset: number; length: number }[];
        variadicBufferCounts?: number[];
      };
      const bodyLength = Number(message.bodyLength);
      if (bodyLength > block.bodyLength) {
        throw new DataError('CORRUPT', `record batch ${i} body length ${bodyLength} disagrees with the footer (${block.bodyLength})`, { file: path });
      }
      for (const b of header.buffers) {
        if (b.offset + b.length > bodyLength) throw new DataError('CORRUPT', `record batch ${i} has a buffer outside its body`, { file: path });
      }
      const body = bytes.subarray(block.metaDataLength, block.metaDataLength + bodyLength);
      const children = new VectorLoader(body, header.nodes, header.buffers as any, new Map<number, Vector>(), this.schema.metadataVersion, header.variadicBufferCounts ?? []).visitMany(this.schema.fields);
      for (let c = 0; c < children.length; c++) {
        if (children[c].length !== header.length) throw new DataError('CORRUPT', `record batch ${i}: column has ${children[c].length} rows, batch has ${header.length}`, { file: path, column: this.schema.fields[c].name });
      }
      return new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: header.length, children, nullCount: 0 }));
    } catch (e) {
      throw wrapError(e, 'CORRUPT', `cannot read record batch ${i}`, { file: path });
    }
  }

  async close(): Promise<void> {
    this.arrowReader = undefined;
    for (const b of this.pools) if (b) giveBody(b);
    this.pools = [undefined, undefined];
    await this.file.close();
  }
}

/**
 * Body buffers of closed files, for the next file this thread opens (the next epoch's scan): a
 * new 4 MiB buffer is fresh pages, faulted in by its first read (2–4 ms here, per buffer).
 * Only transient reads use them, whose caller is done with a batch before the file closes.
 */
const freeBodies: Uint8Array[] = [];

function takeBody(bytes: number): Uint8Array | undefined {
  const i = freeBodies.findIndex((b) => b.byteLength >= bytes);
  return i < 0 ? undefined : freeBodies.splice(i, 1)[0];
}

function giveBody(b: Uint8Array): void {
  if (freeBodies.length < 4 && !freeBodies.includes(b)) freeBodies.push(b);
}

interface ArrowUnit extends Unit {
  file: string;
  /** Record batch index in a file-format file; -1 for a whole stream-format file. */
  batch: number;
}

export interface ArrowSourceOptions {
  /** Files in the order given (default): globs expand sorted. */
}

async function isFileFormat(f: TrackedFile): Promise<boolean> {
  if (f.size < 8) return false;
  const head = await f.readExact(0, 6);
  return hasMagic(head, 0);
}

class ArrowSource extends FileUnitSource<ArrowUnit> {
  readonly kind = 'arrow';
  private schemaPromise?: Promise<Schema>;
  private rowsPromise?: Promise<number | undefined>;


  override descriptor(): SourceDescriptor {
    return { kind: 'arrow', args: { paths: this.paths() } };
  }

  schema(): Promise<Schema> {
    this.schemaPromise ??= (async () => {
      const path = this.paths()[0];
      const f = await openRead(path);
      try {
        if (await isFileFormat(f)) return (await IpcFile.open(f)).schema;
        return await withStreamReader(f, async (r) => r.schema);
      } finally {
        await f.close();
      }
    })();
    return this.schemaPromise;
  }

  numRows(): Promise<number | undefined> {
    this.rowsPromise ??= (async () => {
      // file format: the row count of every record batch from its metadata (small reads)
      let total = 0;
      for (const path of this.paths()) {
        const f = await openRead(path);
        try {
          if (!(await isFileFormat(f))) return undefined;
          const ipc = await IpcFile.open(f);
          for (let i = 0; i < ipc.numBatches; i++) total += await ipc.batchRows(i);
        } finally {
          await f.close();
        }
      }
      return total;
    })();
    return this.rowsPromise;
  }

  protected async listUnits(): Promise<ArrowUnit[]> {
    const units: ArrowUnit[] = [];
    for (const path of this.paths()) {
      const f = await openRead(path);
      try {
        if (await isFileFormat(f)) {
          const ipc = await IpcFile.open(f);
          for (let i = 0; i < ipc.numBatches; i++) units.push({ file: path, batch: i });
        } else {
          units.push({ file: path, batch: -1 });
        }
      } finally {
        await f.close();
      }
    }
    return units;
  }

  protected async *readUnit(u: ArrowUnit, opts: ScanOptions, session: ReadSession): AsyncGenerator<RecordBatch> {
    if (u.batch >= 0) {
      const ipc = await session.get(u.file, async () => {
        const f = await openRead(u.file);
        try {
          const v = await IpcFile.open(f);
          return { value: v, close: () => v.close() };
        } catch (e) {
          await f.close();
          throw e;
        }
      });
      const b = await ipc.readBatch(u.batch, opts.transient);
      yield opts.columns ? selectColumns(b, opts.columns, u.file) : b;
      return;
    }
    const f = await openRead(u.file);
    try {
      const reader = await RecordBatchReader.from(f.handle);
      let i = 0;
      try {
        for await (const b of reader as AsyncIterable<RecordBatch>) {
          i++;
          yield opts.columns ? selectColumns(b, opts.columns, u.file) : b;
        }
      } catch (e) {
        throw wrapError(e, /Expected to read|only read/.test(String((e as Error)?.message)) ? 'TRUNCATED' : 'CORRUPT', `cannot read record batch ${i} of the Arrow stream`, { file: u.file });
      }
    } finally {
      await f.close();
    }
  }
}

async function withStreamReader<T>(f: TrackedFile, fn: (r: { schema: Schema }) => Promise<T>): Promise<T> {
  try {
    const r = await RecordBatchReader.from(f.handle);
    await (r as unknown as { open(): Promise<unknown> }).open();
    if (!r.schema) throw new DataError('CORRUPT', 'Arrow stream has no schema', { file: f.path });
    return await fn(r as unknown as { schema: Schema });
  } catch (e) {
    throw wrapError(e, 'CORRUPT', 'not a readable Arrow IPC stream', { file: f.path });
  }
}

/**
 * Arrow IPC files (file or stream format, detected per file): one path, a list, or a glob
 * (`data/*.arrow`, `data/**\/part-*.arrow`). File-format files are read record batch by record
 * batch (each one a unit for shuffling and sharding); stream-format files are read sequentially.
 */
export function arrowSource(paths: string | string[]): UnitSource {
  return new ArrowSource(paths);
}
registerSourceKind('arrow', (a: { paths: string[] }) => new ArrowSource(a.paths));

// ---- writer ----

/** An AsyncByteQueue that writes synchronously to a file instead of queueing. */
class SinkQueue extends AsyncByteQueue {
  constructor(private readonly sink: FileSink) {
    super();
  }
  override write(value: any): void {
    const u8 = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (u8.byteLength) this.sink.write(u8);
  }
}

export type BatchInput = AsyncIterable<RecordBatch> | Iterable<RecordBatch> | { batches(): AsyncIterable<RecordBatch> };

export function toBatchIterable(input: BatchInput): AsyncIterable<RecordBatch> | Iterable<RecordBatch> {
  if (input && typeof (input as { batches?: unknown }).batches === 'function' && !(Symbol.asyncIterator in (input as object)) && !(Symbol.iterator in (input as object))) {
    return (input as { batches(): AsyncIterable<RecordBatch> }).batches();
  }
  return input as AsyncIterable<RecordBatch> | Iterable<RecordBatch>;
}

export interface WriteResult {
  path: string;
  rows: number;
  batches: number;
  bytes: number;
}

/**
 * Writes record batches to an Arrow IPC file (`format: 'file'`, the default: random access, so
 * readers can shuffle and shard by record batch) or stream, as they come: memory stays at one
 * batch. Accepts batches, an async iterable of batches, or a Source.
 */
export async function writeArrow(path: string, input: BatchInput, opts: { format?: 'file' | 'stream' } = {}): Promise<WriteResult> {
  const sink = new FileSink(path);
  const writer = opts.format === 'stream' ? new RecordBatchStreamWriter({ autoDestroy: false }) : new RecordBatchFileWriter({ autoDestroy: false });
  writer.reset(new SinkQueue(sink) as any);
  let rows = 0;
  let batches = 0;
  let schema: Schema | undefined;
  try {
    let dictionaries: DictionaryUnifier | undefined;
    for await (const b of toBatchIterable(input)) {
      if (schema && !sameSchema(b.schema, schema)) throw new DataError('SCHEMA', `batch ${batches} has a different schema from the first batch`, { file: path });
      schema ??= b.schema;
      dictionaries ??= new DictionaryUnifier(schema, path);
      writer.write(dictionaries.unify(b));
      rows += b.numRows;
      batches++;
    }
    if (!schema) throw new DataError('ARGUMENT', 'nothing to write: no batches', { file: path });
    writer.finish();
    sink.close();
  } catch (e) {
    sink.abort();
    throw e;
  }
  return { path, rows, batches, bytes: sink.bytes };
}
