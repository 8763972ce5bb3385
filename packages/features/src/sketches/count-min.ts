import { FeatureError } from '../errors.js';
import { hash64 } from '../hash/murmur3.js';
import { decodeU32, encodeU32 } from '../util/codec.js';

/** Serialised {@link CountMinSketch}. */
export interface CountMinState {
  width: number;
  depth: number;
  topK: number;
  total: number;
  /** depth × width counters, row-major, base64 uint32. */
  table: string;
  /** Heavy-hitter candidates [key, estimate]. */
  heavy: [string, number][];
}

const h = new Uint32Array(2);

/**
 * Count-Min sketch (Cormode & Muthukrishnan 2005, "An improved data stream summary: the count-min
 * sketch and its applications") with heavy hitters. `depth` rows of `width` counters; value v
 * increments counter g_i(v) of each row i, with g_i(v) = (h1(v) + i·h2(v)) mod width from one
 * 64-bit hash (Kirsch & Mitzenmacher 2006 double hashing). The estimate min_i count[i][g_i(v)]
 * never underestimates, and with width = ⌈e/ε⌉ and depth = ⌈ln(1/δ)⌉ it overestimates by more
 * than ε·N with probability at most δ (N = total count). Defaults: ε = 0.001, δ = 0.01.
 *
 * Heavy hitters: the `topK` values with the largest estimates seen so far are kept as candidates
 * (the "top-k" use of §5.1 of the paper); `heavyHitters()` returns them by estimate. Merge adds
 * the tables (same shape) and re-ranks the union of both candidate sets against the merged table.
 * Keys are strings (numbers are keyed by `String(x)`).
 *
 * @example
 * const cm = new CountMinSketch({ epsilon: 0.01, delta: 0.01, topK: 2 }).update(['a', 'b', 'a', 'c', 'a', 'b']);
 * cm.estimate('a');     // 3
 * cm.heavyHitters();    // [{ key: 'a', count: 3 }, { key: 'b', count: 2 }]
 */
export class CountMinSketch {
  readonly width: number;
  readonly depth: number;
  readonly topK: number;
  total = 0;
  private table: Uint32Array;
  private heavy = new Map<string, number>();
  private heavyMin = 0;

  constructor(opts: { epsilon?: number; delta?: number; width?: number; depth?: number; topK?: number } = {}) {
    const eps = opts.epsilon ?? 0.001;
    const delta = opts.delta ?? 0.01;
    if (!(eps > 0 && eps < 1)) throw new FeatureError('BAD_OPTION', `CountMinSketch: epsilon must be in (0, 1), got ${eps}`);
    if (!(delta > 0 && delta < 1)) throw new FeatureError('BAD_OPTION', `CountMinSketch: delta must be in (0, 1), got ${delta}`);
    this.width = opts.width ?? Math.ceil(Math.E / eps);
    this.depth = opts.depth ?? Math.ceil(Math.log(1 / delta));
    this.topK = opts.topK ?? 10;
    if (!Number.isInteger(this.width) || this.width < 1 || this.width > 1 << 24) throw new FeatureError('BAD_OPTION', `CountMinSketch: width must be an integer in [1, 2^24], got ${this.width}`);
    if (!Number.isInteger(this.depth) || this.depth < 1 || this.depth > 32) throw new FeatureError('BAD_OPTION', `CountMinSketch: depth must be an integer in [1, 32], got ${this.depth}`);
    if (!Number.isInteger(this.topK) || this.topK < 0) throw new FeatureError('BAD_OPTION', `CountMinSketch: topK must be a non-negative integer, got ${this.topK}`);
    this.table = new Uint32Array(this.width * this.depth);
  }

  /** ε = e / width: the additive error bound as a fraction of the total count. */
  get epsilon(): number {
    return Math.E / this.width;
  }
  /** δ = e^(−depth): the probability that one estimate exceeds the bound. */
  get delta(): number {
    return Math.exp(-this.depth);
  }

  /** Adds values (null/undefined/NaN are skipped). Returns this. */
  update(values: ArrayLike<string | number | null | undefined>): this {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || v !== v) continue;
      this.add(typeof v === 'string' ? v : String(v), 1);
    }
    return this;
  }

  /** Adds `count` occurrences of `key`; returns its new estimate. */
  add(key: string, count = 1): number {
    hash64(key, h);
    const w = this.width;
    let est = Infinity;
    for (let i = 0; i < this.depth; i++) {
      const j = i * w + ((h[0] + Math.imul(i, h[1]) >>> 0) % w);
      const c = (this.table[j] += count);
      if (c < est) est = c;
    }
    this.total += count;
    this.offer(key, est);
    return est;
  }

  private offer(key: string, est: number): void {
    if (this.topK === 0) return;
    if (this.heavy.has(key)) {
      this.heavy.set(key, est);
      return;
    }
    if (this.heavy.size < this.topK) {
      this.heavy.set(key, est);
      this.heavyMin = this.heavy.size === 1 ? est : Math.min(this.heavyMin, est);
      return;
    }
    if (est <= this.heavyMin) return;
    // replace the smallest candidate (ties: the largest key, so that results are deterministic)
    let minKey = '';
    let minVal = Infinity;
    for (const [k, v] of this.heavy) if (v < minVal || (v === minVal && k > minKey)) [minKey, minVal] = [k, v];
    this.heavy.delete(minKey);
    this.heavy.set(key, est);
    let m = Infinity;
    for (const v of this.heavy.values()) if (v < m) m = v;
    this.heavyMin = m;
  }

  /** The estimated count of `key` (≥ the true count). */
  estimate(key: string | number): number {
    hash64(typeof key === 'string' ? key : String(key), h);
    const w = this.width;
    let est = Infinity;
    for (let i = 0; i < this.depth; i++) {
      const c = this.table[i * w + ((h[0] + Math.imul(i, h[1]) >>> 0) % w)];
      if (c < est) est = c;
    }
    return est;
  }

  /** The top-k candidates by estimated count (ties by key), largest first. */
  heavyHitters(k = this.topK): { key: string; count: number }[] {
    return [...this.heavy]
      .map(([key]) => ({ key, count: this.estimate(key) }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, k);
  }

  merge(other: CountMinSketch): this {
    if (other.width !== this.width || other.depth !== this.depth) {
      throw new FeatureError('INCOMPATIBLE', `CountMinSketch.merge: shape differs (${this.depth}×${this.width} vs ${other.depth}×${other.width})`);
    }
    for (let i = 0; i < this.table.length; i++) this.table[i] += other.table[i];
    this.total += other.total;
    const keys = new Set([...this.heavy.keys(), ...other.heavy.keys()]);
    const ranked = [...keys].map((k) => [k, this.estimate(k)] as [string, number]).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    this.heavy = new Map(ranked.slice(0, this.topK));
    this.heavyMin = this.heavy.size ? ranked[this.heavy.size - 1][1] : 0;
    return this;
  }

  toJSON(): CountMinState {
    return { width: this.width, depth: this.depth, topK: this.topK, total: this.total, table: encodeU32(this.table), heavy: [...this.heavy] };
  }

  static fromJSON(s: CountMinState): CountMinSketch {
    const o = new CountMinSketch({ width: s.width, depth: s.depth, topK: s.topK });
    o.table = decodeU32(s.table);
    if (o.table.length !== s.width * s.depth) throw new FeatureError('BAD_STATE', `CountMinSketch.fromJSON: table has ${o.table.length} counters, expected ${s.width * s.depth}`);
    o.total = s.total;
    o.heavy = new Map(s.heavy);
    let m = Infinity;
    for (const v of o.heavy.values()) if (v < m) m = v;
    o.heavyMin = o.heavy.size ? m : 0;
    return o;
  }
}
