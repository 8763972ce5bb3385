import type { Gpu } from '@gantry/gpu';
import { DeviceNet } from '../core/device-net.js';
import { checkWeights, cloneWeights, hostForward, initWeights, type NetworkSpec, type NetworkWeights } from '../core/network.js';
import { ModelError, badOption, num } from '../errors.js';
import { checkPipeline, isRawRows, type FeaturePipelineLike } from '../pipeline.js';
import { isStream, normaliseArrays, toMatrix, type ArrayData, type TrainingData } from '../train/data.js';
import { predictedClass } from '../train/metrics.js';
import { devicePredict, train, type FitOptions, type FitResult } from '../train/trainer.js';
import { streamCols } from '../train/data.js';

export type ModelKind = 'linear' | 'logistic' | 'softmax' | 'mlp';
export type Task = 'regression' | 'binary' | 'multiclass';

/** Class weights: one per class, or 'balanced' (n / (k · count), scikit-learn's rule; in-memory data only). */
export type ClassWeight = number[] | 'balanced';

/** Everything that defines a fitted model, as plain data (what an artifact stores). */
export interface ModelState {
  kind: ModelKind;
  hyperParameters: Record<string, unknown>;
  spec: NetworkSpec;
  weights: NetworkWeights;
  inputNames: string[];
  training?: FitResult;
  createdAt: string;
  pipeline?: FeaturePipelineLike;
}

/** Input to predict: features (Float32Array row-major, number[][], {x, rows, cols}) or raw rows when a pipeline is attached. */
export type PredictInput = Float32Array | ArrayLike<number> | ArrayLike<number>[] | { x: ArrayLike<number>; rows?: number; cols?: number } | Record<string, unknown>[];

/**
 * The base of every model: a network spec, its host weights once fitted, an optional feature
 * pipeline. Training and batch prediction run on a Gpu; `predictRow` runs on the host (no device
 * round trip: microseconds).
 */
export abstract class Model {
  abstract readonly kind: ModelKind;
  abstract readonly task: Task;
  protected state?: { spec: NetworkSpec; weights: NetworkWeights; inputNames: string[]; training?: FitResult; createdAt: string };
  private pipe?: FeaturePipelineLike;
  private device = new WeakMap<Gpu, DeviceNet>();

  /** The options this model was built with (validated), as stored in model.json. */
  abstract get hyperParameters(): Record<string, unknown>;

  /** The network for `cols` inputs and the labels seen (in-memory data) or declared. */
  protected abstract buildSpec(cols: number, y?: Float32Array): NetworkSpec;
  /** Class weights resolved against the labels (undefined: none). */
  protected classWeights(_spec: NetworkSpec, _y?: Float32Array): number[] | undefined {
    return undefined;
  }
  protected abstract get l2(): number;
  /** Linear models start from zeros (a convex loss), networks from a seeded random init. */
  protected get zeroInit(): boolean {
    return true;
  }

  get isFitted(): boolean {
    return !!this.state;
  }

  /** The fitted network (throws NOT_FITTED before fit). */
  get spec(): NetworkSpec {
    return this.fitted('spec').spec;
  }

  /** A copy of the fitted weights. */
  get weights(): NetworkWeights {
    return cloneWeights(this.fitted('weights').weights);
  }

  get inputNames(): string[] {
    return [...this.fitted('inputNames').inputNames];
  }

  /** What the last fit did (epochs, losses, validation metric, data hash). */
  get training(): FitResult | undefined {
    return this.state?.training;
  }

  get createdAt(): string | undefined {
    return this.state?.createdAt;
  }

  get pipeline(): FeaturePipelineLike | undefined {
    return this.pipe;
  }

  /** Number of classes (classification) or 1. */
  get classes(): number {
    const s = this.fitted('classes').spec;
    return s.head === 'sigmoid' ? 2 : s.head === 'softmax' ? s.outputs : 1;
  }

  /**
   * Attaches a fitted feature pipeline: predict then takes raw rows, and artifacts carry it.
   * Its output width must match the model's input (checked at fit, or now when fitted).
   */
  attachPipeline(pipeline: FeaturePipelineLike): this {
    const p = checkPipeline(pipeline);
    if (this.state && p.outputWidth !== this.state.spec.inputWidth) {
      throw new ModelError('SHAPE_MISMATCH', `pipeline outputWidth ${p.outputWidth} does not match the model's ${this.state.spec.inputWidth} inputs`);
    }
    this.pipe = p;
    return this;
  }

  /**
   * Trains on `data` (in-memory `{ x, y }` or a stream of batches such as a DataLoader) on `gpu`.
   * Refitting starts over from a fresh init. Returns what the fit did.
   */
  async fit(gpu: Gpu, data: TrainingData, options: FitOptions = {}): Promise<FitResult> {
    let cols: number;
    let y: Float32Array | undefined;
    let featureNames: string[] | undefined;
    if (isStream(data)) {
      ({ cols, featureNames } = await streamCols(data));
    } else {
      const d = normaliseArrays(data as ArrayData);
      cols = d.cols;
      y = d.y;
      featureNames = d.featureNames;
      data = { x: d.x, y: d.y, rows: d.rows, cols: d.cols };
    }
    if (this.pipe && this.pipe.outputWidth !== cols) throw new ModelError('SHAPE_MISMATCH', `the attached pipeline outputs ${this.pipe.outputWidth} features but the data has ${cols} columns`);
    featureNames ??= this.pipe ? [...this.pipe.outputNames] : undefined;
    const spec = this.buildSpec(cols, y);
    const seed = num('seed', options.seed ?? 0, { min: 0, max: 2 ** 32 - 1, int: true });
    const init = initWeights(spec, seed, this.zeroInit);
    const { weights, result } = await train(gpu, { spec, init, l2: this.l2, classWeights: this.classWeights(spec, y), featureNames }, data, options);
    this.setState({ spec, weights, inputNames: featureNames ?? Array.from({ length: cols }, (_, i) => `x${i}`), training: result, createdAt: new Date().toISOString() });
    return result;
  }

  /** @internal sets the fitted state (fit, or an artifact being loaded). */
  _restore(s: { spec: NetworkSpec; weights: NetworkWeights; inputNames: string[]; training?: FitResult; createdAt: string }, pipeline?: FeaturePipelineLike): this {
    checkWeights(s.spec, s.weights);
    this.setState(s);
    if (pipeline) this.attachPipeline(pipeline);
    return this;
  }

  private setState(s: NonNullable<Model['state']>): void {
    this.state = s;
    this.device = new WeakMap();
  }

  /**
   * Head outputs for any number of rows on the device, chunked to its limits: the value
   * (regression), P(class 1) (binary) or class probabilities, `outputs` per row.
   */
  async outputs(gpu: Gpu, input: PredictInput): Promise<{ data: Float32Array; rows: number }> {
    const st = this.fitted('predict');
    const m = this.features(input);
    let net = this.device.get(gpu);
    if (!net) {
      net = new DeviceNet(gpu, st.spec, st.weights);
      this.device.set(gpu, net);
    }
    return { data: await devicePredict(gpu, net, m.x, m.rows), rows: m.rows };
  }

  /** Predicted values (regression) or class indices (classification), one per row. */
  async predict(gpu: Gpu, input: PredictInput): Promise<Float32Array> {
    const { data, rows } = await this.outputs(gpu, input);
    return this.toPredictions(data, rows);
  }

  /** Class probabilities, row-major [rows, classes] (binary: [P(0), P(1)] per row). */
  async predictProba(gpu: Gpu, input: PredictInput): Promise<Float32Array> {
    this.needsClassifier('predictProba');
    const { data, rows } = await this.outputs(gpu, input);
    return this.toProba(data, rows);
  }

  /** The low-latency path: one row on the host in f64, no device round trip. */
  predictRow(row: ArrayLike<number> | Record<string, unknown>): number {
    const st = this.fitted('predictRow');
    const out = hostForward(st.spec, st.weights, this.rowFeatures(row), 1);
    return this.toPredictions(out, 1)[0];
  }

  /** Class probabilities of one row, on the host. */
  predictProbaRow(row: ArrayLike<number> | Record<string, unknown>): Float32Array {
    this.needsClassifier('predictProbaRow');
    const st = this.fitted('predictProbaRow');
    return this.toProba(hostForward(st.spec, st.weights, this.rowFeatures(row), 1), 1);
  }

  /** Frees the device copies of the weights held for `gpu` (they are re-uploaded on the next predict). */
  release(gpu: Gpu): void {
    this.device.get(gpu)?.dispose();
    this.device.delete(gpu);
  }

  /** @internal */
  fitted(op: string): NonNullable<Model['state']> {
    if (!this.state) throw new ModelError('NOT_FITTED', `${op}: this ${this.kind} model is not fitted; call fit(gpu, data) or load an artifact first`);
    return this.state;
  }

  private rowFeatures(row: ArrayLike<number> | Record<string, unknown>): ArrayLike<number> {
    const cols = this.state!.spec.inputWidth;
    if (row && typeof row === 'object' && !ArrayBuffer.isView(row) && !Array.isArray(row)) {
      if (!this.pipe) throw new ModelError('BAD_DATA', 'a raw row (an object) needs an attached feature pipeline; pass the feature values as an array instead');
      return this.pipe.transformRow(row as Record<string, unknown>);
    }
    const r = row as ArrayLike<number>;
    if (!r || r.length !== cols) throw new ModelError('SHAPE_MISMATCH', `row has ${r?.length} values but the model takes ${cols} features`);
    return r;
  }

  private features(input: PredictInput): { x: Float32Array; rows: number } {
    const cols = this.state!.spec.inputWidth;
    if (isRawRows(input)) {
      if (!this.pipe) throw new ModelError('BAD_DATA', 'raw rows (objects) need an attached feature pipeline; pass feature values (Float32Array or number[][]) instead');
      const x = this.pipe.transformBatch(input);
      if (x.length !== input.length * cols) throw new ModelError('SHAPE_MISMATCH', `the pipeline produced ${x.length} values for ${input.length} rows, expected ${cols} per row`);
      return { x, rows: input.length };
    }
    return toMatrix(input, cols, 'x');
  }

  private toPredictions(out: ArrayLike<number>, rows: number): Float32Array {
    const s = this.state!.spec;
    const res = new Float32Array(rows);
    for (let r = 0; r < rows; r++) res[r] = s.head === 'identity' ? out[r] : predictedClass(out, r, s.head, s.outputs);
    return res;
  }

  private toProba(out: ArrayLike<number>, rows: number): Float32Array {
    const s = this.state!.spec;
    if (s.head === 'softmax') return Float32Array.from(out as ArrayLike<number>);
    const res = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      res[2 * r] = 1 - out[r];
      res[2 * r + 1] = out[r];
    }
    return res;
  }

  private needsClassifier(op: string): void {
    if (this.task === 'regression') throw new ModelError('BAD_OPTION', `${op}: a regression model has no class probabilities; use predict`);
  }
}

/** @internal resolves class weights against in-memory labels. */
export function resolveClassWeight(cw: ClassWeight | undefined, k: number, y: Float32Array | undefined, field = 'classWeight'): number[] | undefined {
  if (cw === undefined) return undefined;
  if (cw === 'balanced') {
    if (!y) throw badOption(field, "explicit weights for a stream ('balanced' needs in-memory labels)", cw);
    const counts = new Float64Array(k);
    for (const v of y) counts[v >= 0 && v < k ? Math.floor(v) : 0]++;
    return Array.from(counts, (c) => (c > 0 ? y.length / (k * c) : 0));
  }
  if (!Array.isArray(cw) || cw.length !== k || cw.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
    throw badOption(field, `'balanced' or ${k} non-negative numbers (one per class)`, cw);
  }
  return [...cw];
}

/** @internal class count of in-memory labels (max + 1), or the declared one. */
export function resolveClasses(declared: number | undefined, y: Float32Array | undefined, min: number, field = 'classes'): number {
  if (declared !== undefined) return num(field, declared, { min, int: true });
  if (!y) throw badOption(field, `given (an integer ≥ ${min}) when training on a stream`, declared);
  let m = 0;
  for (const v of y) if (v > m) m = v;
  return Math.max(min, Math.floor(m) + 1);
}
