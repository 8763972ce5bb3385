import { vectorFromArray, type DataType, type RecordBatch, type Vector } from 'apache-arrow';
import { Batch } from './batch.js';
import { DataError } from './errors.js';
import { createKernels, layoutFor, releaseKernels, type Kernels } from './kernel.js';
import type { BufferRecycler } from './recycle.js';
import { Rng, mixSeed } from './rng.js';
import { toF32 } from './schema.js';
import { ScanStats, type Shard, type Source } from './source.js';

/** What one pipeline (the main thread's, or one worker's) produces. */
export interface PipelinePlan {
  /** Numeric feature columns, in x order. */
  features: string[];
  label?: string;
  /** Columns passed through as Arrow vectors. */
  passthrough: string[];
  passthroughTypes: DataType[];
  batchSize: number;
  /** Shuffle buffer rows; 0 for no shuffle. */
  shuffleBuffer: number;
  seed: number;
  /** Shuffle the order of the source's units each epoch. */
  shuffleUnits: boolean;
  epochs: number;
  /** The first epoch's number: seeds the shuffles, so that each iteration of a loader differs. */
  firstEpoch?: number;
  shard?: Shard;
  split?: Shard;
  /** The last partial batch of an epoch: kept, dropped, or reported separately (workers). */
  tail: 'keep' | 'drop' | 'separate';
  kernel?: 'wasm' | 'js';
  /** Rows staged into the kernel at a time. */
  pieceRows?: number;
}

export type PipelineEvent = { kind: 'batch'; batch: Batch } | { kind: 'tail'; batch: Batch } | { kind: 'epochEnd'; epoch: number };

const align = (v: number, a = 64) => Math.ceil(v / a) * a;

/**
 * The loading engine of one thread: reads the source's batches, stages their numeric columns as
 * f32 into kernel memory, runs them through the shuffle buffer (tf.data semantics: fill B rows,
 * then each incoming row replaces a uniformly drawn slot whose row is emitted; at the end the
 * rest is emitted in a random permutation) and cuts row-major batches.
 */
export class Pipeline {
  private readonly K: Kernels;
  private readonly P: number;
  private readonly width: number;
  private readonly reg: Regions;

  constructor(
    private readonly source: Source,
    private readonly plan: PipelinePlan,
    private readonly stats: ScanStats,
    /** Arrays handed back by the consumer, filled again instead of allocating (DataLoader.recycle). */
    private readonly recycler?: BufferRecycler,
  ) {
    const hasLabel = plan.label !== undefined;
    const L = layoutFor(plan.features.length, hasLabel);
    this.width = L.width;
    this.K = createKernels(L, plan.kernel);
    this.P = plan.pieceRows ?? 8192;
    const B = plan.shuffleBuffer;
    const ct = 0;
    const stage = align(ct + 4 * this.width + 16);
    const rng = align(stage + 4 * this.width * this.P);
    const idx = align(rng + 16);
    const outX = align(idx + 4 * Math.max(this.P, B));
    const outY = align(outX + L.xBytes * plan.batchSize);
    const buf = align(outY + 4 * plan.batchSize);
    this.reg = { ct, stage, rng, idx, outX, outY, buf };
    this.K.ensure(buf + B * L.rowBytes + 64);
  }

  get kernelKind(): string {
    return this.K.kind;
  }

  /** The events of every epoch; a pipeline runs once (its kernels go back to the thread's pool at the end). */
  async *run(): AsyncGenerator<PipelineEvent> {
    if (this.ran) throw new Error('a Pipeline runs once');
    this.ran = true;
    const first = this.plan.firstEpoch ?? 0;
    try {
      for (let e = first; e < first + this.plan.epochs; e++) {
        yield* this.epoch(e);
        yield { kind: 'epochEnd', epoch: e };
      }
    } finally {
      releaseKernels(this.K);
    }
  }
  private ran = false;

  /**
   * One epoch. Kept small on purpose: the row work is in EpochCutter's methods, so that V8
   * does not recompile a large generator each time a pass reaches its rarely taken end (measured:
   * 20–100 ms of TurboFan per recompile, on the second of two cores, every pass).
   */
  private async *epoch(epoch: number): AsyncGenerator<PipelineEvent> {
    const { plan } = this;
    const cut = new EpochCutter(this.K, this.reg, this.P, this.width, plan, epoch, this.recycler);
    const scan = this.source.batches({
      columns: [...cut.numeric, ...plan.passthrough],
      shard: plan.shard,
      split: plan.split,
      shuffleSeed: plan.shuffleUnits ? plan.seed : undefined,
      epoch,
      stats: this.stats,
      transient: plan.passthrough.length === 0,
    });
    let b: Batch | undefined;
    for await (const rb of scan) {
      cut.load(rb);
      while ((b = cut.step()) !== undefined) yield { kind: 'batch', batch: b };
    }
    while ((b = cut.drainStep()) !== undefined) yield { kind: 'batch', batch: b };
    const t = cut.tail();
    if (t) yield t;
  }
}

type Regions = { ct: number; stage: number; rng: number; idx: number; outX: number; outY: number; buf: number };

/**
 * The row work of one epoch, resumable one batch at a time: stages each record batch's numeric
 * columns as f32 into kernel memory (pieceRows at a time), runs them through the shuffle buffer
 * (tf.data semantics: fill B rows, then each incoming row replaces a uniformly drawn slot whose
 * row is emitted; at the end the rest is emitted in a random permutation) and cuts row-major
 * batches.
 */
class EpochCutter {
  readonly numeric: string[];
  private readonly d: number;
  private readonly B: number;
  private readonly bs: number;
  private readonly hasLabel: boolean;
  private readonly npass: number;
  private readonly slotVals: unknown[][];
  private outVals: unknown[][];
  private outPieces: Vector[][];
  private readonly jsRng = new Rng(0);
  private filled = 0;
  private outRows = 0;
  private index = 0;
  // the record batch being cut: its columns, and the staged piece [r, r + m) at row q
  private cols: Vector[] = [];
  private pass: Vector[] = [];
  private n = 0;
  private nextR = 0;
  private r = 0;
  private m = 0;
  private q = 0;
  // the drain at the end: a permutation of the buffer's rows, at p
  private perm?: Int32Array;
  private p = 0;

  constructor(
    private readonly K: Kernels,
    private readonly reg: Regions,
    private readonly P: number,
    private readonly width: number,
    private readonly plan: PipelinePlan,
    private readonly epoch: number,
    private readonly recycler?: BufferRecycler,
  ) {
    this.hasLabel = plan.label !== undefined;
    this.numeric = this.hasLabel ? [...plan.features, plan.label!] : plan.features;
    this.d = plan.features.length;
    this.B = plan.shuffleBuffer;
    this.bs = plan.batchSize;
    this.npass = plan.passthrough.length;
    this.slotVals = plan.passthrough.map(() => (this.B > 0 ? new Array(this.B) : []));
    this.outVals = plan.passthrough.map(() => []);
    this.outPieces = plan.passthrough.map(() => []);
    const split = plan.split ?? { index: 0, count: 1 };
    const rng = new Rng(mixSeed(plan.seed, epoch, split.index, split.count));
    K.i32().set(rng.getState(), reg.rng / 4);
  }

  /** Starts cutting the next record batch of the scan. */
  load(rb: RecordBatch): void {
    this.cols = this.numeric.map((name) => column(rb, name));
    this.pass = this.plan.passthrough.map((name) => column(rb, name));
    this.n = rb.numRows;
    this.nextR = 0;
    this.r = 0;
    this.m = 0;
    this.q = 0;
  }

  private setColumnPointers(offsetRows: number): void {
    const i32 = this.K.i32();
    const { ct, stage } = this.reg;
    for (let j = 0; j < this.width; j++) i32[ct / 4 + j] = stage + 4 * (j * this.P + offsetRows);
  }

  /** Stages rows [r, r + m) of every numeric column as f32. */
  private stage(): void {
    const { K, reg, P, r, m, n } = this;
    for (let j = 0; j < this.width; j++) {
      const data = this.cols[j].data[0];
      const piece = r === 0 && m === n ? data : data.slice(r, m);
      toF32(piece, K.f32(), reg.stage / 4 + j * P, this.numeric[j]);
    }
  }

  /** The next full batch from the loaded record batch, or undefined once it is used up. */
  step(): Batch | undefined {
    const { K, reg, B, bs, npass } = this;
    const L = K.layout;
    for (;;) {
      if (this.q === this.m) {
        if (this.nextR >= this.n) return undefined;
        this.r = this.nextR;
        this.m = Math.min(this.P, this.n - this.r);
        this.nextR = this.r + this.m;
        this.q = 0;
        this.stage();
      }
      const { q, m, r } = this;
      let k: number;
      if (B === 0) {
        k = Math.min(m - q, bs - this.outRows);
        this.setColumnPointers(q);
        K.transposeX(reg.ct, k, reg.outX + this.outRows * L.xBytes);
        if (this.hasLabel) {
          const src = reg.stage / 4 + (this.width - 1) * this.P + q;
          K.f32().copyWithin(reg.outY / 4 + this.outRows, src, src + k);
        }
        for (let c = 0; c < npass; c++) this.outPieces[c].push(this.pass[c].slice(r + q, r + q + k));
        this.outRows += k;
      } else if (this.filled < B) {
        k = Math.min(m - q, B - this.filled);
        this.setColumnPointers(q);
        K.transposeRows(reg.ct, k, reg.buf + this.filled * L.rowBytes);
        for (let c = 0; c < npass; c++) for (let i = 0; i < k; i++) this.slotVals[c][this.filled + i] = this.pass[c].get(r + q + i);
        this.filled += k;
      } else {
        k = Math.min(m - q, bs - this.outRows);
        this.setColumnPointers(q);
        if (npass) this.exchangePassthrough(r + q, k);
        K.exchange(reg.ct, k, reg.buf, reg.outX + this.outRows * L.xBytes, reg.outY + this.outRows * 4, reg.rng, B);
        this.outRows += k;
      }
      this.q = q + k;
      if (this.outRows === bs) return this.cut();
    }
  }

  /** The passthrough values of an exchange: the same slots as the kernel will draw. */
  private exchangePassthrough(row: number, k: number): void {
    const { jsRng, B } = this;
    jsRng.setState(this.K.i32().subarray(this.reg.rng / 4, this.reg.rng / 4 + 4));
    for (let i = 0; i < k; i++) {
      const s = Math.floor((jsRng.u32() * B) / 4294967296);
      for (let c = 0; c < this.npass; c++) {
        this.outVals[c].push(this.slotVals[c][s]);
        this.slotVals[c][s] = this.pass[c].get(row + i);
      }
    }
  }

  /** After the scan: the next full batch of the buffer's rest, in a random permutation. */
  drainStep(): Batch | undefined {
    const { K, reg, bs } = this;
    if (this.B === 0 || this.filled === 0) return undefined;
    if (!this.perm) {
      const st = K.i32().subarray(reg.rng / 4, reg.rng / 4 + 4);
      this.jsRng.setState(st);
      const perm = new Int32Array(this.filled);
      for (let i = 0; i < this.filled; i++) perm[i] = i;
      this.jsRng.shuffle(perm);
      K.i32().set(this.jsRng.getState(), reg.rng / 4);
      this.perm = perm;
    }
    const perm = this.perm;
    while (this.p < this.filled) {
      const k = Math.min(this.filled - this.p, bs - this.outRows, this.P);
      K.i32().set(perm.subarray(this.p, this.p + k), reg.idx / 4);
      K.gather(reg.buf, k, reg.idx, reg.outX + this.outRows * K.layout.xBytes, reg.outY + this.outRows * 4);
      for (let c = 0; c < this.npass; c++) for (let i = 0; i < k; i++) this.outVals[c].push(this.slotVals[c][perm[this.p + i]]);
      this.outRows += k;
      this.p += k;
      if (this.outRows === bs) return this.cut();
    }
    return undefined;
  }

  /** The last partial batch of the epoch, as the plan says. */
  tail(): PipelineEvent | undefined {
    if (this.outRows === 0) return undefined;
    if (this.plan.tail === 'keep') return { kind: 'batch', batch: this.cut() };
    if (this.plan.tail === 'separate') return { kind: 'tail', batch: this.cut() };
    this.outRows = 0;
    return undefined;
  }

  private copyOut(start: number, len: number): Float32Array {
    const f32 = this.K.f32();
    return this.recycler ? this.recycler.copy(f32.subarray(start, start + len)) : f32.slice(start, start + len);
  }

  private cut(): Batch {
    const { plan, reg, outRows } = this;
    const x = this.copyOut(reg.outX / 4, outRows * this.d);
    const y = this.hasLabel ? this.copyOut(reg.outY / 4, outRows) : new Float32Array(0);
    const columns: Record<string, Vector> = {};
    for (let c = 0; c < this.npass; c++) {
      if (this.B > 0) columns[plan.passthrough[c]] = vectorFromArray(this.outVals[c] as never[], plan.passthroughTypes[c]);
      else columns[plan.passthrough[c]] = this.outPieces[c].reduce((a, b) => a.concat(b));
    }
    if (this.npass) {
      this.outVals = plan.passthrough.map(() => []);
      this.outPieces = plan.passthrough.map(() => []);
    }
    const b = new Batch({ x, y, n: outRows, featureNames: plan.features, label: plan.label, columns, epoch: this.epoch, index: this.index++ });
    this.outRows = 0;
    return b;
  }
}

function column(rb: RecordBatch, name: string): Vector {
  const v = rb.getChild(name);
  if (!v) throw new DataError('MISSING_COLUMN', `no column '${name}' in a batch of the source`, { column: name });
  return v;
}
