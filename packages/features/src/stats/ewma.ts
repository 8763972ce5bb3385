import { FeatureError } from '../errors.js';
import type { NumericValues } from './welford.js';

/** Serialised {@link Ewma}. */
export interface EwmaState {
  alpha: number;
  biasCorrection: boolean;
  n: number;
  /** S = Σ α(1−α)^(n−i) x_i over the values seen. */
  s: number;
  /** D = (1−α)^n. */
  d: number;
}

/**
 * Exponentially weighted moving average with smoothing factor α ∈ (0, 1]:
 * S_t = (1 − α) S_{t−1} + α x_t with S_0 = 0 (Roberts 1959, "Control chart tests based on
 * geometric moving averages"). With `biasCorrection` the result is S_t / (1 − (1 − α)^t), the
 * correction of Kingma & Ba (2015, Adam §3) — identical to pandas' `ewm(alpha, adjust=True).mean()`.
 * Without it the result is S_t (zero-initialised, as Adam's uncorrected first moment).
 *
 * Merge: `a.merge(b)` is the EWMA of a's values followed by b's (the order matters: b is the
 * later segment): S = (1 − α)^{n_b} S_a + S_b, D = D_a · D_b — exact, so shards of a time-ordered
 * stream are reduced left to right. Missing values are skipped (they do not decay the average).
 *
 * @example
 * new Ewma({ alpha: 0.5, biasCorrection: true }).update([1, 2, 3]).value; // 2.4285714285714284
 */
export class Ewma {
  readonly alpha: number;
  readonly biasCorrection: boolean;
  n = 0;
  private s = 0;
  private d = 1;

  constructor(opts: { alpha: number; biasCorrection?: boolean }) {
    const a = opts?.alpha;
    if (typeof a !== 'number' || !(a > 0 && a <= 1)) throw new FeatureError('BAD_OPTION', `Ewma: alpha must be a number in (0, 1], got ${String(a)}`);
    this.alpha = a;
    this.biasCorrection = opts.biasCorrection ?? false;
  }

  update(values: NumericValues): this {
    const a = this.alpha;
    const r = 1 - a;
    let { s, d, n } = this;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (x === null || x === undefined || x !== x) continue;
      if (!Number.isFinite(x)) throw new FeatureError('NON_FINITE', `Ewma.update: value ${x} at index ${i} is not finite`);
      s = r * s + a * x;
      d *= r;
      n++;
    }
    this.s = s;
    this.d = d;
    this.n = n;
    return this;
  }

  /** Appends `later` (the stream segment that follows this one). */
  merge(later: Ewma): this {
    if (later.alpha !== this.alpha) throw new FeatureError('INCOMPATIBLE', `Ewma.merge: alpha differs (${this.alpha} vs ${later.alpha})`);
    this.s = later.d * this.s + later.s;
    this.d *= later.d;
    this.n += later.n;
    return this;
  }

  /** The average (NaN before any value). */
  get value(): number {
    if (this.n === 0) return NaN;
    return this.biasCorrection ? this.s / (1 - this.d) : this.s;
  }

  toJSON(): EwmaState {
    return { alpha: this.alpha, biasCorrection: this.biasCorrection, n: this.n, s: this.s, d: this.d };
  }

  static fromJSON(st: EwmaState): Ewma {
    const e = new Ewma({ alpha: st.alpha, biasCorrection: st.biasCorrection });
    e.n = st.n;
    e.s = st.s;
    e.d = st.d;
    return e;
  }
}
