import { describe, expect, it } from 'vitest';
import {
  chiSquare,
  energyTest,
  equalWidthEdges,
  fillZeroBins,
  histogramCounts,
  jensenShannonDistance,
  klDivergence,
  kolmogorovSmirnovSf,
  ks2samp,
  MonitorError,
  normalisedWasserstein,
  psi,
  wassersteinDistance,
  zTestDrift,
} from '../src/index.js';
import { normals, ref, relErr } from './helpers.js';

describe('ks2samp equals scipy.stats.ks_2samp', () => {
  for (const [i, c] of (ref.ks as { a: number[]; b: number[]; statistic: number; pvalue: number }[]).entries()) {
    it(`case ${i}: n=${c.a.length}/${c.b.length}`, () => {
      const r = ks2samp(c.a, c.b);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThan(1e-12);
      expect(relErr(r.pvalue, c.pvalue)).toBeLessThan(1e-9);
      expect(r.method).toBe(Math.max(c.a.length, c.b.length) <= 10000 ? 'exact' : 'asymp');
    });
  }
  it('kstwo.sf matches SciPy across its algorithm branches', () => {
    for (const c of ref.kstwo as { n: number; x: number; sf: number }[]) {
      expect(relErr(kolmogorovSmirnovSf(c.n, c.x), c.sf), `n=${c.n} x=${c.x}`).toBeLessThan(1e-8);
    }
  });
  it('rejects empty and NaN input with typed errors', () => {
    expect(() => ks2samp([], [1])).toThrow(MonitorError);
    try {
      ks2samp([1, Number.NaN], [1]);
    } catch (e) {
      expect((e as MonitorError).code).toBe('INVALID_VALUE');
      expect((e as Error).message).toContain('reference[1]');
    }
  });
});

describe('distances and tests equal SciPy', () => {
  it('chisquare', () => {
    for (const c of [ref.chisquare, ref.chisquare2]) {
      const r = chiSquare(c.obs, c.exp);
      expect(relErr(r.statistic, c.statistic)).toBeLessThan(1e-12);
      expect(relErr(r.pvalue, c.pvalue)).toBeLessThan(1e-10);
    }
  });
  it('wasserstein_distance and the Evidently normalisation', () => {
    const w = wassersteinDistance(ref.wasserstein.a, ref.wasserstein.b);
    expect(relErr(w, ref.wasserstein.value)).toBeLessThan(1e-12);
    const a = ref.wasserstein.a as number[];
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(relErr(normalisedWasserstein(w, sd), ref.wasserstein.norm)).toBeLessThan(1e-12);
    expect(normalisedWasserstein(0.5, 0)).toBe(500); // std floor 0.001, never a division by zero
  });
  it('jensenshannon, entropy (KL) and binned JS / PSI', () => {
    expect(relErr(jensenShannonDistance(ref.js.p, ref.js.q), ref.js.value)).toBeLessThan(1e-12);
    expect(relErr(klDivergence(ref.kl.p, ref.kl.q), ref.kl.value)).toBeLessThan(1e-12);
    const a = ref.js_binned.a as number[];
    const b = ref.js_binned.b as number[];
    const lo = Math.min(...a, ...b);
    const hi = Math.max(...a, ...b);
    const e30 = equalWidthEdges(lo, hi, 30);
    const ha = histogramCounts(a, e30).map((v) => v / a.length);
    const hb = histogramCounts(b, e30).map((v) => v / b.length);
    expect(relErr(jensenShannonDistance(ha, hb), ref.js_binned.value)).toBeLessThan(1e-12);
    const e10 = equalWidthEdges(lo, hi, 10);
    const pa = fillZeroBins(histogramCounts(a, e10).map((v) => v / a.length));
    const pb = fillZeroBins(histogramCounts(b, e10).map((v) => v / b.length));
    expect(relErr(psi(pa, pb), ref.psi_binned.value)).toBeLessThan(1e-12);
  });
  it('two-proportion z-test as Evidently', () => {
    const r = zTestDrift(new Map([['a', 30], ['b', 70]]), new Map([['a', 45], ['b', 55]]));
    expect(relErr(r.statistic, ref.ztest.z)).toBeLessThan(1e-12);
    expect(relErr(r.pvalue, ref.ztest.pvalue)).toBeLessThan(1e-9);
    expect(zTestDrift(new Map([['a', 10]]), new Map([['a', 5]])).pvalue).toBe(1);
  });
  it('KL is infinite where q = 0 < p (explicit, not NaN)', () => {
    expect(klDivergence([0.5, 0.5], [1, 0])).toBe(Infinity);
  });
});

describe('energy test (multivariate)', () => {
  const gen = (seed: number, n: number, d: number, shift: number) => {
    const r = normals(seed);
    return Array.from({ length: n }, () => Array.from({ length: d }, () => r() + shift));
  };
  it('statistic equals the V-statistic 2E|X−Y| − E|X−X′| − E|Y−Y′| computed directly', () => {
    const x = gen(1, 20, 3, 0);
    const y = gen(2, 25, 3, 0.5);
    const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
    const mean = (xs: number[][], ys: number[][]) => xs.reduce((s, a) => s + ys.reduce((t, b) => t + dist(a, b), 0), 0) / (xs.length * ys.length);
    const expected = 2 * mean(x, y) - mean(x, x) - mean(y, y);
    expect(relErr(energyTest(x, y, { permutations: 9 }).statistic, expected)).toBeLessThan(1e-12);
  });
  it('detects a mean shift and not the null', () => {
    expect(energyTest(gen(3, 150, 5, 0), gen(4, 150, 5, 0.4), { permutations: 99 }).pvalue).toBeLessThan(0.05);
    expect(energyTest(gen(5, 150, 5, 0), gen(6, 150, 5, 0), { permutations: 99 }).pvalue).toBeGreaterThan(0.05);
  });
});
