import type { RecordBatch, Schema } from 'apache-arrow';
import { DataError } from './errors.js';
import { resolvePaths } from './glob.js';
import { Rng, mixSeed } from './rng.js';

/** One part of a data-parallel split: shard `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** A row that a text source could not read and skipped (`onBadRow: 'skip'`). */
export interface BadRow {
  file: string;
  row: number;
  line: number;
  column?: string;
  message: string;
}

/** Counters a scan fills in: rows skipped by `onBadRow: 'skip'`, with the first examples. */
export class ScanStats {
  skippedRows = 0;
  readonly badRows: BadRow[] = [];
  static readonly MAX_EXAMPLES = 100;
  addBadRow(b: BadRow): void {
    this.skippedRows++;
    if (this.badRows.length < ScanStats.MAX_EXAMPLES) this.badRows.push(b);
  }
  merge(o: { skippedRows: number; badRows: BadRow[] }): void {
    this.skippedRows += o.skippedRows;
    for (const b of o.badRows) if (this.badRows.length < ScanStats.MAX_EXAMPLES) this.badRows.push(b);
  }
}

export interface ScanOptions {
  /** Read only these columns (all when omitted). */
  columns?: string[];
  /** Read only shard `index` of `count`: shards are disjoint and together cover the source. */
  shard?: Shard;
  /** Shuffle the order of the source's units (files, row groups, record batches) with this seed. */
  shuffleSeed?: number;
  /** The epoch, mixed into `shuffleSeed` so each epoch has its own order. */
  epoch?: number;
  /** Filled in with the rows skipped by `onBadRow: 'skip'`. */
  stats?: ScanStats;
  /**
   * @internal Split the (sharded) source again, for worker threads. Composes with `shard` so that
   * the union of the splits is exactly the shard, whatever the number of splits.
   */
  split?: Shard;
  /**
   * @internal The caller is done with a batch when it asks for the next one, so the source may
   * reuse buffers: with the one batch of read-ahead, the Arrow IPC reader alternates two.
   */
  transient?: boolean;
}

/**
 * A source of Arrow record batches, read incrementally. Implementations: `arrowSource`,
 * `parquetSource`, `csvSource`, `jsonlSource`, `synthetic.*`, or your own.
 */
export interface Source {
  /** 'arrow' | 'parquet' | 'csv' | 'jsonl' | 'synthetic' | your own. */
  readonly kind: string;
  /** The Arrow schema of the batches (for CSV/JSON Lines: declared, or inferred from the first rows). */
  schema(): Promise<Schema>;
  /** The number of rows when it is cheap to know (file metadata, synthetic size); otherwise undefined. */
  numRows(): Promise<number | undefined>;
  batches(opts?: ScanOptions): AsyncIterable<RecordBatch>;
  /**
   * A structured-cloneable description from which a worker thread rebuilds the source
   * (see `registerSourceKind`). Sources without one cannot be read by workers.
   */
  descriptor?(): SourceDescriptor | undefined;
}

export interface SourceDescriptor {
  kind: string;
  args: unknown;
}

/** A unit of reading: a file, a record batch of a file, a row group, a range of synthetic rows. */
export interface Unit {
  /** Rows in the unit when known. */
  rows?: number;
  file?: string;
}

/** A unit as planned for one scan: which rows of it this shard/split keeps. */
export interface PlannedUnit<U extends Unit = Unit> {
  unit: U;
  /** The unit's position in the source's natural order. */
  pos: number;
  /** Keep only the rows of blocks b with (b + pos) % count === index (row-level sharding). */
  rowFilter?: Shard;
}

/** Rows per block for row-level sharding. */
export const SHARD_BLOCK_ROWS = 1024;

export function checkShard(s: Shard | undefined, what = 'shard'): void {
  if (!s) return;
  if (!Number.isInteger(s.count) || s.count < 1 || !Number.isInteger(s.index) || s.index < 0 || s.index >= s.count) {
    throw new DataError('ARGUMENT', `${what} must be { index, count } with integers 0 <= index < count (got ${JSON.stringify(s)})`);
  }
}

function applyShard<U extends Unit>(list: PlannedUnit<U>[], s: Shard | undefined): PlannedUnit<U>[] {
  if (!s || s.count === 1) return list;
  const rowLevel = list.some((e) => e.rowFilter);
  // Unit-level when there are enough units to balance; otherwise row ranges within each unit.
  if (!rowLevel && list.length >= 2 * s.count) return list.filter((_, k) => k % s.count === s.index);
  return list.map((e) => ({
    ...e,
    rowFilter: e.rowFilter ? { index: e.rowFilter.index + e.rowFilter.count * s.index, count: e.rowFilter.count * s.count } : { index: s.index, count: s.count },
  }));
}

/**
 * Plans a scan: shard, then split, then (optionally) shuffle the order of the units. The shard
 * granularity depends only on the number of units and the shard count, never on the split, so
 * a shard is the same set of rows however many workers read it.
 */
export function planUnits<U extends Unit>(units: U[], opts: ScanOptions = {}): PlannedUnit<U>[] {
  checkShard(opts.shard);
  checkShard(opts.split, 'split');
  let list: PlannedUnit<U>[] = units.map((unit, pos) => ({ unit, pos }));
  list = applyShard(list, opts.shard);
  list = applyShard(list, opts.split);
  if (opts.shuffleSeed !== undefined) new Rng(mixSeed(opts.shuffleSeed, opts.epoch ?? 0, 0x5eed)).shuffle(list);
  return list;
}

/** Applies a row filter to the batches of one unit: yields the slices this shard keeps. */
export async function* filterRows(batches: AsyncIterable<RecordBatch>, f: Shard | undefined, pos: number): AsyncGenerator<RecordBatch> {
  if (!f || f.count === 1) {
    yield* batches;
    return;
  }
  let row = 0;
  for await (const b of batches) {
    const n = b.numRows;
    let i = 0;
    while (i < n) {
      const g = row + i;
      const block = Math.floor(g / SHARD_BLOCK_ROWS);
      const blockEnd = (block + 1) * SHARD_BLOCK_ROWS - row;
      const end = Math.min(n, blockEnd);
      if ((block + pos) % f.count === f.index) {
        // Merge consecutive owned blocks (only possible when count === 1, handled above).
        yield i === 0 && end === n ? b : b.slice(i, end);
      }
      i = end;
    }
    row += n;
  }
}

/**
 * A source made of units. Subclasses list their units and read one; sharding, splitting and the
 * per-epoch unit order are shared.
 */
export abstract class UnitSource<U extends Unit = Unit> implements Source {
  abstract readonly kind: string;
  abstract schema(): Promise<Schema>;
  abstract numRows(): Promise<number | undefined>;
  /** The units in their natural order (cached by the caller of `units()`). */
  protected abstract listUnits(): Promise<U[]>;
  /** Reads one unit. `close` is called when the scan ends (normally or early). */
  protected abstract readUnit(unit: U, opts: ScanOptions, session: ReadSession): AsyncIterable<RecordBatch>;
  descriptor?(): SourceDescriptor | undefined;

  private unitsPromise?: Promise<U[]>;
  units(): Promise<U[]> {
    this.unitsPromise ??= this.listUnits();
    return this.unitsPromise;
  }

  async *batches(opts: ScanOptions = {}): AsyncGenerator<RecordBatch> {
    const planned = planUnits(await this.units(), opts);
    const session = new ReadSession();
    const self = this;
    async function* all(): AsyncGenerator<RecordBatch> {
      for (const p of planned) yield* filterRows(self.readUnit(p.unit, opts, session), p.rowFilter, p.pos);
    }
    try {
      // One batch of read-ahead: the next read is in flight while the caller works on this one.
      yield* readAhead(all());
    } finally {
      await session.close();
    }
  }
}

/** Resources opened during one scan (file handles, readers), released when the scan ends. */
export class ReadSession {
  private readonly closers = new Map<string, { value: unknown; close: () => Promise<void> | void }>();
  private readonly order: string[] = [];
  constructor(private readonly maxOpen = 8) {}

  /** Gets or opens a resource by key; keeps at most `maxOpen`, closing the least recently used. */
  async get<T>(key: string, open: () => Promise<{ value: T; close: () => Promise<void> | void }>): Promise<T> {
    const hit = this.closers.get(key);
    if (hit) {
      const i = this.order.indexOf(key);
      this.order.splice(i, 1);
      this.order.push(key);
      return hit.value as T;
    }
    const r = await open();
    this.closers.set(key, r);
    this.order.push(key);
    while (this.order.length > this.maxOpen) {
      const k = this.order.shift()!;
      const c = this.closers.get(k)!;
      this.closers.delete(k);
      await c.close();
    }
    return r.value;
  }

  async close(): Promise<void> {
    const all = [...this.closers.values()];
    this.closers.clear();
    this.order.length = 0;
    for (const c of all) {
      try {
        await c.close();
      } catch {
        /* closing must not mask the error that ended the scan */
      }
    }
  }
}

// ---- descriptors: rebuilding a source in a worker thread ----

type SourceFactory = (args: any) => Source;
const registry = new Map<string, SourceFactory>();

/** Registers how a worker rebuilds a source from its descriptor. Built-in kinds are registered. */
export function registerSourceKind(kind: string, factory: SourceFactory): void {
  registry.set(kind, factory);
}

export function sourceFromDescriptor(d: SourceDescriptor): Source {
  const f = registry.get(d.kind);
  if (!f) throw new DataError('ARGUMENT', `no source kind '${d.kind}' is registered in this thread`);
  return f(d.args);
}

// ---- open-handle accounting (for tests and diagnostics) ----

let openFiles = 0;
export function trackOpen(delta: number): void {
  openFiles += delta;
}

/** Files currently held open by sources of this thread, and live loader worker threads. */
export function diagnostics(): { openFiles: number; liveWorkers: number } {
  return { openFiles, liveWorkers: liveWorkerCount() };
}

let liveWorkers = 0;
export function trackWorker(delta: number): void {
  liveWorkers += delta;
}
function liveWorkerCount(): number {
  return liveWorkers;
}

/**
 * Starts reading item i+1 as soon as item i is handed out, so that I/O overlaps the caller's
 * work. (Sources that reuse buffers for `transient` scans keep two.)
 */
export async function* readAhead<T>(src: AsyncIterable<T>): AsyncGenerator<T> {
  const it = src[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined = it.next();
  try {
    for (;;) {
      const r: IteratorResult<T> = await pending!;
      pending = undefined;
      if (r.done) return;
      pending = it.next();
      pending.catch(() => undefined); // surfaced when awaited
      yield r.value;
    }
  } finally {
    if (pending) await pending.catch(() => undefined);
    await it.return?.(undefined as never);
  }
}

/** A UnitSource over files given as a path, a list or a glob, expanded once, on first use. */
export abstract class FileUnitSource<U extends Unit = Unit> extends UnitSource<U> {
  private files?: string[];
  constructor(protected readonly input: string | string[]) {
    super();
  }
  protected paths(): string[] {
    this.files ??= resolvePaths(this.input);
    return this.files;
  }
}
