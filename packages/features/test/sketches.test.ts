import { describe, expect, it } from 'vitest';
import { CountMinSketch, FeatureError, FrequentItems, HyperLogLog, KllSketch } from '../src/index.js';
import { normal, npQuantile, rng } from './helpers.js';

function rankOf(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] <= v) lo = m + 1;
    else hi = m;
  }
  return lo / sorted.length;
}

describe('HyperLogLog', () => {
  it('relative error at p = 12 is about 1.04/√4096 = 1.63% over 200 seeds (fraction beyond 2σ and 3σ within the normal bound)', () => {
    const sigma = 1.04 / Math.sqrt(4096);
    const errs: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const n = [2000, 10_000, 40_000][seed % 3];
      const h = new HyperLogLog({ p: 12 });
      const r = rng(seed);
      const salt = Math.floor(r() * 1e9);
      for (let i = 0; i < n; i++) h.add(r() < 0.5 ? `u${salt}-${i}` : salt * 1e6 + i + 0.5);
      errs.push(h.estimate() / n - 1);
    }
    const rse = Math.sqrt(errs.reduce((a, b) => a + b * b, 0) / errs.length);
    expect(rse).toBeGreaterThan(0.6 * sigma);
    expect(rse).toBeLessThan(1.3 * sigma);
    // P(|Z| > 2) = 4.6%, P(|Z| > 3) = 0.27%: allow twice that and a margin for 200 samples
    expect(errs.filter((e) => Math.abs(e) > 2 * sigma).length / 200).toBeLessThan(0.1);
    expect(errs.filter((e) => Math.abs(e) > 3 * sigma).length / 200).toBeLessThan(0.02);
    expect(new HyperLogLog({ p: 12 }).relativeStandardError).toBeCloseTo(0.01625, 5);
  });

  it('is unbiased at small cardinalities (exact-ish below a few hundred) and skips missing values', () => {
    for (const n of [1, 5, 50, 300]) {
      const h = new HyperLogLog({ p: 12 });
      for (let i = 0; i < n; i++) h.update([`x${i}`, `x${i}`, null, undefined, NaN]);
      expect(Math.abs(h.estimate() - n)).toBeLessThanOrEqual(Math.max(1, 0.02 * n));
    }
    expect(new HyperLogLog().estimate()).toBe(0);
  });

  it('merge(a, b) is exactly the sketch of a ∪ b; JSON round trip; precision mismatch rejected', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const vals = Array.from({ length: 3000 }, () => Math.floor(r() * 5000));
      const a = new HyperLogLog({ p: 10 });
      const b = new HyperLogLog({ p: 10 });
      const u = new HyperLogLog({ p: 10 });
      vals.forEach((v, i) => ((i % 3 ? a : b).add(v), u.add(v)));
      const m = HyperLogLog.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b);
      expect(m.toJSON()).toEqual(u.toJSON());
      expect(m.estimate()).toBe(u.estimate());
    }
    expect(() => new HyperLogLog({ p: 10 }).merge(new HyperLogLog({ p: 11 }))).toThrow(FeatureError);
    expect(() => new HyperLogLog({ p: 3 })).toThrow(/p must be an integer in \[4, 18\]/);
  });
});

describe('KllSketch', () => {
  it('at k = 200 the rank error over 99 quantiles stays under 1.65% in at least 99% of 200 seeds (merged and unmerged)', () => {
    const errs: number[] = [];
    const qs = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const n = 20_000;
      const xs = new Float64Array(n);
      const heavy = r() < 0.3;
      for (let i = 0; i < n; i++) xs[i] = heavy ? Math.exp(normal(r) * 2) : normal(r) * 3 + (r() < 0.3 ? 10 : 0);
      let s: KllSketch;
      if (seed % 2) {
        // four shards, merged
        const parts = [0, 1, 2, 3].map((p) => new KllSketch({ k: 200, seed: seed * 4 + p }).update(xs.subarray((p * n) / 4, ((p + 1) * n) / 4)));
        s = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]));
      } else s = new KllSketch({ k: 200, seed }).update(xs);
      expect(s.n).toBe(n);
      expect(s.retained).toBeLessThan(1000);
      const sorted = Float64Array.from(xs).sort();
      const got = s.quantiles(qs);
      errs.push(Math.max(...qs.map((q, i) => Math.abs(rankOf(sorted, got[i]) - q))));
      expect(s.quantile(0)).toBe(sorted[0]);
      expect(s.quantile(1)).toBe(sorted[n - 1]);
    }
    expect(errs.filter((e) => e > 0.0165).length / errs.length).toBeLessThanOrEqual(0.01);
  });

  it('is exact (NumPy linear interpolation) while nothing has been compacted, and rank() counts ≤', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const xs = Array.from({ length: 10 + Math.floor(r() * 150) }, () => Math.round(normal(r) * 50) / 8);
      const s = new KllSketch({ k: 200 }).update(xs);
      expect(s.isExact).toBe(true);
      const sorted = Float64Array.from(xs).sort();
      for (const q of [0.1, 0.25, 0.5, 0.75, 0.9]) expect(s.quantile(q)).toBeCloseTo(npQuantile(sorted, q), 12);
      const v = xs[0];
      expect(s.rank(v)).toBe(xs.filter((x) => x <= v).length / xs.length);
    }
  });

  it('addRepeated keeps the total weight exact; mapMonotone maps quantiles; JSON round trip is exact', () => {
    const s = new KllSketch({ k: 64 });
    const r = rng(7);
    const xs = Array.from({ length: 5000 }, () => r());
    s.update(xs).addRepeated(0.5, 1234);
    expect(s.n).toBe(6234);
    const sorted = Float64Array.from([...xs, ...Array(1234).fill(0.5)]).sort();
    // the median falls on the repeated value: ranks strictly below it ≤ 0.5 ≤ ranks up to it
    const med = s.quantile(0.5);
    expect(sorted.filter((x) => x < med).length / sorted.length).toBeLessThanOrEqual(0.5 + 0.05);
    expect(rankOf(sorted, med)).toBeGreaterThanOrEqual(0.5 - 0.05);
    expect(Math.abs(rankOf(sorted, s.quantile(0.9)) - 0.9)).toBeLessThan(0.05);
    const m = s.mapMonotone((x) => 3 * x - 1);
    expect(m.quantile(0.3)).toBeCloseTo(3 * s.quantile(0.3) - 1, 12);
    const back = KllSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(back.quantiles([0.1, 0.5, 0.9])).toEqual(s.quantiles([0.1, 0.5, 0.9]));
    back.update([2, 3]);
    s.update([2, 3]);
    expect(back.toJSON()).toEqual(s.toJSON());
  });

  it('rejects ±Infinity and an empty query', () => {
    expect(() => new KllSketch().update([Infinity])).toThrow(/not finite/);
    expect(() => new KllSketch().quantile(0.5)).toThrow(FeatureError);
  });
});

const cdfs = new Map<string, Float64Array>();
/** Zipf sample over 0..n−1 with weights 1/(k+1)^s, by inverse CDF (binary search). */
function zipf(r: () => number, n: number, s: number): number {
  let cdf = cdfs.get(`${n},${s}`);
  if (!cdf) {
    cdf = new Float64Array(n);
    let c = 0;
    for (let k = 0; k < n; k++) cdf[k] = c += 1 / (k + 1) ** s;
    cdfs.set(`${n},${s}`, cdf);
  }
  const u = r() * cdf[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (cdf[m] >= u) hi = m;
    else lo = m + 1;
  }
  return lo;
}

describe('CountMinSketch', () => {
  it('never underestimates, and overestimates by more than ε·N for at most ~δ of the keys (50 seeds)', () => {
    let over = 0;
    let under = 0;
    let keys = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const r = rng(seed);
      const cm = new CountMinSketch({ epsilon: 0.01, delta: 0.05, topK: 0 });
      const exact = new Map<string, number>();
      for (let i = 0; i < 4000; i++) {
        const k = `k${Math.floor(r() * r() * 2000)}`;
        cm.add(k);
        exact.set(k, (exact.get(k) ?? 0) + 1);
      }
      for (const [k, c] of exact) {
        const e = cm.estimate(k);
        if (e < c) under++;
        if (e - c > cm.epsilon * cm.total) over++;
        keys++;
      }
    }
    expect(under).toBe(0);
    expect(over / keys).toBeLessThan(0.05);
  });

  it('finds the top-k heavy hitters of Zipf data; merge equals updating with the union; JSON round trip', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = rng(seed);
      const vals = Array.from({ length: 20_000 }, () => `v${zipf(r, 500, 1.2)}`);
      const a = new CountMinSketch({ epsilon: 0.001, delta: 0.01, topK: 10 });
      const b = new CountMinSketch({ epsilon: 0.001, delta: 0.01, topK: 10 });
      const u = new CountMinSketch({ epsilon: 0.001, delta: 0.01, topK: 10 });
      vals.forEach((v, i) => ((i % 2 ? a : b).add(v), u.add(v)));
      const exact = new Map<string, number>();
      for (const v of vals) exact.set(v, (exact.get(v) ?? 0) + 1);
      const top5 = [...exact].sort((x, y) => y[1] - x[1]).slice(0, 5).map((e) => e[0]);
      const m = CountMinSketch.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b);
      for (const s of [u, m]) expect(s.heavyHitters(5).map((h) => h.key)).toEqual(top5);
      expect([...exact.keys()].filter((k) => m.estimate(k) !== u.estimate(k))).toEqual([]);
      expect(m.total).toBe(u.total);
    }
  });
});

describe('FrequentItems', () => {
  it('is exact below maxExact, switches to Count-Min beyond, and merges in either regime', () => {
    const r = rng(3);
    const vals = Array.from({ length: 5000 }, () => `c${zipf(r, 300, 1.1)}`);
    const exact = new Map<string, number>();
    for (const v of vals) exact.set(v, (exact.get(v) ?? 0) + 1);
    const truth = [...exact].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 5).map(([key, count]) => ({ key, count }));
    const small = new FrequentItems({ maxExact: 1000 }).update(vals);
    expect(small.isExact).toBe(true);
    expect(small.top(5)).toEqual(truth);
    const a = new FrequentItems({ maxExact: 100, topK: 20 }).update(vals.slice(0, 2500));
    const b = new FrequentItems({ maxExact: 100, topK: 20 }).update(vals.slice(2500));
    expect(a.isExact).toBe(false);
    const m = FrequentItems.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b);
    expect(m.total).toBe(5000);
    expect(m.top(3).map((t) => t.key)).toEqual(truth.slice(0, 3).map((t) => t.key));
    for (const t of m.top(3)) expect(t.count).toBeGreaterThanOrEqual(exact.get(t.key) as number);
  });
});
