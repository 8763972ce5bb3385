import { mulberry32 } from '../drift/energy.js';
import { MonitorError } from '../errors.js';

export interface KllState {
  k: number;
  n: number;
  min: number;
  max: number;
  seed: number;
  /** levels[h] holds items of weight 2^h. */
  levels: number[][];
}

/**
 * KLL quantile sketch (Karnin, Lang & Liberty 2016, "Optimal Quantile Approximation in
 * Streams"), the lazy variant of Liberty's reference implementation: level capacities shrink
 * geometrically (c = 2/3) below the top, a full level is sorted and every other item promoted.
 * Memory is O(k) items whatever n. Rank error: |rank̂(x) − rank(x)| ≤ ε·n with ε ≈ 2/k at
 * high probability (KLL Theorem 1 up to constants; k = 1024 → ε ≈ 0.2%, measured in the tests).
 * Total weight is preserved exactly, so counts below a value are exact while n ≤ the first level.
 */
export class KllSketch {
  readonly k: number;
  n = 0;
  min = Infinity;
  max = -Infinity;
  private levels: number[][] = [[]];
  private size = 0;
  private maxSize = 0;
  private seed: number;
  private rnd: () => number;

  constructor(k = 1024, seed = 0x5eed) {
    if (!Number.isInteger(k) || k < 8) throw new MonitorError('INVALID_OPTION', `KllSketch: k must be an integer ≥ 8, got ${k}`);
    this.k = k;
    this.seed = seed >>> 0;
    this.rnd = mulberry32(this.seed);
    this.maxSize = this.capacity(0);
  }

  private capacity(h: number): number {
    const depth = this.levels.length - h - 1;
    return Math.max(2, Math.ceil(this.k * Math.pow(2 / 3, depth)) + 1);
  }

  private recomputeMaxSize(): void {
    let s = 0;
    for (let h = 0; h < this.levels.length; h++) s += this.capacity(h);
    this.maxSize = s;
  }

  /** Adds one finite value. */
  update(x: number): this {
    this.levels[0].push(x);
    this.n++;
    this.size++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.size >= this.maxSize) this.compress();
    return this;
  }

  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      if (this.levels[h].length >= this.capacity(h)) {
        if (h + 1 >= this.levels.length) {
          this.levels.push([]);
          this.recomputeMaxSize();
        }
        const sorted = Float64Array.from(this.levels[h]).sort();
        const keep: number[] = [];
        let len = sorted.length;
        if (len % 2 === 1) {
          keep.push(sorted[len - 1]);
          len -= 1;
        }
        const offset = this.rnd() < 0.5 ? 0 : 1;
        const up = this.levels[h + 1];
        for (let i = offset; i < len; i += 2) up.push(sorted[i]);
        this.levels[h] = keep;
        this.size = this.levels.reduce((s, l) => s + l.length, 0);
        if (this.size < this.maxSize) break;
      }
    }
  }

  /** Folds `other` into this sketch (both must share k). */
  merge(other: KllSketch): this {
    if (other.k !== this.k) throw new MonitorError('INVALID_OPTION', `KllSketch.merge: k differs (${this.k} vs ${other.k})`);
    while (this.levels.length < other.levels.length) {
      this.levels.push([]);
    }
    this.recomputeMaxSize();
    for (let h = 0; h < other.levels.length; h++) for (const v of other.levels[h]) this.levels[h].push(v);
    this.n += other.n;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.size = this.levels.reduce((s, l) => s + l.length, 0);
    while (this.size >= this.maxSize) {
      const before = this.size;
      this.compress();
      if (this.size === before) break;
    }
    return this;
  }

  /** Retained items sorted, with their weights: the sketch's estimate of the sample. */
  weightedItems(): { values: Float64Array; weights: Float64Array } {
    const total = this.levels.reduce((s, l) => s + l.length, 0);
    const pairs: [number, number][] = new Array(total);
    let t = 0;
    for (let h = 0; h < this.levels.length; h++) for (const v of this.levels[h]) pairs[t++] = [v, 2 ** h];
    pairs.sort((a, b) => a[0] - b[0]);
    return { values: Float64Array.from(pairs, (p) => p[0]), weights: Float64Array.from(pairs, (p) => p[1]) };
  }

  /** Approximate q-quantile (0 ≤ q ≤ 1); exact min and max at the ends. */
  quantile(q: number): number {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', 'KllSketch.quantile: the sketch is empty');
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const { values, weights } = this.weightedItems();
    const target = q * this.n;
    let cum = 0;
    for (let i = 0; i < values.length; i++) {
      cum += weights[i];
      if (cum >= target) return values[i];
    }
    return this.max;
  }

  toJSON(): KllState {
    return { k: this.k, n: this.n, min: this.min, max: this.max, seed: this.seed, levels: this.levels.map((l) => [...l]) };
  }

  static fromJSON(s: KllState): KllSketch {
    const sk = new KllSketch(s.k, s.seed);
    sk.levels = s.levels.map((l) => [...l]);
    sk.n = s.n;
    sk.min = s.n === 0 ? Infinity : s.min;
    sk.max = s.n === 0 ? -Infinity : s.max;
    sk.size = sk.levels.reduce((a, l) => a + l.length, 0);
    sk.recomputeMaxSize();
    return sk;
  }
}
