import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RecordBatch, tableFromIPC, tableToIPC, Table, type DataType, type Vector } from 'apache-arrow';
import { Batch } from './batch.js';
import { DataError, deserializeError } from './errors.js';
import { BufferRecycler } from './recycle.js';
import { Pipeline, type PipelinePlan } from './pipeline.js';
import { columnKind } from './schema.js';
import { createSlotRing, SlotReader, SLOT_BATCH } from './slots.js';
import { ScanStats, checkShard, trackWorker, type BadRow, type Shard, type Source } from './source.js';

/** A per-batch transform: a function (runs on the thread that iterates the loader). */
export type BatchTransformFn = (batch: Batch) => Batch | Promise<Batch>;

/**
 * A transform that worker threads can load: `module` exports (as `export`, default 'default') a
 * factory called once per thread with `options` (structured-cloneable, e.g. a fitted pipeline's
 * state) that returns the per-batch function.
 */
export interface TransformSpec {
  module: string | URL;
  export?: string;
  options?: unknown;
}

export interface DataLoaderOptions {
  /** Feature columns: names, or all columns but the label (the default). */
  features?: string[];
  /** Label column (numeric or bool); none by default. */
  label?: string;
  /**
   * Feature columns to pass through as Arrow vectors in `batch.columns` rather than convert
   * (string and dictionary columns always are).
   */
  categorical?: string[];
  /** Rows per batch (default 1024). */
  batchSize?: number;
  /** Drop the last, partial batch of each epoch (default false). */
  dropLast?: boolean;
  /**
   * Passes over the data in one iteration (default 1). Epochs are numbered across iterations: a
   * loader's next `for await` continues with the next epoch, so it is shuffled anew (PyTorch's
   * sampler draws a new order every epoch too); `setEpoch` sets it.
   */
  epochs?: number;
  /** Shuffle rows (default false): with a buffer of `shuffleBuffer` rows and the units' order. */
  shuffle?: boolean;
  /** Shuffle buffer rows (default 65536; tf.data's buffer_size). */
  shuffleBuffer?: number;
  /** Shuffle the order of files / row groups / record batches each epoch (default: = shuffle). */
  shuffleFiles?: boolean;
  /** Seed of every random choice (default 0): the same seed gives the same batches. */
  seed?: number;
  /** Batches prepared ahead of the consumer (default 2). Memory is bounded by about prefetch × batch. */
  prefetch?: number;
  /** Worker threads that read, decode, shuffle and transform (default 0: the calling thread). */
  workers?: number;
  /**
   * Keep the worker threads between iterations (PyTorch's `persistent_workers`): the next
   * `for await` skips their start-up (~0.3–0.6 s: each thread loads apache-arrow). End them
   * with `loader.close()`; idle ones do not keep the process alive. Default false.
   */
  persistentWorkers?: boolean;
  /** Read only this shard of the source (data-parallel training). */
  shard?: Shard;
  /** Per-batch transform: a function (calling thread) or a module spec (workers, when there are any). */
  transform?: BatchTransformFn | TransformSpec;
  /** Row-movement kernels: WebAssembly SIMD (default) or plain JavaScript. */
  kernel?: 'wasm' | 'js';
}

/** What a loader resolved from its options and the source's schema. */
export interface LoaderInfo {
  featureNames: string[];
  label?: string;
  passthrough: string[];
  /** Default-feature columns left out because their type cannot convert (timestamps, lists, ...). */
  ignored: string[];
  workers: number;
  kernel: string;
}

export interface LoaderStats {
  rows: number;
  batches: number;
  /** Rows skipped by `onBadRow: 'skip'` in text sources. */
  skippedRows: number;
  badRows: BadRow[];
}

const DEFAULTS = { batchSize: 1024, prefetch: 2, shuffleBuffer: 65536, epochs: 1, seed: 0 };

/**
 * Iterates a Source as batches ready for training: `for await (const b of loader)` gives
 * `b.x` (row-major Float32Array [n, d]), `b.y`, `b.n`, `b.featureNames`.
 */
export class DataLoader implements AsyncIterable<Batch> {
  readonly options: Readonly<DataLoaderOptions>;
  /** Counters of the last (or current) iteration. */
  stats: LoaderStats = { rows: 0, batches: 0, skippedRows: 0, badRows: [] };
  private infoPromise?: Promise<{ info: LoaderInfo; plan: PipelinePlan }>;

  constructor(readonly source: Source, options: DataLoaderOptions = {}) {
    const o = { ...options };
    const posInt = (v: unknown, name: string, min = 1) => {
      if (v !== undefined && (!Number.isInteger(v) || (v as number) < min)) throw new DataError('ARGUMENT', `${name} must be an integer >= ${min} (got ${v})`);
    };
    posInt(o.batchSize, 'batchSize');
    posInt(o.epochs, 'epochs');
    posInt(o.prefetch, 'prefetch', 0);
    posInt(o.workers, 'workers', 0);
    posInt(o.shuffleBuffer, 'shuffleBuffer', 0);
    checkShard(o.shard);
    if (o.workers && o.workers > 0 && typeof source.descriptor !== 'function') {
      throw new DataError('ARGUMENT', `workers need a source that worker threads can rebuild (this ${source.kind} source has no descriptor())`);
    }
    this.options = o;
  }

  /** Resolved columns and settings (reads the source's schema). */
  async info(): Promise<LoaderInfo> {
    return (await this.resolve()).info;
  }

  private resolve(): Promise<{ info: LoaderInfo; plan: PipelinePlan }> {
    this.infoPromise ??= (async () => {
      const o = this.options;
      const schema = await this.source.schema();
      const byName = new Map(schema.fields.map((f) => [f.name, f]));
      const label = o.label;
      if (label !== undefined) {
        const f = byName.get(label);
        if (!f) throw new DataError('MISSING_COLUMN', `no label column '${label}' (columns: ${[...byName.keys()].join(', ')})`, { column: label });
        if (columnKind(f.type) !== 'numeric') throw new DataError('TYPE', `label column of type ${String(f.type)} cannot convert to f32 (encode it as numbers first)`, { column: label });
      }
      const categorical = new Set(o.categorical ?? []);
      const explicit = o.features !== undefined;
      const names = o.features ?? schema.fields.map((f) => f.name).filter((n) => n !== label);
      const features: string[] = [];
      const passthrough: string[] = [];
      const passthroughTypes: DataType[] = [];
      const ignored: string[] = [];
      for (const c of categorical) if (!byName.has(c)) throw new DataError('MISSING_COLUMN', `no categorical column '${c}'`, { column: c });
      for (const n of names) {
        const f = byName.get(n);
        if (!f) throw new DataError('MISSING_COLUMN', `no feature column '${n}' (columns: ${[...byName.keys()].join(', ')})`, { column: n });
        if (n === label) throw new DataError('ARGUMENT', `column '${n}' is both a feature and the label`, { column: n });
        const kind = categorical.has(n) ? 'passthrough' : columnKind(f.type);
        if (kind === 'numeric') features.push(n);
        else if (kind === 'passthrough') {
          passthrough.push(n);
          passthroughTypes.push(f.type);
        } else if (explicit) throw new DataError('TYPE', `feature column of type ${String(f.type)} cannot convert to f32`, { column: n });
        else ignored.push(n);
      }
      for (const c of categorical) if (!passthrough.includes(c)) {
        passthrough.push(c);
        passthroughTypes.push(byName.get(c)!.type);
      }
      const shuffle = o.shuffle ?? false;
      const workers = o.workers ?? 0;
      const B = shuffle ? (o.shuffleBuffer ?? DEFAULTS.shuffleBuffer) : 0;
      const plan: PipelinePlan = {
        features,
        label,
        passthrough,
        passthroughTypes,
        batchSize: o.batchSize ?? DEFAULTS.batchSize,
        shuffleBuffer: workers > 1 ? Math.ceil(B / workers) : B,
        seed: o.seed ?? DEFAULTS.seed,
        shuffleUnits: o.shuffleFiles ?? shuffle,
        epochs: o.epochs ?? DEFAULTS.epochs,
        shard: o.shard,
        tail: workers > 0 ? 'separate' : o.dropLast ? 'drop' : 'keep',
        kernel: o.kernel,
      };
      if (plan.shuffleBuffer === 1) plan.shuffleBuffer = 0;
      const info: LoaderInfo = { featureNames: features, label, passthrough, ignored, workers, kernel: o.kernel ?? 'wasm' };
      return { info, plan };
    })();
    return this.infoPromise;
  }

  /** Rows in the source (or this shard's share of it, estimated) when cheap to know. */
  async numRows(): Promise<number | undefined> {
    const n = await this.source.numRows();
    if (n === undefined) return undefined;
    return this.options.shard ? Math.round(n / this.options.shard.count) : n;
  }

  private nextEpoch = 0;

  /**
   * The epoch the next iteration starts at (0 for a new loader; each iteration advances it by
   * `epochs`). Data-parallel consumers set it alike on every shard, as PyTorch's
   * DistributedSampler.set_epoch, so that the shards keep agreeing on the order of units.
   */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new DataError('ARGUMENT', `epoch must be an integer >= 0 (got ${epoch})`);
    this.nextEpoch = epoch;
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    this.stats = { rows: 0, batches: 0, skippedRows: 0, badRows: [] };
    const workers = this.options.workers ?? 0;
    const firstEpoch = this.nextEpoch;
    this.nextEpoch += this.options.epochs ?? DEFAULTS.epochs;
    const it = workers > 0 ? this.workerIterator(workers, firstEpoch) : this.localIterator(firstEpoch);
    const stats = this.stats;
    return {
      next: async () => {
        const r = await it.next();
        if (!r.done) {
          stats.rows += r.value.n;
          stats.batches++;
        }
        return r;
      },
      return: async (v?: unknown) => {
        await it.return?.(v);
        return { done: true, value: undefined };
      },
    };
  }

  private async loadTransform(): Promise<BatchTransformFn | undefined> {
    const t = this.options.transform;
    if (!t) return undefined;
    if (typeof t === 'function') return t;
    return loadTransformSpec(t);
  }

  /** Single-thread iteration with a prefetch queue. */
  private localIterator(firstEpoch: number): AsyncIterator<Batch> {
    const stats = new ScanStats();
    const self = this;
    async function* gen(): AsyncGenerator<Batch> {
      const plan = { ...(await self.resolve()).plan, firstEpoch };
      const transform = await self.loadTransform();
      const p = new Pipeline(self.source, plan, stats, self.recycler);
      self.currentKernel = p.kernelKind;
      try {
        for await (const ev of p.run()) {
          self.syncStats(stats);
          if (ev.kind === 'batch') yield transform ? await transform(ev.batch) : ev.batch;
        }
      } finally {
        self.syncStats(stats);
      }
    }
    return prefetch(gen(), this.options.prefetch ?? DEFAULTS.prefetch);
  }

  /** The kernel the last iteration used ('wasm-simd' or 'js'). */
  currentKernel?: string;

  private syncStats(s: ScanStats | { skippedRows: number; badRows: BadRow[] }): void {
    this.stats.skippedRows = s.skippedRows;
    this.stats.badRows = s.badRows.slice();
  }

  /**
   * Iteration through `count` worker threads, merged round-robin in a deterministic order.
   * Split into small pieces (start, one epoch, its end, the tails, finish) so that V8 does not
   * recompile one large generator each time a pass reaches its rarely taken parts.
   */
  private workerIterator(count: number, firstEpoch: number): AsyncIterator<Batch> {
    const self = this;
    async function* gen(): AsyncGenerator<Batch> {
      const run = await self.startWorkerRun(count, firstEpoch);
      let complete = false;
      try {
        run.pool.start();
        run.pool.begin(run.plan);
        for (let epoch = firstEpoch; epoch < firstEpoch + run.plan.epochs; epoch++) yield* self.workerEpoch(run, epoch);
        complete = true;
      } finally {
        await self.finishWorkerRun(run, complete);
      }
    }
    return prefetch(gen(), 0);
  }

  private async startWorkerRun(count: number, firstEpoch: number): Promise<WorkerRun> {
    const plan = { ...(await this.resolve()).plan, firstEpoch };
    const o = this.options;
    const fnTransform = typeof o.transform === 'function' ? o.transform : undefined;
    const spec = o.transform && typeof o.transform !== 'function' ? normalizeSpec(o.transform) : undefined;
    // Tails are merged on this thread, so a module transform also runs here for them.
    const tailTransform = fnTransform ?? (spec ? await loadTransformSpec(spec) : undefined);
    const persistent = !!o.persistentWorkers;
    if (persistent && this.iterating) throw new DataError('ARGUMENT', 'a loader with persistentWorkers runs one iteration at a time (finish or break out of the other one first)');
    const slots = Math.max(1, Math.ceil((o.prefetch ?? DEFAULTS.prefetch) / count));
    let kept = persistent ? this.pool : undefined;
    if (kept?.failed) {
      await kept.close();
      kept = undefined;
    }
    const pool = kept ?? new WorkerPool(count, this.source.descriptor!()!, spec, slots, this.recycler);
    if (persistent) this.pool = pool;
    this.iterating = true;
    return { pool, plan, count, persistent, fnTransform, tailTransform, skipped: new ScanStats() };
  }

  private async *workerEpoch(run: WorkerRun, epoch: number): AsyncGenerator<Batch> {
    const e: WorkerEpoch = { active: Array.from({ length: run.count }, (_, i) => i), pos: 0, tails: [], index: 0 };
    const fn = run.fnTransform;
    while (e.active.length) {
      const w = e.active[e.pos];
      const msg = await run.pool.take(w);
      if (msg.kind !== 'batch') {
        this.workerEpochEnd(run, e, w, msg);
        continue;
      }
      e.pos = (e.pos + 1) % e.active.length;
      const b = renumber(msg.batch, epoch, e.index++);
      yield fn ? await fn(b) : b;
    }
    yield* this.workerTails(run, e, epoch);
  }

  /** Worker w finished the epoch: it leaves the round-robin; its tail and stats are kept. */
  private workerEpochEnd(run: WorkerRun, e: WorkerEpoch, w: number, msg: Extract<WorkerMsg, { kind: 'epochEnd' }>): void {
    if (msg.tail) e.tails[w] = msg.tail;
    this.currentKernel = run.pool.kernel;
    run.skipped.merge(msg.stats);
    this.syncStats(run.skipped);
    e.active.splice(e.pos, 1);
    if (e.pos >= e.active.length) e.pos = 0;
  }

  /** The workers' partial last batches, merged on this thread. */
  private async *workerTails(run: WorkerRun, e: WorkerEpoch, epoch: number): AsyncGenerator<Batch> {
    for (const b of mergeTails(e.tails.filter(Boolean), run.plan.batchSize, !!this.options.dropLast)) {
      const t = renumber(b, epoch, e.index++);
      yield run.tailTransform ? await run.tailTransform(t) : t;
    }
  }

  private async finishWorkerRun(run: WorkerRun, complete: boolean): Promise<void> {
    const { pool } = run;
    this.iterating = false;
    if (!run.persistent || pool.failed) {
      if (this.pool === pool) this.pool = undefined;
      await pool.close();
    } else await pool.end(complete);
  }

  private pool?: WorkerPool;
  private iterating = false;

  private readonly recycler = new BufferRecycler();

  /**
   * Hands a batch's arrays back for the loader to fill again, instead of allocating new ones: for
   * a consumer that is done with `b.x` and `b.y` when it takes the next batch (a training loop
   * that uploads each batch at once). The caller must not read them afterwards: a later batch
   * overwrites them. With workers too: their batches are copied out of the shared slots into
   * these arrays, on this thread.
   */
  recycle(b: { x: Float32Array; y?: Float32Array }): void {
    this.recycler.give(b.x);
    this.recycler.give(b.y);
  }

  /** Ends the persistent workers (`persistentWorkers`); a later iteration starts new ones. */
  async close(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    await p?.close();
  }
}

function renumber(b: Batch, epoch: number, index: number): Batch {
  return new Batch({ x: b.x, y: b.y, n: b.n, featureNames: b.featureNames, label: b.label, columns: b.columns, epoch, index });
}

/** Concatenates the workers' partial last batches and cuts them into full batches (+ maybe one partial). */
export function* mergeTails(tails: Batch[], batchSize: number, dropLast: boolean): Generator<Batch> {
  if (!tails.length) return;
  const total = tails.reduce((s, t) => s + t.n, 0);
  const d = tails[0].d;
  const x = new Float32Array(total * d);
  const y = tails[0].y.length ? new Float32Array(total) : new Float32Array(0);
  const cols: Record<string, Vector> = {};
  let o = 0;
  for (const t of tails) {
    x.set(t.x, o * d);
    if (y.length) y.set(t.y, o);
    for (const [k, v] of Object.entries(t.columns)) cols[k] = cols[k] ? cols[k].concat(v) : v;
    o += t.n;
  }
  for (let s = 0; s < total; s += batchSize) {
    const n = Math.min(batchSize, total - s);
    if (n < batchSize && dropLast) return;
    const columns: Record<string, Vector> = {};
    for (const [k, v] of Object.entries(cols)) columns[k] = v.slice(s, s + n);
    yield new Batch({ x: x.slice(s * d, (s + n) * d), y: y.length ? y.slice(s, s + n) : y, n, featureNames: tails[0].featureNames, label: tails[0].label, columns });
  }
}

function normalizeSpec(t: TransformSpec): TransformSpec {
  return { module: String(t.module instanceof URL ? t.module.href : t.module), export: t.export ?? 'default', options: t.options };
}

export async function loadTransformSpec(t: TransformSpec): Promise<BatchTransformFn> {
  const spec = normalizeSpec(t);
  const url = /^[a-z]+:/i.test(spec.module as string) ? (spec.module as string) : pathToFileURL(spec.module as string).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const factory = mod[spec.export!];
  if (typeof factory !== 'function') throw new DataError('ARGUMENT', `transform module ${spec.module} has no function export '${spec.export}'`);
  const fn = await (factory as (o: unknown) => unknown)(spec.options);
  if (typeof fn !== 'function') throw new DataError('ARGUMENT', `transform factory '${spec.export}' of ${spec.module} did not return a function`);
  return fn as BatchTransformFn;
}

/**
 * Runs an async generator ahead of its consumer by up to `depth` items. `return()` stops it
 * and waits until the generator has run its `finally` blocks (files closed, workers ended).
 */
export function prefetch<T>(src: AsyncGenerator<T>, depth: number): AsyncIterator<T> {
  if (depth <= 0) return src;
  const queue: IteratorResult<T>[] = [];
  let error: { e: unknown } | undefined;
  let done = false;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const producer = (async () => {
    try {
      while (!stopped) {
        if (queue.length >= depth) {
          await new Promise<void>((r) => (wakeProducer = r));
          continue;
        }
        const r = await src.next();
        if (stopped) {
          // The consumer left while this item was being made.
          break;
        }
        queue.push(r);
        wakeConsumer?.();
        if (r.done) {
          done = true;
          return;
        }
        // One item per macrotask: the consumer's completions (a GPU readback, a worker's message)
        // are handled between items instead of after a run of them.
        await new Promise<void>((res) => setImmediate(res));
      }
    } catch (e) {
      error = { e };
      wakeConsumer?.();
    } finally {
      if (stopped) await src.return(undefined as never).catch(() => undefined);
    }
  })();
  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (queue.length) {
          const r = queue.shift()!;
          const w = wakeProducer;
          wakeProducer = undefined;
          // Wake the producer on the next macrotask, not now: a microtask wake would run its
          // synchronous work (decoding, shuffling) before the consumer resumes with this batch,
          // serialising loading with the consumer's work instead of overlapping them.
          if (w) setImmediate(w);
          return r;
        }
        if (error) throw error.e;
        if (done) return { done: true, value: undefined };
        await new Promise<void>((r) => (wakeConsumer = r));
        wakeConsumer = undefined;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      stopped = true;
      const w = wakeProducer;
      wakeProducer = undefined;
      w?.();
      await producer;
      if (!done) await src.return(undefined as never).catch(() => undefined);
      return { done: true, value: undefined };
    },
  };
}

// ---------------------------------------------------------------- workers

/** One iteration through the worker threads. */
interface WorkerRun {
  pool: WorkerPool;
  plan: PipelinePlan;
  count: number;
  persistent: boolean;
  fnTransform?: BatchTransformFn;
  tailTransform?: BatchTransformFn;
  skipped: ScanStats;
}

/** Where one epoch's round-robin over the workers is. */
interface WorkerEpoch {
  active: number[];
  pos: number;
  tails: Batch[];
  index: number;
}

type WorkerMsg =
  | { kind: 'batch'; batch: Batch }
  | { kind: 'epochEnd'; tail?: Batch; stats: { skippedRows: number; badRows: BadRow[] } };

function workerEntry(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Source mode (vitest, tsx): a .mjs entry registers tsx's loader, then imports worker.ts.
    return { url: new URL('./worker-boot.mjs', here), execArgv: ['--conditions=source'] };
  }
  return { url: new URL('./worker.js', here) };
}

export function encodeColumns(columns: Record<string, Vector>): Uint8Array | undefined {
  const names = Object.keys(columns);
  if (!names.length) return undefined;
  return tableToIPC(new Table(columns), 'stream');
}

export function decodeColumns(bytes: Uint8Array | undefined): Record<string, Vector> {
  if (!bytes) return {};
  const t = tableFromIPC(bytes);
  const out: Record<string, Vector> = {};
  for (const f of t.schema.fields) out[f.name] = t.getChild(f.name)!;
  return out;
}

export interface WireBatch {
  x: Float32Array;
  y: Float32Array;
  n: number;
  featureNames: string[];
  label?: string;
  columns?: Uint8Array;
}

export function batchFromWire(w: WireBatch): Batch {
  return new Batch({ x: w.x, y: w.y, n: w.n, featureNames: w.featureNames, label: w.label, columns: decodeColumns(w.columns) });
}

/**
 * The worker threads of a loader. Started once; each iteration is a run (`begin`, `take`
 * until its epochs end, `end`). Each worker hands batches over through its ring of shared
 * slots (slots.ts), at most a ring's worth ahead; items and messages of a cancelled run are
 * dropped, their slots freed. Idle workers are unref'd so that a persistent pool does not keep
 * the process alive.
 */
class WorkerPool {
  private workers: Worker[] = [];
  private rings: SlotReader[] = [];
  /** Messages that stand for ring items (batches that do not fit a slot, epoch ends), in order. */
  private queues: WorkerMsg[][] = [];
  private waiters: ((() => void) | undefined)[] = [];
  private ended: boolean[] = [];
  private endWaiter?: () => void;
  private failure?: Error;
  private closed = false;
  private started = false;
  private run = 0;
  private cancelled = 0;
  private plan?: PipelinePlan;
  /** The kernel kind the workers reported. */
  kernel?: string;

  constructor(
    private readonly count: number,
    private readonly descriptor: { kind: string; args: unknown },
    private readonly transform: TransformSpec | undefined,
    private readonly slots: number,
    /** Arrays the consumer recycled: batches are copied out of their slots into these. */
    private readonly recycler: BufferRecycler,
  ) {}

  get failed(): boolean {
    return !!this.failure || this.closed;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const entry = workerEntry();
    for (let i = 0; i < this.count; i++) {
      const w = new Worker(entry.url, {
        workerData: { descriptor: this.descriptor, transform: this.transform },
        execArgv: entry.execArgv,
        stdout: false,
        stderr: false,
      });
      trackWorker(1);
      this.workers.push(w);
      this.queues.push([]);
      this.waiters.push(undefined);
      this.ended.push(true);
      w.on('message', (m: any) => this.onMessage(i, m));
      w.on('error', (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
      w.on('exit', (code) => {
        trackWorker(-1);
        if (!this.closed) this.fail(new DataError('WORKER', `loader worker ${i} exited with code ${code}`));
      });
    }
  }

  /** Starts a run of `plan` on every worker (each on its split). */
  begin(plan: PipelinePlan): void {
    if (this.failure) throw this.failure;
    this.run++;
    this.plan = plan;
    this.ahead = [];
    const xCap = plan.batchSize * plan.features.length;
    const yCap = plan.label !== undefined ? plan.batchSize : 0;
    for (let i = 0; i < this.count; i++) {
      const r = this.rings[i]?.init;
      // a ring is kept across runs (no run is under way now: the last one ended)
      if (!r || r.xCap < xCap || r.yCap < yCap) this.rings[i] = new SlotReader(createSlotRing(this.slots, xCap, yCap));
      this.ended[i] = false;
      this.workers[i].ref();
      this.workers[i].postMessage({ type: 'run', run: this.run, plan: { ...plan, split: { index: i, count: this.count }, passthroughTypes: [] }, ring: this.rings[i].init });
    }
  }

  private onMessage(i: number, m: any): void {
    if (m.type === 'error' && (m.run === this.run || m.run === -1)) {
      this.fail(deserializeError(m.error));
      return;
    }
    if (m.run !== this.run || this.cancelled === this.run) {
      // a cancelled run's message: its ring item is skipped by run id
      if (m.type === 'runEnd' && m.run === this.run) {
        this.ended[i] = true;
        this.endWaiter?.();
      }
      return;
    }
    if (m.type === 'batch') this.queues[i].push({ kind: 'batch', batch: batchFromWire(m.batch) });
    else if (m.type === 'epochEnd') {
      this.kernel = m.kernel;
      this.queues[i].push({ kind: 'epochEnd', tail: m.tail ? batchFromWire(m.tail) : undefined, stats: m.stats });
    } else if (m.type === 'runEnd') {
      this.ended[i] = true;
      this.endWaiter?.();
    }
    this.wake(i);
  }

  private wake(i: number): void {
    const w = this.waiters[i];
    this.waiters[i] = undefined;
    w?.();
    this.rings[i]?.wake();
  }

  private fail(e: Error): void {
    if (this.failure || this.closed) return;
    this.failure = e;
    for (let i = 0; i < this.waiters.length; i++) this.wake(i);
    this.endWaiter?.();
  }

  /**
   * The next item of worker i: a batch copied out of its slot, or the message its slot stands
   * for. The common case is a small function of its own, apart from the waits and the rare
   * items: V8 then has no reason to recompile it when a pass reaches its end.
   */
  async take(i: number): Promise<WorkerMsg> {
    for (;;) {
      const b = this.ahead[i] ?? this.slotBatch(i);
      if (b) {
        this.ahead[i] = undefined;
        if (!this.copyScheduled) {
          this.copyScheduled = true;
          setImmediate(this.copyAhead);
        }
        return b;
      }
      const m = await this.takeOther(i);
      if (m) return m;
    }
  }

  /** Batches already copied out of their slots, one per worker at most. */
  private ahead: (WorkerMsg | undefined)[] = [];
  private copyScheduled = false;

  /**
   * After a take, on the next turn of the event loop: copies each worker's next batch out of its
   * slot while the consumer works (a GPU step it awaits), instead of when it asks for the batch.
   */
  private readonly copyAhead = (): void => {
    this.copyScheduled = false;
    if (this.cancelled === this.run) return; // the consumer left; end() has drained the rings
    for (let i = 0; i < this.count; i++) {
      if (!this.ahead[i]) this.ahead[i] = this.slotBatch(i);
      // the worker's wake-up, left by the frees (slots.ts), off the consumer's path as well
      this.rings[i]?.flush();
    }
  };

  /** The next item when it is a batch of this run in a slot. */
  private slotBatch(i: number): WorkerMsg | undefined {
    const ring = this.rings[i];
    if (!ring) return undefined;
    const item = ring.peek();
    if (!item || item.kind !== SLOT_BATCH || item.run !== this.run || this.failure) return undefined;
    const { x, y } = ring.views();
    const plan = this.plan!;
    const batch = new Batch({ x: this.recycler.copy(x), y: y.length ? this.recycler.copy(y) : new Float32Array(0), n: item.n, featureNames: plan.features, label: plan.label });
    ring.free();
    return { kind: 'batch', batch };
  }

  /** Anything else: a message the next slot stands for, a cancelled run's leftovers, or a wait. */
  private async takeOther(i: number): Promise<WorkerMsg | undefined> {
    if (this.failure) throw this.failure;
    const ring = this.rings[i];
    const item = ring.peek();
    if (item) {
      if (item.run !== this.run) ring.free(); // left over from a cancelled run
      else if (item.kind !== SLOT_BATCH) {
        const q = this.queues[i];
        if (q.length) {
          ring.free();
          return q.shift()!;
        }
        // the message is posted but not received yet
        ring.flush();
        await new Promise<void>((r) => (this.waiters[i] = r));
      }
      return undefined;
    }
    if (this.ended[i]) throw new DataError('WORKER', `loader worker ${i} ended its run without finishing its epoch`);
    await new Promise<void>((r) => {
      this.waiters[i] = r;
      void ring.wait().then(r);
    });
    return undefined;
  }

  /**
   * Ends the current run: a complete one just idles the workers; an abandoned one (the consumer
   * broke out) is cancelled, and this waits until every worker has left it (files closed).
   */
  async end(complete: boolean): Promise<void> {
    if (!complete) {
      this.cancelled = this.run;
      for (let i = 0; i < this.count; i++) {
        this.rings[i]?.cancel(this.run);
        this.rings[i]?.drain();
        this.queues[i] = [];
        this.ahead[i] = undefined;
      }
    }
    while (!this.failure && this.ended.some((e) => !e)) await new Promise<void>((r) => (this.endWaiter = r));
    this.endWaiter = undefined;
    for (const w of this.workers) w.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (let i = 0; i < this.waiters.length; i++) this.wake(i);
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => 0)));
  }
}

export { RecordBatch };
