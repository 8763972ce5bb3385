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

/** Below this many items an insertion sort beats the native typed-array sort's call overhead. */
const INSERTION_SORT_MAX = 64;

/** True when a sorts after b in Float64Array.prototype.sort order (numeric, −0 before +0). */
function after(a: number, b: number): boolean {
  return a > b || (a === 0 && b === 0 && 1 / a > 0 && 1 / b < 0);
}

/**
 * Sorts b[0..n) ascending, in place, into exactly the order `b.subarray(0, n).sort()` gives
 * (values are finite; equal values are indistinguishable except ±0, which is ordered as the
 * native sort orders it).
 */
function sortPrefix(b: Float64Array, n: number): void {
  if (n > INSERTION_SORT_MAX) {
    b.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = b[i];
    let j = i - 1;
    while (j >= 0 && after(b[j], x)) {
      b[j + 1] = b[j];
      j--;
    }
    b[j + 1] = x;
  }
}

let mergeTmp = new Float64Array(1024);

/**
 * Sorts b[0..n), which is a concatenation of ascending runs starting at `starts` (starts[0] = 0),
 * by pairwise merging: the same order as sortPrefix (ties between −0 and +0 as the native sort).
 */
function mergeRuns(b: Float64Array, n: number, starts: number[]): void {
  if (starts.length <= 1) return;
  if (mergeTmp.length < n) mergeTmp = new Float64Array(Math.max(n, mergeTmp.length * 2));
  const tmp = mergeTmp;
  let bounds = starts.slice();
  bounds.push(n);
  // bounds = [start of run 0, …, start of run r−1, n]; merge runs pairwise until one is left.
  while (bounds.length > 2) {
    const next: number[] = [];
    let r = 0;
    for (; r + 2 < bounds.length; r += 2) {
      const lo = bounds[r];
      const mid = bounds[r + 1];
      const hi = bounds[r + 2];
      next.push(lo);
      let i = lo;
      let j = mid;
      let t = lo;
      while (i < mid && j < hi) {
        const x = b[i];
        const y = b[j];
        if (after(x, y)) {
          tmp[t++] = y;
          j++;
        } else {
          tmp[t++] = x;
          i++;
        }
      }
      while (i < mid) tmp[t++] = b[i++];
      while (j < hi) tmp[t++] = b[j++];
      b.set(tmp.subarray(lo, hi), lo);
    }
    if (r < bounds.length - 1) next.push(bounds[r]);
    next.push(n);
    bounds = next;
  }
}

/**
 * KLL quantile sketch (Karnin, Lang & Liberty 2016, "Optimal Quantile Approximation in
 * Streams"), the lazy variant of Liberty's reference implementation: level capacities shrink
 * geometrically (c = 2/3) below the top, a full level is sorted and every other item promoted.
 * Memory is O(k) items whatever n. Rank error: |rank̂(x) − rank(x)| ≤ ε·n with ε ≈ 2/k at
 * high probability (KLL Theorem 1 up to constants; k = 1024 → ε ≈ 0.2%, measured in the tests).
 * Total weight is preserved exactly, so counts below a value are exact while n ≤ the first level.
 *
 * Levels are typed-array buffers; `updateMany` appends a chunk to level 0 in bulk, and a level
 * above 0 is sorted by merging the ascending runs it received, so bulk and per-value updates give
 * identical sketches (same compactions, same random draws) at a fraction of the cost.
 */
export class KllSketch {
  readonly k: number;
  n = 0;
  min = Infinity;
  max = -Infinity;
  /** bufs[h].subarray(0, lens[h]) holds the items of weight 2^h (buffers grow geometrically). */
  private bufs: Float64Array[] = [];
  private lens: number[] = [];
  /** capacity(h) for the current number of levels. */
  private caps: number[] = [];
  /** Per level, the starts of its ascending runs (promoted items arrive sorted), or null when unknown (level 0, merged or loaded levels). */
  private runs: (number[] | null)[] = [];
  private size = 0;
  private maxSize = 0;
  private seed: number;
  private rnd: () => number;

  constructor(k = 1024, seed = 0x5eed) {
    if (!Number.isInteger(k) || k < 8) throw new MonitorError('INVALID_OPTION', `KllSketch: k must be an integer ≥ 8, got ${k}`);
    this.k = k;
    this.seed = seed >>> 0;
    this.rnd = mulberry32(this.seed);
    this.addLevel();
  }

  private addLevel(): void {
    this.bufs.push(new Float64Array(this.bufs.length === 0 ? 64 : 16));
    this.runs.push(this.lens.length === 0 ? null : []);
    this.lens.push(0);
    this.recomputeMaxSize();
  }

  private recomputeMaxSize(): void {
    const L = this.lens.length;
    let s = 0;
    for (let h = 0; h < L; h++) {
      const depth = L - h - 1;
      const c = Math.max(2, Math.ceil(this.k * Math.pow(2 / 3, depth)) + 1);
      this.caps[h] = c;
      s += c;
    }
    this.caps.length = L;
    this.maxSize = s;
  }

  /** Makes room for `extra` more items at level h. */
  private reserve(h: number, extra: number): Float64Array {
    const b = this.bufs[h];
    const need = this.lens[h] + extra;
    if (need <= b.length) return b;
    const nb = new Float64Array(Math.max(need, b.length * 2));
    nb.set(b.subarray(0, this.lens[h]));
    this.bufs[h] = nb;
    return nb;
  }

  /** Adds one finite value. */
  update(x: number): this {
    const b = this.reserve(0, 1);
    b[this.lens[0]++] = x;
    this.n++;
    this.size++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.size >= this.maxSize) this.compress();
    return this;
  }

  /**
   * Adds xs[from..to) (finite values), in order. The resulting sketch is identical to calling
   * `update` on each value: values are appended to level 0 in bulk up to the point where a single
   * update would compact, and the same compactions (with the same random draws) happen there.
   */
  updateMany(xs: ArrayLike<number>, from = 0, to = xs.length): this {
    let i = from;
    const typed = ArrayBuffer.isView(xs) && !(xs instanceof DataView);
    let min = this.min;
    let max = this.max;
    while (i < to) {
      const m = Math.min(to - i, Math.max(1, this.maxSize - this.size));
      const b = this.reserve(0, m);
      const at = this.lens[0];
      if (typed) b.set((xs as unknown as Float64Array).subarray(i, i + m), at);
      else for (let j = 0; j < m; j++) b[at + j] = xs[i + j];
      for (let j = at, e = at + m; j < e; j++) {
        const v = b[j];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      this.lens[0] = at + m;
      this.n += m;
      this.size += m;
      i += m;
      if (this.size >= this.maxSize) this.compress();
    }
    this.min = min;
    this.max = max;
    return this;
  }

  private compress(): void {
    for (let h = 0; h < this.lens.length; h++) {
      const len0 = this.lens[h];
      if (len0 >= this.caps[h]) {
        if (h + 1 >= this.lens.length) this.addLevel();
        const sorted = this.bufs[h];
        const runs = this.runs[h];
        if (runs) mergeRuns(sorted, len0, runs);
        else sortPrefix(sorted, len0);
        let len = len0;
        const odd = len % 2 === 1;
        if (odd) len -= 1;
        const offset = this.rnd() < 0.5 ? 0 : 1;
        const up = this.reserve(h + 1, len >> 1);
        let u = this.lens[h + 1];
        const upRuns = this.runs[h + 1];
        if (upRuns && len > offset) upRuns.push(u);
        for (let i = offset; i < len; i += 2) up[u++] = sorted[i];
        this.lens[h + 1] = u;
        if (odd) this.bufs[h][0] = sorted[len];
        this.lens[h] = odd ? 1 : 0;
        if (h > 0) this.runs[h] = odd ? [0] : [];
        let s = 0;
        for (let j = 0; j < this.lens.length; j++) s += this.lens[j];
        this.size = s;
        if (this.size < this.maxSize) break;
      }
    }
  }

  /** Folds `other` into this sketch (both must share k). */
  merge(other: KllSketch): this {
    if (other.k !== this.k) throw new MonitorError('INVALID_OPTION', `KllSketch.merge: k differs (${this.k} vs ${other.k})`);
    while (this.lens.length < other.lens.length) this.addLevel();
    this.recomputeMaxSize();
    for (let h = 0; h < other.lens.length; h++) {
      const n = other.lens[h];
      const b = this.reserve(h, n);
      b.set(other.bufs[h].subarray(0, n), this.lens[h]);
      this.lens[h] += n;
      if (n > 0) this.runs[h] = null;
    }
    this.n += other.n;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.size = this.lens.reduce((s, l) => s + l, 0);
    while (this.size >= this.maxSize) {
      const before = this.size;
      this.compress();
      if (this.size === before) break;
    }
    return this;
  }

  /** Retained items sorted, with their weights: the sketch's estimate of the sample. */
  weightedItems(): { values: Float64Array; weights: Float64Array } {
    const total = this.size;
    const vs = new Float64Array(total);
    const ws = new Float64Array(total);
    let t = 0;
    for (let h = 0; h < this.lens.length; h++) {
      vs.set(this.bufs[h].subarray(0, this.lens[h]), t);
      ws.fill(2 ** h, t, t + this.lens[h]);
      t += this.lens[h];
    }
    // Stable by value (ties keep level order), as sorting [value, weight] pairs would.
    const idx = Array.from({ length: total }, (_, i) => i).sort((a, b) => vs[a] - vs[b] || a - b);
    const values = new Float64Array(total);
    const weights = new Float64Array(total);
    for (let i = 0; i < total; i++) {
      values[i] = vs[idx[i]];
      weights[i] = ws[idx[i]];
    }
    return { values, weights };
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
    return { k: this.k, n: this.n, min: this.min, max: this.max, seed: this.seed, levels: this.bufs.map((b, h) => Array.from(b.subarray(0, this.lens[h]))) };
  }

  static fromJSON(s: KllState): KllSketch {
    const sk = new KllSketch(s.k, s.seed);
    sk.bufs = s.levels.map((l) => Float64Array.from(l.length ? l : [], (v) => v));
    sk.bufs = sk.bufs.map((b) => (b.length ? b : new Float64Array(16)));
    sk.lens = s.levels.map((l) => l.length);
    sk.runs = s.levels.map(() => null);
    if (sk.lens.length === 0) {
      sk.bufs = [new Float64Array(64)];
      sk.lens = [0];
      sk.runs = [null];
    }
    sk.n = s.n;
    sk.min = s.n === 0 ? Infinity : s.min;
    sk.max = s.n === 0 ? -Infinity : s.max;
    sk.size = sk.lens.reduce((a, l) => a + l, 0);
    sk.recomputeMaxSize();
    return sk;
  }
}
