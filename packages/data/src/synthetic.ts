import { Field, Float32, Int32, RecordBatch, Schema, Struct, makeData } from 'apache-arrow';
import { DataError } from './errors.js';
import { Rng, hash32, mixSeed } from './rng.js';
import { UnitSource, registerSourceKind, type ScanOptions, type SourceDescriptor, type Unit } from './source.js';

/**
 * Seeded synthetic sources. Row r depends only on (seed, r): any batching, shard, worker or
 * epoch sees the same rows, and nothing is materialised beyond one batch.
 */

interface RangeUnit extends Unit {
  start: number;
  rows: number;
}

abstract class SyntheticSource extends UnitSource<RangeUnit> {
  readonly kind = 'synthetic';
  protected abstract readonly rows: number;
  protected abstract readonly batchRows: number;
  protected abstract readonly fields: Field[];
  /** Fills row r into the column arrays at position i. */
  protected abstract fillRow(r: number, i: number, cols: (Float32Array | Int32Array)[], rng: Rng): void;
  abstract override descriptor(): SourceDescriptor;

  private schemaCache?: Schema;
  async schema(): Promise<Schema> {
    this.schemaCache ??= new Schema(this.fields);
    return this.schemaCache;
  }
  async numRows(): Promise<number> {
    return this.rows;
  }
  protected async listUnits(): Promise<RangeUnit[]> {
    const out: RangeUnit[] = [];
    for (let s = 0; s < this.rows; s += this.batchRows) out.push({ start: s, rows: Math.min(this.batchRows, this.rows - s) });
    return out;
  }
  protected async *readUnit(u: RangeUnit, opts: ScanOptions): AsyncGenerator<RecordBatch> {
    yield this.generate(u.start, u.rows, opts.columns);
  }

  /** Rows [start, start + n) as one record batch. */
  generate(start: number, n: number, columns?: string[]): RecordBatch {
    const cols = this.fields.map((f) => (f.type instanceof Int32 ? new Int32Array(n) : new Float32Array(n)));
    const rng = new Rng(0);
    const seed = this.seedValue;
    for (let i = 0; i < n; i++) {
      const r = start + i;
      rng.reseed(hash32(seed, r >>> 0), hash32(seed ^ 0x5bd1e995, Math.floor(r / 4294967296)));
      this.fillRow(r, i, cols, rng);
    }
    let fields = this.fields;
    let data = cols;
    if (columns) {
      const idx = columns.map((c) => {
        const k = fields.findIndex((f) => f.name === c);
        if (k < 0) throw new DataError('MISSING_COLUMN', `no column '${c}' in the synthetic source`, { column: c });
        return k;
      });
      fields = idx.map((k) => this.fields[k]);
      data = idx.map((k) => cols[k]);
    }
    const children = fields.map((f, k) => makeData({ type: f.type, length: n, data: data[k] as never }));
    return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, children, nullCount: 0 }));
  }
  protected abstract readonly seedValue: number;
}

function checkRows(rows: number): void {
  if (!Number.isInteger(rows) || rows < 0 || rows > Number.MAX_SAFE_INTEGER) throw new DataError('ARGUMENT', `rows must be a non-negative integer (got ${rows})`);
}

// ---------------------------------------------------------------- classification

export interface ClassificationOptions {
  rows: number;
  /** Total features (default 20). */
  features?: number;
  /** Informative features (default 2). */
  informative?: number;
  /** Linear combinations of the informative ones (default 2). */
  redundant?: number;
  /** Classes (default 2). */
  classes?: number;
  /** Clusters per class (default 2). */
  clustersPerClass?: number;
  /** Class proportions (default balanced); normalised. */
  weights?: number[];
  /** Fraction of labels replaced by a random class (default 0.01). */
  flipY?: number;
  /** Distance of the cluster centroids from the origin along each axis (default 1). */
  classSep?: number;
  seed?: number;
  /** Rows per record batch (the unit of sharding and shuffling; default 65536). */
  batchRows?: number;
  /** Label column name (default 'label'); features are f0, f1, ... */
  labelName?: string;
}

/** What each feature column is (for tests and feature-selection checks). */
export interface ClassificationMeta {
  informative: number[];
  redundant: number[];
  noise: number[];
  /** Centroid of each cluster (cluster k belongs to class k % classes). */
  centroids: number[][];
}

class ClassificationSource extends SyntheticSource {
  protected readonly rows: number;
  protected readonly batchRows: number;
  protected readonly fields: Field[];
  protected readonly seedValue: number;
  readonly meta: ClassificationMeta;
  private readonly o: Required<Omit<ClassificationOptions, 'weights'>> & { weights: number[] };
  private readonly A: Float64Array[]; // per cluster, informative × informative
  private readonly Bm: Float64Array; // informative × redundant
  private readonly cum: Float64Array;

  constructor(opts: ClassificationOptions) {
    super();
    checkRows(opts.rows);
    const o = {
      rows: opts.rows,
      features: opts.features ?? 20,
      informative: opts.informative ?? 2,
      redundant: opts.redundant ?? 2,
      classes: opts.classes ?? 2,
      clustersPerClass: opts.clustersPerClass ?? 2,
      weights: opts.weights ?? [],
      flipY: opts.flipY ?? 0.01,
      classSep: opts.classSep ?? 1,
      seed: opts.seed ?? 0,
      batchRows: opts.batchRows ?? 65536,
      labelName: opts.labelName ?? 'label',
    };
    if (o.informative < 1 || o.informative + o.redundant > o.features) throw new DataError('ARGUMENT', `need 1 <= informative and informative + redundant <= features (got ${o.informative} + ${o.redundant} > ${o.features})`);
    if (o.classes < 2) throw new DataError('ARGUMENT', 'classes must be >= 2');
    const nClusters = o.classes * o.clustersPerClass;
    if (nClusters > 2 ** o.informative) throw new DataError('ARGUMENT', `classes × clustersPerClass (${nClusters}) must be <= 2^informative (${2 ** o.informative})`);
    let w = o.weights.length ? o.weights.slice(0, o.classes) : [];
    if (w.length && w.length < o.classes) {
      const rest = Math.max(0, 1 - w.reduce((a, b) => a + b, 0));
      while (w.length < o.classes) w.push(rest / (o.classes - o.weights.length));
    }
    if (!w.length) w = Array.from({ length: o.classes }, () => 1);
    const sum = w.reduce((a, b) => a + b, 0);
    this.cum = new Float64Array(o.classes);
    let acc = 0;
    for (let c = 0; c < o.classes; c++) this.cum[c] = acc += w[c] / sum;
    o.weights = w.map((v) => v / sum);
    this.o = o;
    this.rows = o.rows;
    this.batchRows = o.batchRows;
    this.seedValue = mixSeed(o.seed, 0xc1a55);
    const rng = new Rng(mixSeed(o.seed, 0xbeef));
    // distinct hypercube vertices for the clusters
    const verts = new Set<number>();
    const centroids: number[][] = [];
    const maxV = 2 ** Math.min(o.informative, 30);
    while (centroids.length < nClusters) {
      const v = rng.int(maxV);
      if (verts.has(v)) continue;
      verts.add(v);
      centroids.push(Array.from({ length: o.informative }, (_, j) => ((j < 30 ? (v >> j) & 1 : rng.int(2)) ? o.classSep : -o.classSep)));
    }
    this.A = centroids.map(() => Float64Array.from({ length: o.informative ** 2 }, () => 2 * rng.next() - 1));
    this.Bm = Float64Array.from({ length: o.informative * o.redundant }, () => 2 * rng.next() - 1);
    const idx = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);
    this.meta = { informative: idx(0, o.informative), redundant: idx(o.informative, o.redundant), noise: idx(o.informative + o.redundant, o.features - o.informative - o.redundant), centroids };
    this.fields = [...Array.from({ length: o.features }, (_, j) => new Field(`f${j}`, new Float32(), false)), new Field(o.labelName, new Int32(), false)];
  }

  override descriptor(): SourceDescriptor {
    return { kind: 'synthetic.classification', args: this.o };
  }

  private z = new Float64Array(64);
  protected fillRow(_r: number, i: number, cols: (Float32Array | Int32Array)[], rng: Rng): void {
    const o = this.o;
    const ni = o.informative;
    const u = rng.next();
    let c = 0;
    while (c < o.classes - 1 && u >= this.cum[c]) c++;
    const k = c + o.classes * rng.int(o.clustersPerClass);
    const A = this.A[k];
    const cen = this.meta.centroids[k];
    if (this.z.length < ni) this.z = new Float64Array(ni);
    const z = this.z;
    for (let j = 0; j < ni; j++) z[j] = rng.normal();
    for (let j = 0; j < ni; j++) {
      let s = cen[j];
      for (let q = 0; q < ni; q++) s += z[q] * A[q * ni + j];
      cols[j][i] = s;
    }
    for (let t = 0; t < o.redundant; t++) {
      let s = 0;
      for (let q = 0; q < ni; q++) s += (cols[q][i] as number) * this.Bm[q * o.redundant + t];
      cols[ni + t][i] = s;
    }
    for (let j = ni + o.redundant; j < o.features; j++) cols[j][i] = rng.normal();
    let y = c;
    if (o.flipY > 0 && rng.next() < o.flipY) y = rng.int(o.classes);
    cols[o.features][i] = y;
  }
}

// ---------------------------------------------------------------- regression

export interface RegressionOptions {
  rows: number;
  features?: number;
  /** Features with a non-zero coefficient (default 10, at most `features`). */
  informative?: number;
  /** Standard deviation of the Gaussian noise on y (default 0). */
  noise?: number;
  bias?: number;
  seed?: number;
  batchRows?: number;
  labelName?: string;
}

class RegressionSource extends SyntheticSource {
  protected readonly rows: number;
  protected readonly batchRows: number;
  protected readonly fields: Field[];
  protected readonly seedValue: number;
  /** The true coefficients: y = x · coef + bias + noise. */
  readonly coef: Float64Array;
  private readonly o: Required<RegressionOptions>;
  constructor(opts: RegressionOptions) {
    super();
    checkRows(opts.rows);
    const features = opts.features ?? 100;
    const o = { rows: opts.rows, features, informative: Math.min(opts.informative ?? 10, features), noise: opts.noise ?? 0, bias: opts.bias ?? 0, seed: opts.seed ?? 0, batchRows: opts.batchRows ?? 65536, labelName: opts.labelName ?? 'label' };
    this.o = o;
    this.rows = o.rows;
    this.batchRows = o.batchRows;
    this.seedValue = mixSeed(o.seed, 0x4e6);
    const rng = new Rng(mixSeed(o.seed, 0xc0ef));
    this.coef = new Float64Array(features);
    for (let j = 0; j < o.informative; j++) this.coef[j] = 100 * rng.next();
    this.fields = [...Array.from({ length: features }, (_, j) => new Field(`f${j}`, new Float32(), false)), new Field(o.labelName, new Float32(), false)];
  }
  override descriptor(): SourceDescriptor {
    return { kind: 'synthetic.regression', args: this.o };
  }
  protected fillRow(_r: number, i: number, cols: (Float32Array | Int32Array)[], rng: Rng): void {
    const o = this.o;
    let y = o.bias;
    for (let j = 0; j < o.features; j++) {
      const v = Math.fround(rng.normal());
      cols[j][i] = v;
      y += v * this.coef[j];
    }
    if (o.noise > 0) y += o.noise * rng.normal();
    cols[o.features][i] = y;
  }
}

// ---------------------------------------------------------------- drifting stream

/** A change of the stream's distribution and/or concept, from row `atRow` on. */
export interface DriftChange {
  atRow: number;
  /** New feature means (covariate drift): one number for all features or one per feature. */
  mean?: number | number[];
  /** New feature standard deviation (default: unchanged). */
  scale?: number;
  /** A new concept: the labelling weights are redrawn from this seed (concept drift). */
  conceptSeed?: number;
  /** Flip the labels of the current concept (classification) or negate y (regression). */
  flip?: boolean;
  /** New class-1 prior shift: added to the decision threshold (classification). */
  threshold?: number;
  /** Rows over which the change blends in linearly (default 0: abrupt). */
  gradual?: number;
}

export interface DriftingOptions {
  rows: number;
  features?: number;
  task?: 'classification' | 'regression';
  /** Label noise: std of the noise added to the score (default 0.1). */
  noise?: number;
  changes?: DriftChange[];
  seed?: number;
  batchRows?: number;
  labelName?: string;
  /** Add an Int32 column 'segment' with the index of the regime that generated each row. */
  emitSegment?: boolean;
}

interface Regime {
  atRow: number;
  gradual: number;
  mean: Float64Array;
  scale: number;
  w: Float64Array;
  threshold: number;
  sign: number;
}

class DriftingSource extends SyntheticSource {
  protected readonly rows: number;
  protected readonly batchRows: number;
  protected readonly fields: Field[];
  protected readonly seedValue: number;
  readonly regimes: readonly Regime[];
  private readonly o: Required<Omit<DriftingOptions, 'changes'>> & { changes: DriftChange[] };
  constructor(opts: DriftingOptions) {
    super();
    checkRows(opts.rows);
    const o = { rows: opts.rows, features: opts.features ?? 10, task: opts.task ?? 'classification', noise: opts.noise ?? 0.1, changes: (opts.changes ?? []).slice().sort((a, b) => a.atRow - b.atRow), seed: opts.seed ?? 0, batchRows: opts.batchRows ?? 65536, labelName: opts.labelName ?? 'label', emitSegment: opts.emitSegment ?? false };
    this.o = o as typeof this.o;
    this.rows = o.rows;
    this.batchRows = o.batchRows;
    this.seedValue = mixSeed(o.seed, 0xd21f7);
    const d = o.features;
    const weights = (seed: number) => {
      const r = new Rng(mixSeed(seed, 0x77));
      const w = Float64Array.from({ length: d }, () => r.normal());
      const norm = Math.hypot(...w) || 1;
      return w.map((v) => v / norm);
    };
    const regimes: Regime[] = [{ atRow: 0, gradual: 0, mean: new Float64Array(d), scale: 1, w: weights(o.seed), threshold: 0, sign: 1 }];
    for (const c of o.changes) {
      if (!(c.atRow >= 0)) throw new DataError('ARGUMENT', `change atRow must be >= 0 (got ${c.atRow})`);
      const p = regimes[regimes.length - 1];
      const mean = c.mean === undefined ? p.mean : typeof c.mean === 'number' ? new Float64Array(d).fill(c.mean) : Float64Array.from({ length: d }, (_, j) => (c.mean as number[])[j] ?? 0);
      regimes.push({
        atRow: c.atRow,
        gradual: Math.max(0, c.gradual ?? 0),
        mean,
        scale: c.scale ?? p.scale,
        w: c.conceptSeed !== undefined ? weights(c.conceptSeed) : p.w,
        threshold: c.threshold ?? p.threshold,
        sign: c.flip ? -p.sign : p.sign,
      });
    }
    this.regimes = regimes;
    this.fields = [
      ...Array.from({ length: d }, (_, j) => new Field(`f${j}`, new Float32(), false)),
      new Field(o.labelName, o.task === 'classification' ? new Int32() : new Float32(), false),
      ...(o.emitSegment ? [new Field('segment', new Int32(), false)] : []),
    ];
  }
  override descriptor(): SourceDescriptor {
    return { kind: 'synthetic.drifting', args: this.o };
  }
  /** The regime index that generates row r (before blending). */
  regimeAt(r: number, u: number): number {
    const R = this.regimes;
    let k = 0;
    while (k + 1 < R.length && r >= R[k + 1].atRow) k++;
    // gradual: within [atRow, atRow + gradual) the new regime is used with probability rising 0 → 1
    const g = R[k].gradual;
    if (k > 0 && g > 0 && r < R[k].atRow + g && u >= (r - R[k].atRow) / g) return k - 1;
    return k;
  }
  protected fillRow(r: number, i: number, cols: (Float32Array | Int32Array)[], rng: Rng): void {
    const o = this.o;
    const k = this.regimeAt(r, rng.next());
    const g = this.regimes[k];
    let s = 0;
    for (let j = 0; j < o.features; j++) {
      const v = Math.fround(g.mean[j] + g.scale * rng.normal());
      cols[j][i] = v;
      s += (v - g.mean[j]) * g.w[j];
    }
    s = g.sign * s + o.noise * rng.normal();
    cols[o.features][i] = o.task === 'classification' ? (s > g.threshold ? 1 : 0) : s;
    if (o.emitSegment) cols[o.features + 1][i] = k;
  }
}

export const synthetic = {
  /** Like scikit-learn's make_classification: informative Gaussian clusters at hypercube vertices, redundant and noise features, class weights, label noise. */
  classification(opts: ClassificationOptions): UnitSource & { meta: ClassificationMeta; generate(start: number, n: number): RecordBatch } {
    return new ClassificationSource(opts);
  },
  /** Like make_regression: y = x · coef + bias + noise, with `informative` non-zero coefficients. */
  regression(opts: RegressionOptions): UnitSource & { coef: Float64Array; generate(start: number, n: number): RecordBatch } {
    return new RegressionSource(opts);
  },
  /** A stream whose feature distribution (mean, scale) and concept (weights, flip, threshold) change at given rows. */
  drifting(opts: DriftingOptions): UnitSource & { regimeAt(r: number, u: number): number; generate(start: number, n: number): RecordBatch } {
    return new DriftingSource(opts);
  },
};

registerSourceKind('synthetic.classification', (a: ClassificationOptions) => new ClassificationSource(a));
registerSourceKind('synthetic.regression', (a: RegressionOptions) => new RegressionSource(a));
registerSourceKind('synthetic.drifting', (a: DriftingOptions) => new DriftingSource(a));
