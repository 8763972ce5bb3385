import { MonitorError } from '../errors.js';
import { KllSketch, type KllState } from '../sketches/kll.js';
import { Moments } from '../sketches/moments.js';

export type ColumnType = 'numeric' | 'categorical';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/** Distinct numeric values are counted exactly up to this many (drift tests branch on ≤ 5 and ≤ 20). */
export const MAX_TRACKED_DISTINCT = 64;
/** Categories beyond this many are pooled into OTHER_CATEGORY, keeping memory constant. */
export const MAX_CATEGORIES = 10000;
export const OTHER_CATEGORY = '__other__';

export interface NumericColumnState {
  type: 'numeric';
  name: string;
  nulls: number;
  moments: { n: number; mean: number; m2: number };
  kll: KllState;
  /** [value, count] pairs while the column has ≤ MAX_TRACKED_DISTINCT distinct values, else null. */
  distinct: [number, number][] | null;
  /** Row-aligned reservoir values (null = missing). */
  sample: (number | null)[];
}

export interface CategoricalColumnState {
  type: 'categorical';
  name: string;
  nulls: number;
  counts: [string, number][];
  sample: (string | null)[];
}

/** Scratch buffers shared by the batch paths (single-threaded; reused across columns and batches). */
let scratch = new Float64Array(1024);
let ids = new Int32Array(1024);

/** One numeric column of a profile: nulls, moments, KLL quantiles, small-domain counts, sample. */
export class NumericColumnProfile {
  readonly type = 'numeric' as const;
  readonly name: string;
  nulls = 0;
  moments = new Moments();
  kll: KllSketch;
  distinct: Map<number, number> | null = new Map();
  sample: Float64Array;

  constructor(name: string, reservoirCapacity: number, kllK: number, seed: number) {
    this.name = name;
    this.kll = new KllSketch(kllK, seed);
    this.sample = new Float64Array(reservoirCapacity).fill(Number.NaN);
  }

  get count(): number {
    return this.moments.n;
  }

  /** Adds one value; null/undefined/NaN count as missing. `slot` is the reservoir slot or −1. */
  add(v: unknown, slot: number): void {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      this.nulls++;
      if (slot >= 0) this.sample[slot] = Number.NaN;
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MonitorError('INVALID_VALUE', `profile: column '${this.name}' (numeric) got ${typeof v === 'number' ? v : JSON.stringify(v)}; expected a finite number, null or NaN`);
    }
    this.moments.update(v);
    this.kll.update(v);
    if (this.distinct) {
      this.distinct.set(v, (this.distinct.get(v) ?? 0) + 1);
      if (this.distinct.size > MAX_TRACKED_DISTINCT) this.distinct = null;
    }
    if (slot >= 0) this.sample[slot] = v;
  }

  /**
   * Adds xs[0..len): the same state as `add(xs[i], slot)` for each row, where the rows sampled into
   * the reservoir are sampleRows[0..sampled) (ascending) with slots sampleSlots[0..sampled).
   * Validates the whole batch first, so a bad value leaves the column unchanged.
   */
  addBatch(xs: ArrayLike<unknown>, len: number, sampleRows: Int32Array, sampleSlots: Int32Array, sampled: number): void {
    if (scratch.length < len) scratch = new Float64Array(Math.max(len, scratch.length * 2));
    const vals = scratch;
    let k = 0;
    if (xs instanceof Float64Array || xs instanceof Float32Array) {
      for (let i = 0; i < len; i++) {
        const v = xs[i];
        if (v !== v) continue;
        if (v === Infinity || v === -Infinity) this.badValue(v);
        vals[k++] = v;
      }
    } else {
      for (let i = 0; i < len; i++) {
        const v = xs[i];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          if (typeof v === 'number' && Number.isNaN(v)) continue;
          this.badValue(v);
        }
        vals[k++] = v as number;
      }
    }
    this.nulls += len - k;
    this.moments.updateMany(vals, 0, k);
    this.kll.updateMany(vals, 0, k);
    if (this.distinct) {
      const d = this.distinct;
      for (let i = 0; i < k; i++) {
        const v = vals[i];
        d.set(v, (d.get(v) ?? 0) + 1);
        if (d.size > MAX_TRACKED_DISTINCT) {
          this.distinct = null;
          break;
        }
      }
    }
    for (let j = 0; j < sampled; j++) {
      const v = xs[sampleRows[j]];
      this.sample[sampleSlots[j]] = v === null || v === undefined ? Number.NaN : (v as number);
    }
  }

  private badValue(v: unknown): never {
    throw new MonitorError('INVALID_VALUE', `profile: column '${this.name}' (numeric) got ${typeof v === 'number' ? v : JSON.stringify(v)}; expected a finite number, null or NaN`);
  }

  merge(o: NumericColumnProfile): void {
    this.nulls += o.nulls;
    this.moments.merge(o.moments);
    this.kll.merge(o.kll);
    if (this.distinct && o.distinct) {
      for (const [k, c] of o.distinct) this.distinct.set(k, (this.distinct.get(k) ?? 0) + c);
      if (this.distinct.size > MAX_TRACKED_DISTINCT) this.distinct = null;
    } else this.distinct = null;
  }

  toJSON(filled: number): NumericColumnState {
    return {
      type: 'numeric',
      name: this.name,
      nulls: this.nulls,
      moments: this.moments.toJSON(),
      kll: this.kll.toJSON(),
      distinct: this.distinct ? [...this.distinct] : null,
      sample: Array.from(this.sample.subarray(0, filled), (v) => (Number.isNaN(v) ? null : v)),
    };
  }

  static fromJSON(s: NumericColumnState, capacity: number): NumericColumnProfile {
    const c = new NumericColumnProfile(s.name, capacity, s.kll.k, s.kll.seed);
    c.nulls = s.nulls;
    c.moments = Moments.fromJSON(s.moments);
    c.kll = KllSketch.fromJSON(s.kll);
    c.distinct = s.distinct ? new Map(s.distinct) : null;
    s.sample.forEach((v, i) => (c.sample[i] = v === null ? Number.NaN : v));
    return c;
  }
}

/** One categorical column: nulls, category counts (bounded), sample. */
export class CategoricalColumnProfile {
  readonly type = 'categorical' as const;
  readonly name: string;
  nulls = 0;
  count = 0;
  counts = new Map<string, number>();
  sample: (string | null)[];

  constructor(name: string, reservoirCapacity: number) {
    this.name = name;
    this.sample = new Array(reservoirCapacity).fill(null);
  }

  add(v: unknown, slot: number): void {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      this.nulls++;
      if (slot >= 0) this.sample[slot] = null;
      return;
    }
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new MonitorError('INVALID_VALUE', `profile: column '${this.name}' (categorical) got ${JSON.stringify(v)}; expected a string, number, boolean or null`);
    }
    let key = String(v);
    if (!this.counts.has(key) && this.counts.size >= MAX_CATEGORIES) key = OTHER_CATEGORY;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.count++;
    if (slot >= 0) this.sample[slot] = key;
  }

  /**
   * Adds xs[0..len): the same counts (and insertion order), nulls and sample as `add(xs[i], slot)`
   * per row (see NumericColumnProfile.addBatch). One map lookup per value, into a batch-local index;
   * the shared counts are updated once per distinct key. Validates first.
   */
  addBatch(xs: ArrayLike<unknown>, len: number, sampleRows: Int32Array, sampleSlots: Int32Array, sampled: number): void {
    if (ids.length < len) ids = new Int32Array(Math.max(len, ids.length * 2));
    const rawToId = new Map<unknown, number>();
    const keyToId = new Map<string, number>();
    const keys: string[] = [];
    const local: number[] = [];
    const counts = this.counts;
    let size = counts.size;
    let nulls = 0;
    let lastV: unknown = undefined;
    let lastId = -1;
    for (let i = 0; i < len; i++) {
      const v = xs[i];
      if (v === lastV && lastId >= 0) {
        ids[i] = lastId;
        local[lastId]++;
        continue;
      }
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
        ids[i] = -1;
        nulls++;
        continue;
      }
      let id = rawToId.get(v);
      if (id === undefined) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          throw new MonitorError('INVALID_VALUE', `profile: column '${this.name}' (categorical) got ${JSON.stringify(v)}; expected a string, number, boolean or null`);
        }
        let key = String(v);
        id = keyToId.get(key);
        if (id === undefined) {
          if (!counts.has(key)) {
            if (size >= MAX_CATEGORIES) key = OTHER_CATEGORY;
            id = keyToId.get(key);
            if (id === undefined && !counts.has(key)) size++;
          }
          if (id === undefined) {
            id = keys.length;
            keys.push(key);
            local.push(0);
            keyToId.set(key, id);
          }
        }
        rawToId.set(v, id);
      }
      ids[i] = id;
      local[id]++;
      lastV = v;
      lastId = id;
    }
    // Validation passed: fold into the shared state.
    for (let id = 0; id < keys.length; id++) counts.set(keys[id], (counts.get(keys[id]) ?? 0) + local[id]);
    this.nulls += nulls;
    this.count += len - nulls;
    for (let j = 0; j < sampled; j++) {
      const id = ids[sampleRows[j]];
      this.sample[sampleSlots[j]] = id < 0 ? null : keys[id];
    }
  }

  merge(o: CategoricalColumnProfile): void {
    this.nulls += o.nulls;
    this.count += o.count;
    for (const [k0, c] of o.counts) {
      const k = !this.counts.has(k0) && this.counts.size >= MAX_CATEGORIES ? OTHER_CATEGORY : k0;
      this.counts.set(k, (this.counts.get(k) ?? 0) + c);
    }
  }

  toJSON(filled: number): CategoricalColumnState {
    return { type: 'categorical', name: this.name, nulls: this.nulls, counts: [...this.counts], sample: this.sample.slice(0, filled) };
  }

  static fromJSON(s: CategoricalColumnState, capacity: number): CategoricalColumnProfile {
    const c = new CategoricalColumnProfile(s.name, capacity);
    c.nulls = s.nulls;
    c.counts = new Map(s.counts);
    c.count = s.counts.reduce((a, [, n]) => a + n, 0);
    s.sample.forEach((v, i) => (c.sample[i] = v));
    return c;
  }
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;
