import { FeatureError } from '../errors.js';
import { num, unnum } from '../util/codec.js';

/** Serialised {@link RunningStats}. */
export interface RunningStatsState {
  n: number;
  mean: number;
  m2: number;
  min: number | string;
  max: number | string;
  nulls: number;
}

/** Values a numeric statistic accepts: `null`, `undefined` and NaN count as missing. */
export type NumericValues = ArrayLike<number | null | undefined>;

/**
 * Count, mean, variance, min, max and null count in one pass with O(1) memory.
 *
 * Update: Welford (1962), "Note on a method for calculating corrected sums of squares and
 * products": for each x, n += 1; d = x − mean; mean += d / n; M2 += d · (x − mean).
 * Merge: Chan, Golub & LeVeque (1979), "Updating formulae and a pairwise algorithm for computing
 * sample variances": with d = mean_b − mean_a, n = n_a + n_b,
 * mean = mean_a + d · n_b / n and M2 = M2_a + M2_b + d² · n_a · n_b / n.
 * Missing values (null, undefined, NaN) are counted in `nulls` and otherwise ignored; ±Infinity
 * throws NON_FINITE (it has no mean).
 *
 * @example
 * const s = new RunningStats().update([1, 2, 3, null]);
 * s.mean;      // 2
 * s.variance;  // 0.6666666666666666 (population, ddof = 0)
 * s.nulls;     // 1
 */
export class RunningStats {
  n = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  nulls = 0;

  /** Adds values (missing ones count as nulls). Returns this. */
  update(values: NumericValues): this {
    let { n, mean, m2, min, max, nulls } = this;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (x === null || x === undefined || x !== x) {
        nulls++;
        continue;
      }
      if (x === Infinity || x === -Infinity) {
        Object.assign(this, { n, mean, m2, min, max, nulls });
        throw new FeatureError('NON_FINITE', `RunningStats.update: value ${x} at index ${i} is not finite (missing values are null or NaN)`);
      }
      n++;
      const d = x - mean;
      mean += d / n;
      m2 += d * (x - mean);
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.n = n;
    this.mean = mean;
    this.m2 = m2;
    this.min = min;
    this.max = max;
    this.nulls = nulls;
    return this;
  }

  /** Adds `count` copies of `x` at once (exact: a block with mean x and M2 0, merged by Chan). */
  updateRepeated(x: number, count: number): this {
    if (count <= 0) return this;
    const o = new RunningStats();
    o.n = count;
    o.mean = x;
    o.min = x;
    o.max = x;
    return this.merge(o);
  }

  /** Folds `other` in (Chan et al. 1979). Equivalent to having updated with both streams. */
  merge(other: RunningStats): this {
    this.nulls += other.nulls;
    if (other.n === 0) return this;
    if (this.n === 0) {
      this.n = other.n;
      this.mean = other.mean;
      this.m2 = other.m2;
      this.min = other.min;
      this.max = other.max;
      return this;
    }
    const n = this.n + other.n;
    const d = other.mean - this.mean;
    this.mean += (d * other.n) / n;
    this.m2 += other.m2 + (d * d * this.n * other.n) / n;
    this.n = n;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** Population variance (ddof = 0, as NumPy's and scikit-learn's StandardScaler); 0 when empty. */
  get variance(): number {
    return this.n > 0 ? this.m2 / this.n : 0;
  }
  /** Sample variance (ddof = 1); NaN below 2 values. */
  get sampleVariance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : NaN;
  }
  get std(): number {
    return Math.sqrt(this.variance);
  }
  /** Values seen, missing ones included. */
  get total(): number {
    return this.n + this.nulls;
  }

  /** Applies y = a·x + b to the summarised values (exact for moments; a < 0 swaps min and max). */
  affine(a: number, b: number): RunningStats {
    const o = new RunningStats();
    o.n = this.n;
    o.nulls = this.nulls;
    if (this.n === 0) return o;
    o.mean = a * this.mean + b;
    o.m2 = a * a * this.m2;
    const lo = a * this.min + b;
    const hi = a * this.max + b;
    o.min = Math.min(lo, hi);
    o.max = Math.max(lo, hi);
    return o;
  }

  clone(): RunningStats {
    return RunningStats.fromJSON(this.toJSON());
  }

  toJSON(): RunningStatsState {
    return { n: this.n, mean: this.mean, m2: this.m2, min: num(this.min), max: num(this.max), nulls: this.nulls };
  }

  static fromJSON(s: RunningStatsState): RunningStats {
    const o = new RunningStats();
    o.n = s.n;
    o.mean = s.mean;
    o.m2 = s.m2;
    o.min = unnum(s.min);
    o.max = unnum(s.max);
    o.nulls = s.nulls;
    return o;
  }
}
