import type { ColumnData } from '../columns.js';
import { FeatureError } from '../errors.js';
import { ChainFitter, validateChain, type Chain, type ChainFitterState } from '../pipeline/chain.js';
import { applyNumeric, compileCategorical } from './apply.js';
import type { CategoricalStep, FittedStep, NumericStep, TransformSpec } from './spec.js';

type Values = ArrayLike<number | null | undefined> | ArrayLike<string | null | undefined>;

function toColumn(values: Values, chain: Chain): ColumnData {
  if (!values || typeof values.length !== 'number') throw new FeatureError('WRONG_TYPE', `transform '${chain.specs[0].type}': values must be an array`, { transform: chain.specs[0].type });
  let str = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string') str = true;
    else if (v !== null && v !== undefined && typeof v !== 'number') throw new FeatureError('WRONG_TYPE', `transform '${chain.specs[0].type}': value at index ${i} is ${typeof v}; expected numbers or strings`, { transform: chain.specs[0].type });
  }
  if (str) {
    if (chain.kind === 'numeric') throw new FeatureError('WRONG_TYPE', `transform '${chain.specs[0].type}' needs numbers, got strings`, { transform: chain.specs[0].type });
    return { kind: 'string', values: Array.from(values as ArrayLike<string | null | undefined>, (v) => v ?? null), type: 'string' };
  }
  const x = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | null | undefined;
    x[i] = v === null || v === undefined ? NaN : v;
  }
  return { kind: 'numeric', values: x, type: 'number' };
}

/**
 * One transform on its own, with the uniform streaming interface: `update(values)` per batch
 * (returns this), `merge(other)` across shards, `finalize()` → a {@link FittedTransform}.
 *
 * @example
 * const s = new Transform({ type: 'standardScale' }).update([1, 2, 3]).update([4]);
 * s.finalize().transform([2.5]); // Float64Array [0]
 */
export class Transform {
  readonly spec: TransformSpec;
  private readonly chain: Chain;
  private readonly fitter: ChainFitter;

  constructor(spec: TransformSpec) {
    this.chain = validateChain({ column: 'value', transforms: [spec] }, 0);
    this.spec = this.chain.specs[0];
    this.fitter = new ChainFitter(this.chain);
  }

  update(values: Values): this {
    this.fitter.update(toColumn(values, this.chain));
    return this;
  }

  merge(other: Transform): this {
    if (other.spec.type !== this.spec.type) throw new FeatureError('INCOMPATIBLE', `Transform.merge: '${this.spec.type}' cannot merge '${other.spec.type}'`);
    this.fitter.merge(other.fitter);
    return this;
  }

  finalize(): FittedTransform {
    return new FittedTransform(this.spec, this.fitter.finalize()[0]);
  }

  /** The fit state (sketches and moments), to merge in another process. */
  toJSON(): { spec: TransformSpec; state: ChainFitterState } {
    return { spec: this.spec, state: this.fitter.toJSON() };
  }

  static fromJSON(s: { spec: TransformSpec; state: ChainFitterState }): Transform {
    const t = new Transform(s.spec);
    t.fitter.loadState(s.state);
    return t;
  }
}

/** A fitted transform: plain-data `step`, and `transform(values)`. */
export class FittedTransform {
  constructor(
    readonly spec: TransformSpec,
    readonly step: FittedStep,
  ) {}

  /** Output columns per value. */
  get width(): number {
    const s = this.step;
    return s.op === 'oneHot' ? s.categories.length + 1 : s.op === 'hash' ? s.nFeatures : 1;
  }

  /**
   * Numeric steps: a Float64Array, one value per input (missing values stay NaN unless imputed).
   * Categorical steps: a Float32Array [n, width] (for 'imputeCategory', use it inside a pipeline).
   */
  transform(values: Values): Float64Array | Float32Array {
    const s = this.step;
    if (s.op === 'imputeCategory') return Float32Array.from([]);
    if (s.op === 'oneHot' || s.op === 'index' || s.op === 'hash') {
      const enc = compileCategorical([s as CategoricalStep], 'value');
      const vals = Array.from(values as ArrayLike<string | number | null | undefined>, (v) => (v === null || v === undefined || v !== v ? null : String(v)));
      const out = new Float32Array(vals.length * enc.width);
      enc.encode(vals, out, enc.width, 0);
      return out;
    }
    const x = Float64Array.from(values as ArrayLike<number | null | undefined>, (v) => (v === null || v === undefined ? NaN : v));
    if (s.op === 'impute') {
      applyNumeric([s as NumericStep], [this.spec.type], x, 'value');
      return x;
    }
    // a lone numeric step keeps missing values missing (NaN) instead of rejecting them
    const finite = x.map((v) => (v !== v ? 0 : v));
    applyNumeric([s as NumericStep], [this.spec.type], finite, 'value');
    for (let i = 0; i < x.length; i++) if (x[i] === x[i]) x[i] = finite[i];
    return x;
  }

  toJSON(): { spec: TransformSpec; step: FittedStep } {
    return { spec: this.spec, step: this.step };
  }

  static fromJSON(j: { spec: TransformSpec; step: FittedStep }): FittedTransform {
    return new FittedTransform(j.spec, j.step);
  }
}
