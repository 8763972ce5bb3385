import { FeatureError } from '../errors.js';
import { decodeF64, encodeF64, num, unnum } from '../util/codec.js';
import type { NumericValues } from '../stats/welford.js';

/** Serialised {@link KllSketch}: each level's items as base64 float64 (level h has weight 2^h). */
export interface KllState {
  k: number;
  n: number;
  min: number | string;
  max: number | string;
  rng: number;
  /** True once any level was compacted (quantiles are approximate from then on). */
  compacted: boolean;
  levels: string[];
}

const C = 2 / 3;
const MIN_WIDTH = 8;

/**
 * KLL quantile sketch (Karnin, Lang & Liberty 2016, "Optimal quantile approximation in streams"),
 * in the form Apache DataSketches implements: a stack of compactors whose capacities shrink
 * geometrically (c = 2/3, at least 8 items) below the top one of capacity k; when the sketch is
 * full, the lowest over-full level is sorted and every other item (random offset) is promoted to
 * the next level with twice the weight. Memory is O(k) items whatever n; total weight is exact.
 *
 * Error: at K = 200 the normalised rank error is about 1.65% at 99% confidence over all ranks
 * (DataSketches' `getNormalizedRankError(200, true)`; 1.33% for a single rank). While n fits the
 * first level no item has been compacted and quantiles are exact, interpolated linearly as
 * NumPy's default (`np.quantile(x, q)`, method 'linear').
 *
 * Merge: levels are concatenated weight by weight, then compacted: the result is a sketch of the
 * union with the same guarantee. The random offsets come from a seeded generator, so the same
 * input gives the same sketch.
 *
 * @example
 * const s = new KllSketch({ k: 200 }).update([5, 1, 4, 2, 3]);
 * s.quantile(0.5); // 3
 * s.rank(2);       // 0.4
 */
export class KllSketch {
  readonly k: number;
  n = 0;
  min = Infinity;
  max = -Infinity;
  /** levels[0] is an unsorted buffer (length `size0`); levels[h ≥ 1] are sorted, weight 2^h. */
  private levels: Float64Array[];
  private size0 = 0;
  private upper = 0;
  private cap = 0;
  private rng: number;
  private compacted = false;

  constructor(opts: { k?: number; seed?: number } = {}) {
    const k = opts.k ?? 200;
    if (!Number.isInteger(k) || k < 8 || k > 65535) throw new FeatureError('BAD_OPTION', `KllSketch: k must be an integer in [8, 65535], got ${String(k)}`);
    this.k = k;
    this.rng = (opts.seed ?? 0x5eed) >>> 0;
    this.levels = [new Float64Array(0)];
    this.recompute();
  }

  private capacity(h: number): number {
    const depth = this.levels.length - 1 - h;
    return Math.max(MIN_WIDTH, Math.ceil(this.k * Math.pow(C, depth)));
  }

  private recompute(): void {
    let s = 0;
    for (let h = 0; h < this.levels.length; h++) s += this.capacity(h);
    this.cap = s;
    if (this.levels[0].length < s) {
      const b = new Float64Array(s);
      b.set(this.levels[0].subarray(0, this.size0));
      this.levels[0] = b;
    }
  }

  private random(): number {
    this.rng = (this.rng + 0x6d2b79f5) >>> 0;
    let t = this.rng;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Items retained (the sketch's size in values). */
  get retained(): number {
    return this.size0 + this.upper;
  }

  /** True while no item has been compacted (quantiles are exact). */
  get isExact(): boolean {
    return !this.compacted;
  }

  /** Adds values (null/undefined/NaN are skipped; ±Infinity throws NON_FINITE). Returns this. */
  update(values: NumericValues): this {
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (x === null || x === undefined || x !== x) continue;
      if (x === Infinity || x === -Infinity) throw new FeatureError('NON_FINITE', `KllSketch.update: value ${x} at index ${i} is not finite`);
      this.add(x);
    }
    return this;
  }

  /** Adds one finite value. */
  add(x: number): void {
    if (this.size0 + this.upper >= this.cap) this.compress();
    this.levels[0][this.size0++] = x;
    this.n++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /**
   * Adds `count` copies of `x` at once, as items of weight 2^h for each bit h of `count` (exact
   * total weight, no loss of accuracy). Used to account for imputed values.
   */
  addRepeated(x: number, count: number): this {
    if (!Number.isInteger(count) || count < 0) throw new FeatureError('BAD_OPTION', `KllSketch.addRepeated: count must be a non-negative integer, got ${count}`);
    if (count === 0) return this;
    if (!Number.isFinite(x)) throw new FeatureError('NON_FINITE', `KllSketch.addRepeated: value ${x} is not finite`);
    let c = count;
    for (let h = 0; c > 0; h++, c = Math.floor(c / 2)) {
      if (c % 2 === 0) continue;
      if (h === 0) {
        if (this.size0 >= this.levels[0].length) {
          const b = new Float64Array(this.levels[0].length * 2 + 8);
          b.set(this.levels[0].subarray(0, this.size0));
          this.levels[0] = b;
        }
        this.levels[0][this.size0++] = x;
        continue;
      }
      while (this.levels.length <= h) this.levels.push(new Float64Array(0));
      this.levels[h] = mergeSorted(this.levels[h], Float64Array.of(x));
      this.upper++;
    }
    this.recompute();
    this.n += count;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    while (this.size0 + this.upper >= this.cap) if (!this.compress()) break;
    return this;
  }

  /** Compacts the lowest over-full level; returns false when no level could be compacted. */
  private compress(): boolean {
    for (let h = 0; h < this.levels.length; h++) {
      const size = h === 0 ? this.size0 : this.levels[h].length;
      if (size < this.capacity(h)) continue;
      if (h + 1 >= this.levels.length) {
        this.levels.push(new Float64Array(0));
        this.recompute();
      }
      let items: Float64Array;
      if (h === 0) {
        items = this.levels[0].slice(0, this.size0).sort();
      } else items = this.levels[h];
      let len = items.length;
      let keep: Float64Array = new Float64Array(0);
      if (len % 2 === 1) {
        keep = Float64Array.of(items[0]);
        items = items.subarray(1);
        len--;
      }
      this.compacted = true;
      const off = this.random() & 1;
      const up = new Float64Array(len >> 1);
      for (let i = off, j = 0; i < len; i += 2, j++) up[j] = items[i];
      if (h === 0) {
        this.levels[0].set(keep);
        this.size0 = keep.length;
      } else {
        this.upper -= this.levels[h].length - keep.length;
        this.levels[h] = keep;
      }
      this.levels[h + 1] = mergeSorted(this.levels[h + 1], up);
      this.upper += up.length;
      return true;
    }
    return false;
  }

  /** Folds `other` in: a sketch of the union of both streams. */
  merge(other: KllSketch): this {
    if (other.k !== this.k) throw new FeatureError('INCOMPATIBLE', `KllSketch.merge: k differs (${this.k} vs ${other.k})`);
    if (other.n === 0) return this;
    if (other.compacted) this.compacted = true;
    while (this.levels.length < other.levels.length) this.levels.push(new Float64Array(0));
    for (let h = 1; h < other.levels.length; h++) {
      if (other.levels[h].length === 0) continue;
      this.levels[h] = mergeSorted(this.levels[h], other.levels[h]);
      this.upper += other.levels[h].length;
    }
    this.recompute();
    const o0 = other.levels[0].subarray(0, other.size0);
    if (this.size0 + o0.length > this.levels[0].length) {
      const b = new Float64Array(this.size0 + o0.length);
      b.set(this.levels[0].subarray(0, this.size0));
      this.levels[0] = b;
    }
    this.levels[0].set(o0, this.size0);
    this.size0 += o0.length;
    this.n += other.n;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    while (this.size0 + this.upper >= this.cap) if (!this.compress()) break;
    return this;
  }

  /** The retained items sorted by value, with their weights. */
  sortedView(): { values: Float64Array; cumWeights: Float64Array } {
    const total = this.retained;
    const vals = new Float64Array(total);
    const wts = new Float64Array(total);
    let t = 0;
    for (let h = 0; h < this.levels.length; h++) {
      const l = h === 0 ? this.levels[0].subarray(0, this.size0) : this.levels[h];
      const w = 2 ** h;
      for (let i = 0; i < l.length; i++, t++) {
        vals[t] = l[i];
        wts[t] = w;
      }
    }
    const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => vals[a] - vals[b] || a - b);
    const values = new Float64Array(total);
    const cumWeights = new Float64Array(total);
    let c = 0;
    for (let i = 0; i < total; i++) {
      values[i] = vals[order[i]];
      c += wts[order[i]];
      cumWeights[i] = c;
    }
    return { values, cumWeights };
  }

  /**
   * The q-quantile, 0 ≤ q ≤ 1 (min and max at the ends). Exact (NumPy 'linear', over the weighted
   * items) while no level was compacted; otherwise the smallest retained item whose cumulative
   * weight reaches q·n.
   */
  quantile(q: number): number {
    return this.quantiles([q])[0];
  }

  /** Several quantiles from one sorted view. */
  quantiles(qs: readonly number[]): number[] {
    if (this.n === 0) throw new FeatureError('NOT_FITTED', 'KllSketch.quantile: the sketch is empty');
    for (const q of qs) if (!(q >= 0 && q <= 1)) throw new FeatureError('BAD_OPTION', `KllSketch.quantile: q must be in [0, 1], got ${q}`);
    const { values, cumWeights } = this.sortedView();
    const exact = !this.compacted;
    // the value of 0-based rank r in the (weighted) sorted sample
    const at = (r: number): number => {
      let a = 0;
      let b = values.length - 1;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (cumWeights[mid] > r) b = mid;
        else a = mid + 1;
      }
      return values[a];
    };
    return qs.map((q) => {
      if (q <= 0) return this.min;
      if (q >= 1) return this.max;
      if (exact) {
        const pos = q * (this.n - 1);
        const lo = Math.floor(pos);
        const f = pos - lo;
        const vlo = at(lo);
        return f === 0 ? vlo : vlo + (at(Math.min(lo + 1, this.n - 1)) - vlo) * f;
      }
      const target = q * this.n;
      let a = 0;
      let b = values.length - 1;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (cumWeights[mid] >= target) b = mid;
        else a = mid + 1;
      }
      return values[a];
    });
  }

  /** Estimated fraction of values ≤ x. */
  rank(x: number): number {
    if (this.n === 0) throw new FeatureError('NOT_FITTED', 'KllSketch.rank: the sketch is empty');
    let w = 0;
    for (let h = 0; h < this.levels.length; h++) {
      const l = h === 0 ? this.levels[0].subarray(0, this.size0) : this.levels[h];
      let c = 0;
      for (let i = 0; i < l.length; i++) if (l[i] <= x) c++;
      w += c * 2 ** h;
    }
    return w / this.n;
  }

  /** A copy whose items are mapped through a non-decreasing function (quantiles commute with it). */
  mapMonotone(f: (x: number) => number): KllSketch {
    const o = KllSketch.fromJSON(this.toJSON());
    for (let h = 0; h < o.levels.length; h++) {
      const l = o.levels[h];
      const len = h === 0 ? o.size0 : l.length;
      for (let i = 0; i < len; i++) l[i] = f(l[i]);
    }
    if (o.n > 0) {
      o.min = f(o.min);
      o.max = f(o.max);
    }
    return o;
  }

  toJSON(): KllState {
    return {
      k: this.k,
      n: this.n,
      min: num(this.min),
      max: num(this.max),
      rng: this.rng,
      compacted: this.compacted,
      levels: this.levels.map((l, h) => encodeF64(h === 0 ? l.slice(0, this.size0) : l)),
    };
  }

  static fromJSON(s: KllState): KllSketch {
    const o = new KllSketch({ k: s.k, seed: s.rng });
    o.levels = s.levels.map((l) => decodeF64(l));
    if (o.levels.length === 0) o.levels = [new Float64Array(0)];
    o.size0 = o.levels[0].length;
    o.upper = o.levels.reduce((a, l, h) => a + (h === 0 ? 0 : l.length), 0);
    o.n = s.n;
    o.min = unnum(s.min);
    o.max = unnum(s.max);
    o.rng = s.rng;
    o.compacted = s.compacted;
    o.recompute();
    return o;
  }
}

function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a;
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let t = 0;
  while (i < a.length && j < b.length) out[t++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[t++] = a[i++];
  while (j < b.length) out[t++] = b[j++];
  return out;
}
