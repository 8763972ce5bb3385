import { vectorFromArray, type DataType, type RecordBatch, type Vector } from 'apache-arrow';
import { Batch } from './batch.js';
import { DataError } from './errors.js';
import { createKernels, layoutFor, type Kernels } from './kernel.js';
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
  private readonly d: number;
  private readonly reg: { ct: number; stage: number; rng: number; idx: number; outX: number; outY: number; buf: number };

  constructor(
    private readonly source: Source,
    private readonly plan: PipelinePlan,
    private readonly stats: ScanStats,
    /** Arrays handed back by the consumer, filled again instead of allocating (DataLoader.recycle). */
    private readonly recycler?: BufferRecycler,
  ) {
    const hasLabel = plan.label !== undefined;
    this.d = plan.features.length;
    const L = layoutFor(this.d, hasLabel);
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

  async *run(): AsyncGenerator<PipelineEvent> {
    const first = this.plan.firstEpoch ?? 0;
    for (let e = first; e < first + this.plan.epochs; e++) {
      yield* this.epoch(e);
      yield { kind: 'epochEnd', epoch: e };
    }
  }

  private setColumnPointers(offsetRows: number): void {
    const i32 = this.K.i32();
    const { ct, stage } = this.reg;
    for (let j = 0; j < this.width; j++) i32[ct / 4 + j] = stage + 4 * (j * this.P + offsetRows);
  }

  private async *epoch(epoch: number): AsyncGenerator<PipelineEvent> {
    const { plan, K, reg, P, d, width } = this;
    const B = plan.shuffleBuffer;
    const bs = plan.batchSize;
    const L = K.layout;
    const hasLabel = plan.label !== undefined;
    const numeric = hasLabel ? [...plan.features, plan.label!] : plan.features;
    const npass = plan.passthrough.length;
    const split = plan.split ?? { index: 0, count: 1 };
    const rng = new Rng(mixSeed(plan.seed, epoch, split.index, split.count));
    K.i32().set(rng.getState(), reg.rng / 4);

    // passthrough state
    const slotVals: unknown[][] = plan.passthrough.map(() => (B > 0 ? new Array(B) : []));
    let outVals: unknown[][] = plan.passthrough.map(() => []);
    let outPieces: Vector[][] = plan.passthrough.map(() => []);
    const jsRng = new Rng(0);

    const recycler = this.recycler;
    const copyOut = (f32: Float32Array, start: number, len: number): Float32Array => (recycler ? recycler.copy(f32.subarray(start, start + len)) : f32.slice(start, start + len));
    let filled = 0;
    let outRows = 0;
    let index = 0;
    const self = this;
    function cut(): Batch {
      const f32 = K.f32();
      const x = copyOut(f32, reg.outX / 4, outRows * d);
      const y = hasLabel ? copyOut(f32, reg.outY / 4, outRows) : new Float32Array(0);
      const columns: Record<string, Vector> = {};
      for (let c = 0; c < npass; c++) {
        if (B > 0) columns[plan.passthrough[c]] = vectorFromArray(outVals[c] as never[], plan.passthroughTypes[c]);
        else columns[plan.passthrough[c]] = outPieces[c].reduce((a, b) => a.concat(b));
      }
      outVals = plan.passthrough.map(() => []);
      outPieces = plan.passthrough.map(() => []);
      const b = new Batch({ x, y, n: outRows, featureNames: plan.features, label: plan.label, columns, epoch, index: index++ });
      outRows = 0;
      return b;
    }

    const scan = this.source.batches({
      columns: [...numeric, ...plan.passthrough],
      shard: plan.shard,
      split: plan.split,
      shuffleSeed: plan.shuffleUnits ? plan.seed : undefined,
      epoch,
      stats: this.stats,
      transient: npass === 0,
    });
    for await (const rb of scan) {
      const n = rb.numRows;
      const cols = numeric.map((name) => column(rb, name));
      const pass = plan.passthrough.map((name) => column(rb, name));
      for (let r = 0; r < n; r += P) {
        const m = Math.min(P, n - r);
        // stage [r, r+m) of every numeric column as f32
        for (let j = 0; j < width; j++) {
          const data = cols[j].data[0];
          const piece = r === 0 && m === n ? data : data.slice(r, m);
          toF32(piece, K.f32(), reg.stage / 4 + j * P, numeric[j]);
        }
        let q = 0;
        while (q < m) {
          if (B === 0) {
            const k = Math.min(m - q, bs - outRows);
            self.setColumnPointers(q);
            K.transposeX(reg.ct, k, reg.outX + outRows * L.xBytes);
            if (hasLabel) {
              const f32 = K.f32();
              const src = reg.stage / 4 + (width - 1) * P + q;
              f32.copyWithin(reg.outY / 4 + outRows, src, src + k);
            }
            for (let c = 0; c < npass; c++) outPieces[c].push(pass[c].slice(r + q, r + q + k));
            outRows += k;
            q += k;
          } else if (filled < B) {
            const k = Math.min(m - q, B - filled);
            self.setColumnPointers(q);
            K.transposeRows(reg.ct, k, reg.buf + filled * L.rowBytes);
            for (let c = 0; c < npass; c++) for (let i = 0; i < k; i++) slotVals[c][filled + i] = pass[c].get(r + q + i);
            filled += k;
            q += k;
          } else {
            const k = Math.min(m - q, bs - outRows);
            self.setColumnPointers(q);
            if (npass) {
              jsRng.setState(K.i32().subarray(reg.rng / 4, reg.rng / 4 + 4));
              for (let i = 0; i < k; i++) {
                const s = Math.floor((jsRng.u32() * B) / 4294967296);
                for (let c = 0; c < npass; c++) {
                  outVals[c].push(slotVals[c][s]);
                  slotVals[c][s] = pass[c].get(r + q + i);
                }
              }
            }
            K.exchange(reg.ct, k, reg.buf, reg.outX + outRows * L.xBytes, reg.outY + outRows * 4, reg.rng, B);
            outRows += k;
            q += k;
          }
          if (outRows === bs) yield { kind: 'batch', batch: cut() };
        }
      }
    }

    if (B > 0 && filled > 0) {
      // drain: the rest of the buffer in a random permutation
      const st = K.i32().subarray(reg.rng / 4, reg.rng / 4 + 4);
      jsRng.setState(st);
      const perm = new Int32Array(filled);
      for (let i = 0; i < filled; i++) perm[i] = i;
      jsRng.shuffle(perm);
      K.i32().set(jsRng.getState(), reg.rng / 4);
      let p = 0;
      while (p < filled) {
        const k = Math.min(filled - p, bs - outRows, P);
        K.i32().set(perm.subarray(p, p + k), reg.idx / 4);
        K.gather(reg.buf, k, reg.idx, reg.outX + outRows * L.xBytes, reg.outY + outRows * 4);
        for (let c = 0; c < npass; c++) for (let i = 0; i < k; i++) outVals[c].push(slotVals[c][perm[p + i]]);
        outRows += k;
        p += k;
        if (outRows === bs) yield { kind: 'batch', batch: cut() };
      }
    }
    if (outRows > 0) {
      if (plan.tail === 'keep') yield { kind: 'batch', batch: cut() };
      else if (plan.tail === 'separate') yield { kind: 'tail', batch: cut() };
      else outRows = 0;
    }
  }
}

function column(rb: RecordBatch, name: string): Vector {
  const v = rb.getChild(name);
  if (!v) throw new DataError('MISSING_COLUMN', `no column '${name}' in a batch of the source`, { column: name });
  return v;
}
