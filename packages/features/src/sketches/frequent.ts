import { FeatureError } from '../errors.js';
import { CountMinSketch, type CountMinState } from './count-min.js';

/** Serialised {@link FrequentItems}: exact counts, or the Count-Min sketch it switched to. */
export interface FrequentItemsState {
  maxExact: number;
  topK: number;
  epsilon: number;
  total: number;
  exact?: [string, number][];
  sketch?: CountMinState;
}

/**
 * Frequencies of categorical values in bounded memory: exact counts while there are at most
 * `maxExact` distinct values (the common case for categorical columns), then a
 * {@link CountMinSketch} with `topK` heavy-hitter candidates (initialised from the exact counts).
 * `top(k)` gives the k most frequent values (ties by value, ascending), exact in the first regime
 * and within ε·N per count in the second. Merge keeps the exact regime when the union is small
 * enough, else merges sketches.
 */
export class FrequentItems {
  readonly maxExact: number;
  readonly topK: number;
  readonly epsilon: number;
  total = 0;
  private exact: Map<string, number> | undefined = new Map();
  private sketch: CountMinSketch | undefined;

  constructor(opts: { maxExact?: number; topK?: number; epsilon?: number } = {}) {
    this.maxExact = opts.maxExact ?? 10_000;
    this.topK = opts.topK ?? 100;
    this.epsilon = opts.epsilon ?? 1e-4;
    if (!Number.isInteger(this.maxExact) || this.maxExact < 1) throw new FeatureError('BAD_OPTION', `FrequentItems: maxExact must be a positive integer, got ${this.maxExact}`);
    if (!Number.isInteger(this.topK) || this.topK < 1) throw new FeatureError('BAD_OPTION', `FrequentItems: topK must be a positive integer, got ${this.topK}`);
  }

  /** True while counts are exact. */
  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** Adds values (null/undefined/NaN skipped; numbers keyed by String(x)). Returns this. */
  update(values: ArrayLike<string | number | null | undefined>): this {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || v !== v) continue;
      this.add(typeof v === 'string' ? v : String(v), 1);
    }
    return this;
  }

  add(key: string, count = 1): void {
    if (count <= 0) return;
    this.total += count;
    if (this.exact) {
      this.exact.set(key, (this.exact.get(key) ?? 0) + count);
      if (this.exact.size > this.maxExact) this.toSketch();
      return;
    }
    (this.sketch as CountMinSketch).add(key, count);
  }

  private toSketch(): void {
    const cm = new CountMinSketch({ epsilon: this.epsilon, delta: 0.01, topK: this.topK });
    const entries = [...(this.exact as Map<string, number>)].sort((a, b) => a[1] - b[1]);
    for (const [k, c] of entries) cm.add(k, c);
    this.sketch = cm;
    this.exact = undefined;
  }

  /** The k most frequent values with their counts, most frequent first, ties by value ascending. */
  top(k: number): { key: string; count: number }[] {
    if (this.exact) {
      return [...this.exact]
        .map(([key, count]) => ({ key, count }))
        .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .slice(0, k);
    }
    return (this.sketch as CountMinSketch).heavyHitters(k);
  }

  /** Number of distinct values (exact regime only; undefined after switching to the sketch). */
  get distinct(): number | undefined {
    return this.exact?.size;
  }

  merge(other: FrequentItems): this {
    if (this.exact && other.exact) {
      for (const [k, c] of other.exact) this.exact.set(k, (this.exact.get(k) ?? 0) + c);
      this.total += other.total;
      if (this.exact.size > this.maxExact) this.toSketch();
      return this;
    }
    if (this.exact) this.toSketch();
    const mine = this.sketch as CountMinSketch;
    if (other.exact) {
      for (const [k, c] of other.exact) mine.add(k, c);
    } else mine.merge(other.sketch as CountMinSketch);
    this.total = mine.total;
    return this;
  }

  toJSON(): FrequentItemsState {
    const base = { maxExact: this.maxExact, topK: this.topK, epsilon: this.epsilon, total: this.total };
    if (this.exact) return { ...base, exact: [...this.exact].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
    return { ...base, sketch: (this.sketch as CountMinSketch).toJSON() };
  }

  static fromJSON(s: FrequentItemsState): FrequentItems {
    const o = new FrequentItems({ maxExact: s.maxExact, topK: s.topK, epsilon: s.epsilon });
    o.total = s.total;
    if (s.exact) o.exact = new Map(s.exact);
    else {
      o.exact = undefined;
      o.sketch = CountMinSketch.fromJSON(s.sketch as CountMinState);
    }
    return o;
  }
}
