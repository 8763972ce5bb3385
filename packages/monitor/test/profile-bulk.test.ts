import { describe, expect, it } from 'vitest';
import { DatasetProfile, KllSketch, type ColumnSpec } from '../src/index.js';
import { MAX_CATEGORIES, OTHER_CATEGORY } from '../src/profile/column.js';
import { mulberry32 } from '../src/drift/energy.js';

/**
 * Oracle: the plain per-value KLL (number[] levels, a fresh sorted copy per compaction), as the
 * package implemented it before the bulk path — written out here independently of src/.
 */
class ReferenceKll {
  levels: number[][] = [[]];
  n = 0;
  min = Infinity;
  max = -Infinity;
  private size = 0;
  private maxSize: number;
  private rnd: () => number;
  constructor(
    readonly k: number,
    readonly seed: number,
  ) {
    this.rnd = mulberry32(seed >>> 0);
    this.maxSize = this.cap(0);
  }
  private cap(h: number): number {
    return Math.max(2, Math.ceil(this.k * Math.pow(2 / 3, this.levels.length - h - 1)) + 1);
  }
  update(x: number): void {
    this.levels[0].push(x);
    this.n++;
    this.size++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.size < this.maxSize) return;
    for (let h = 0; h < this.levels.length; h++) {
      if (this.levels[h].length < this.cap(h)) continue;
      if (h + 1 >= this.levels.length) {
        this.levels.push([]);
        this.maxSize = this.levels.reduce((s, _, i) => s + this.cap(i), 0);
      }
      const sorted = Float64Array.from(this.levels[h]).sort();
      let len = sorted.length;
      const keep = len % 2 === 1 ? [sorted[--len]] : [];
      const offset = this.rnd() < 0.5 ? 0 : 1;
      for (let i = offset; i < len; i += 2) this.levels[h + 1].push(sorted[i]);
      this.levels[h] = keep;
      this.size = this.levels.reduce((s, l) => s + l.length, 0);
      if (this.size < this.maxSize) break;
    }
  }
  state() {
    return { k: this.k, n: this.n, min: this.min, max: this.max, seed: this.seed >>> 0, levels: this.levels };
  }
}

function uniforms(seed: number): () => number {
  return mulberry32(seed);
}

/** Values with ties, ±0 and a wide range, so that sorting order and tie handling matter. */
function values(n: number, seed: number): Float64Array {
  const u = uniforms(seed);
  return Float64Array.from({ length: n }, () => {
    const r = u();
    if (r < 0.05) return 0;
    if (r < 0.1) return -0;
    if (r < 0.3) return Math.round(u() * 20) - 10;
    return (u() - 0.5) * 1e3;
  });
}

/** JSON with the sign of zero kept (JSON.stringify writes −0 as 0). */
const exact = (x: unknown) => JSON.stringify(x, (_k, v) => (Object.is(v, -0) ? '-0' : v));

describe('KLL bulk update', () => {
  it('updateMany over uneven chunks ≡ per-value update ≡ the reference implementation, for several k', () => {
    for (const k of [8, 64, 200, 1024]) {
      const xs = values(60000 + k, k);
      const ref = new ReferenceKll(k, 17);
      const one = new KllSketch(k, 17);
      const bulk = new KllSketch(k, 17);
      for (const v of xs) {
        ref.update(v);
        one.update(v);
      }
      const u = uniforms(k + 1);
      for (let i = 0; i < xs.length; ) {
        const m = Math.floor(u() * 3000);
        bulk.updateMany(xs, i, Math.min(xs.length, i + m));
        i += m;
      }
      expect(exact(one.toJSON()) === exact(ref.state()), `k=${k} per-value vs reference`).toBe(true);
      expect(exact(bulk.toJSON()) === exact(ref.state()), `k=${k} bulk vs reference`).toBe(true);
      // Plain arrays take the same path as typed arrays.
      const fromArray = new KllSketch(k, 17).updateMany(Array.from(xs));
      expect(exact(fromArray.toJSON()) === exact(ref.state())).toBe(true);
    }
  });

  it('merge after bulk updates ≡ merge after per-value updates; weights sum to n; rank error within bounds', () => {
    const xs = values(150000, 3);
    const ys = values(90000, 4);
    const a1 = new KllSketch(1024, 1).updateMany(xs);
    const b1 = new KllSketch(1024, 2).updateMany(ys);
    const a2 = new KllSketch(1024, 1);
    const b2 = new KllSketch(1024, 2);
    xs.forEach((v) => a2.update(v));
    ys.forEach((v) => b2.update(v));
    a1.merge(b1);
    a2.merge(b2);
    expect(exact(a1.toJSON()) === exact(a2.toJSON())).toBe(true);
    // Continue streaming after a merge (levels of unknown order) and after a save/load round trip
    // (a loaded sketch restarts its random stream from the seed, so compare loaded with loaded).
    const tail = values(20000, 5);
    const a3 = KllSketch.fromJSON(a1.toJSON());
    const a4 = KllSketch.fromJSON(a2.toJSON());
    a1.updateMany(tail);
    tail.forEach((v) => a2.update(v));
    a3.updateMany(tail);
    tail.forEach((v) => a4.update(v));
    expect(exact(a1.toJSON()) === exact(a2.toJSON())).toBe(true);
    expect(exact(a3.toJSON()) === exact(a4.toJSON())).toBe(true);
    const all = Float64Array.from([...xs, ...ys, ...tail]).sort();
    const { values: v, weights } = a1.weightedItems();
    expect(weights.reduce((s, w) => s + w, 0)).toBe(all.length);
    for (let i = 1; i < v.length; i++) expect(v[i]).toBeGreaterThanOrEqual(v[i - 1]);
    for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) {
      const est = a1.quantile(q);
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (all[m] < est) lo = m + 1;
        else hi = m;
      }
      let hi2 = lo;
      while (hi2 < all.length && all[hi2] === est) hi2++;
      // q lies within the estimate's rank interval, up to ε ≈ 2/k (ties widen the interval).
      const dist = q * all.length < lo ? lo / all.length - q : q * all.length > hi2 ? q - hi2 / all.length : 0;
      expect(dist, `q=${q}`).toBeLessThan(0.004);
    }
  });
});

describe('DatasetProfile bulk update', () => {
  const schema: ColumnSpec[] = [
    { name: 'f64', type: 'numeric' },
    { name: 'f32', type: 'numeric' },
    { name: 'arr', type: 'numeric' },
    { name: 'cat', type: 'categorical' },
    { name: 'many', type: 'categorical' },
  ];

  function batches(seed: number, count: number) {
    const u = uniforms(seed);
    return Array.from({ length: count }, () => {
      const n = 1 + Math.floor(u() * 3000);
      return {
        f64: Float64Array.from({ length: n }, () => (u() < 0.05 ? Number.NaN : u() * 10 - 5)),
        f32: Float32Array.from({ length: n }, () => (u() < 0.05 ? Number.NaN : Math.round(u() * 8))),
        arr: Array.from({ length: n }, () => (u() < 0.05 ? (u() < 0.5 ? null : undefined) : u() < 0.03 ? Number.NaN : Math.round(u() * 1000) / 10)),
        cat: Array.from({ length: n }, () => { const r = u(); return r < 0.05 ? null : r < 0.2 ? 1 : r < 0.3 ? '1' : r < 0.35 ? true : r < 0.4 ? OTHER_CATEGORY : ['a', 'b', 'c'][Math.floor(u() * 3)]; }),
        many: Array.from({ length: n }, () => `k${Math.floor(u() * (MAX_CATEGORIES * 1.5))}`),
      };
    });
  }

  it('equals independent per-row computations: nulls, moments, KLL, small-domain counts, category counts with pooling, reservoir', () => {
    const reservoirSize = 300;
    const seed = 5;
    const bs = batches(21, 40);
    const p = new DatasetProfile(schema, { reservoirSize, seed });
    for (const b of bs) p.update(b);

    // Replay Algorithm R with the profile's seed: slot per row.
    const rnd = mulberry32(seed);
    const rowsAll: Record<string, unknown[]> = Object.fromEntries(schema.map((c) => [c.name, [] as unknown[]]));
    for (const b of bs) for (const c of schema) for (const v of b[c.name as keyof typeof b] as ArrayLike<unknown>) rowsAll[c.name].push(v);
    const N = rowsAll.f64.length;
    expect(p.rows).toBe(N);
    const sampleRow = new Array<number>(reservoirSize).fill(-1);
    for (let t = 0; t < N; t++) {
      if (t < reservoirSize) sampleRow[t] = t;
      else {
        const j = Math.floor(rnd() * (t + 1));
        if (j < reservoirSize) sampleRow[j] = t;
      }
    }
    const isNull = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

    for (const name of ['f64', 'f32', 'arr']) {
      const col = p.column(name);
      if (col.type !== 'numeric') throw new Error('type');
      const xs = rowsAll[name].filter((v) => !isNull(v)) as number[];
      expect(col.nulls).toBe(N - xs.length);
      expect(col.count).toBe(xs.length);
      const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
      const m2 = xs.reduce((s, v) => s + (v - mean) ** 2, 0);
      expect(Math.abs(col.moments.mean - mean)).toBeLessThan(1e-12 * Math.max(1, Math.abs(mean)) + 1e-13);
      expect(Math.abs(col.moments.m2 - m2) / m2).toBeLessThan(1e-11);
      const ref = new ReferenceKll(p.kllK, seed + schema.findIndex((c) => c.name === name) + 1);
      for (const v of xs) ref.update(v);
      expect(exact(col.kll.toJSON()) === exact(ref.state()), name).toBe(true);
      const distinct = new Map<number, number>();
      let overflow = false;
      for (const v of xs) {
        distinct.set(v, (distinct.get(v) ?? 0) + 1);
        if (distinct.size > 64) {
          overflow = true;
          break;
        }
      }
      expect(col.distinct === null).toBe(overflow);
      if (col.distinct) expect([...col.distinct]).toEqual([...distinct]);
      const sample = Array.from(col.sample, (v) => (Number.isNaN(v) ? null : v));
      expect(sample).toEqual(sampleRow.map((r) => (isNull(rowsAll[name][r]) ? null : Number(rowsAll[name][r]))));
    }

    for (const name of ['cat', 'many']) {
      const col = p.column(name);
      if (col.type !== 'categorical') throw new Error('type');
      const counts = new Map<string, number>();
      const keyOf: string[] = [];
      let nulls = 0;
      for (const v of rowsAll[name]) {
        if (isNull(v)) {
          nulls++;
          keyOf.push('\0null');
          continue;
        }
        let key = String(v);
        if (!counts.has(key) && counts.size >= MAX_CATEGORIES) key = OTHER_CATEGORY;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        keyOf.push(key);
      }
      expect(col.nulls).toBe(nulls);
      expect(col.count).toBe(N - nulls);
      expect([...col.counts]).toEqual([...counts]); // same keys, counts and first-seen order
      if (name === 'many') expect(col.counts.size).toBe(MAX_CATEGORIES + 1);
      expect(col.sample).toEqual(sampleRow.map((r) => (keyOf[r] === '\0null' ? null : keyOf[r])));
    }
  });

  it('typed arrays, plain arrays and row objects give the same profile; merge of bulk-built shards matches counts', () => {
    const u = uniforms(9);
    const n = 7000;
    const xs = Float64Array.from({ length: n }, () => (u() < 0.1 ? Number.NaN : u()));
    const cs = Array.from({ length: n }, () => ['x', 'y', 'z'][Math.floor(u() * 3)]);
    const s2: ColumnSpec[] = [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }];
    const typed = new DatasetProfile(s2, { reservoirSize: 500 }).update({ x: xs, c: cs });
    const plain = new DatasetProfile(s2, { reservoirSize: 500 }).update({ x: Array.from(xs), c: cs });
    const rows = new DatasetProfile(s2, { reservoirSize: 500 }).updateRows(Array.from({ length: n }, (_, i) => ({ x: xs[i], c: cs[i] })));
    expect(exact(typed.toJSON()) === exact(plain.toJSON())).toBe(true);
    expect(exact(typed.toJSON()) === exact(rows.toJSON())).toBe(true);
    const a = new DatasetProfile(s2, { reservoirSize: 500 }).update({ x: xs.subarray(0, 3000), c: cs.slice(0, 3000) });
    const b = new DatasetProfile(s2, { reservoirSize: 500 }).update({ x: xs.subarray(3000), c: cs.slice(3000) });
    a.merge(b);
    const cx = a.column('x');
    const tx = typed.column('x');
    if (cx.type !== 'numeric' || tx.type !== 'numeric') throw new Error('type');
    expect(cx.nulls).toBe(tx.nulls);
    expect(cx.kll.n).toBe(tx.kll.n);
    expect(Math.abs(cx.moments.mean - tx.moments.mean)).toBeLessThan(1e-12);
    expect([...(a.column('c') as { counts: Map<string, number> }).counts].sort()).toEqual([...(typed.column('c') as { counts: Map<string, number> }).counts].sort());
  });

  it('a bad value anywhere in a numeric batch is a typed error naming the column', () => {
    const p = new DatasetProfile([{ name: 'x', type: 'numeric' }]);
    expect(() => p.update({ x: Float64Array.of(1, 2, -Infinity) })).toThrow(/column 'x'/);
    expect(() => p.update({ x: [1, '2'] })).toThrow(/column 'x'/);
    const q = new DatasetProfile([{ name: 'c', type: 'categorical' }]);
    expect(() => q.update({ c: ['a', { b: 1 }] })).toThrow(/column 'c'/);
  });
});
