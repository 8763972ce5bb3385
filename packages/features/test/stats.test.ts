import { describe, expect, it } from 'vitest';
import { Ewma, FeatureError, RunningStats, WindowedAggregate } from '../src/index.js';
import { close, normal, rng } from './helpers.js';

function naive(xs: (number | null)[]) {
  const v = xs.filter((x): x is number => x !== null && !Number.isNaN(x));
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { n: v.length, mean, variance, min: Math.min(...v), max: Math.max(...v), nulls: xs.length - v.length };
}

function sample(seed: number, n: number): (number | null)[] {
  const r = rng(seed);
  const loc = (r() - 0.5) * 1e4;
  const scale = 10 ** (r() * 4 - 2);
  return Array.from({ length: n }, () => (r() < 0.05 ? null : r() < 0.02 ? NaN : loc + scale * normal(r)));
}

describe('RunningStats (Welford + Chan)', () => {
  it('matches the exact count, mean, variance, min, max and null count over 100 seeds', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const xs = sample(seed, 50 + seed * 7);
      const s = new RunningStats().update(xs);
      const e = naive(xs);
      expect(s.n).toBe(e.n);
      expect(s.nulls).toBe(e.nulls);
      expect(s.min).toBe(e.min);
      expect(s.max).toBe(e.max);
      expect(close(s.mean, e.mean, 1e-12)).toBe(true);
      expect(Math.abs(s.variance - e.variance) / e.variance).toBeLessThan(1e-9);
    }
  });

  it('merge(a, b) equals update(a ∪ b), in any split and order', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const xs = sample(seed, 300);
      const r = rng(seed + 1000);
      const cut = Math.floor(r() * xs.length);
      const a = new RunningStats().update(xs.slice(0, cut));
      const b = new RunningStats().update(xs.slice(cut));
      const whole = new RunningStats().update(xs);
      const m = a.clone().merge(b);
      const m2 = b.clone().merge(a);
      for (const x of [m, m2]) {
        expect(x.n).toBe(whole.n);
        expect(x.nulls).toBe(whole.nulls);
        expect(x.min).toBe(whole.min);
        expect(x.max).toBe(whole.max);
        expect(close(x.mean, whole.mean, 1e-12)).toBe(true);
        expect(Math.abs(x.variance - whole.variance) / whole.variance).toBeLessThan(1e-10);
      }
    }
  });

  it('merges with empty states and round-trips through JSON exactly', () => {
    const s = new RunningStats().update([1, 2, 3, null]);
    expect(new RunningStats().merge(s).toJSON()).toEqual(s.toJSON());
    expect(s.clone().merge(new RunningStats()).toJSON()).toEqual(s.toJSON());
    const j = JSON.parse(JSON.stringify(new RunningStats().toJSON()));
    const e = RunningStats.fromJSON(j);
    expect(e.min).toBe(Infinity);
    expect(e.max).toBe(-Infinity);
    const r = RunningStats.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(r.toJSON()).toEqual(s.toJSON());
    expect(r.variance).toBe(s.variance);
  });

  it('updateRepeated(x, c) equals c updates with x; affine maps the moments exactly', () => {
    const s = new RunningStats().update([4, 8, 15]).updateRepeated(16, 5);
    const e = naive([4, 8, 15, 16, 16, 16, 16, 16]);
    expect(close(s.mean, e.mean, 1e-14)).toBe(true);
    expect(close(s.variance, e.variance, 1e-12)).toBe(true);
    const a = new RunningStats().update([1, 2, 5]).affine(-2, 3);
    const ea = naive([1, -1, -7]);
    expect([a.min, a.max]).toEqual([ea.min, ea.max]);
    expect(close(a.mean, ea.mean, 1e-14) && close(a.variance, ea.variance, 1e-12)).toBe(true);
  });

  it('rejects ±Infinity with NON_FINITE', () => {
    expect(() => new RunningStats().update([1, Infinity])).toThrow(FeatureError);
    try {
      new RunningStats().update([-Infinity]);
    } catch (e) {
      expect((e as FeatureError).code).toBe('NON_FINITE');
    }
  });
});

function naiveEwma(xs: number[], alpha: number, bias: boolean): number {
  // pandas ewm(alpha, adjust=True).mean() for bias correction; zero-initialised recursion otherwise
  if (bias) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) {
      const w = (1 - alpha) ** (xs.length - 1 - i);
      num += w * xs[i];
      den += w;
    }
    return num / den;
  }
  let s = 0;
  for (const x of xs) s = (1 - alpha) * s + alpha * x;
  return s;
}

describe('Ewma', () => {
  it('matches the exact weighted average, with and without bias correction', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const xs = Array.from({ length: 5 + Math.floor(r() * 200) }, () => normal(r) * 10 + 3);
      const alpha = 0.01 + r() * 0.9;
      for (const bias of [true, false]) {
        const e = new Ewma({ alpha, biasCorrection: bias }).update(xs);
        expect(close(e.value, naiveEwma(xs, alpha, bias), 1e-10)).toBe(true);
      }
    }
    // pandas: pd.Series([1, 2, 3]).ewm(alpha=0.5, adjust=True).mean().iloc[-1] == 2.4285714285714284
    expect(new Ewma({ alpha: 0.5, biasCorrection: true }).update([1, 2, 3]).value).toBeCloseTo(2.4285714285714284, 14);
  });

  it('merge(earlier, later) equals updating with the concatenation; JSON round trip', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const xs = Array.from({ length: 100 }, () => normal(r));
      const cut = Math.floor(r() * 100);
      for (const bias of [true, false]) {
        const a = new Ewma({ alpha: 0.1, biasCorrection: bias }).update(xs.slice(0, cut));
        const b = new Ewma({ alpha: 0.1, biasCorrection: bias }).update(xs.slice(cut));
        const whole = new Ewma({ alpha: 0.1, biasCorrection: bias }).update(xs);
        expect(close(Ewma.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b).value, whole.value, 1e-12)).toBe(true);
      }
    }
  });

  it('rejects a bad alpha with BAD_OPTION', () => {
    expect(() => new Ewma({ alpha: 0 })).toThrow(/alpha must be a number in \(0, 1\]/);
    expect(() => new Ewma({ alpha: 1.5 })).toThrow(FeatureError);
  });
});

function naiveWindow(vals: number[], times: number[], end: number, window: number) {
  const sel = vals.filter((_, i) => times[i] >= end - window && times[i] < end);
  return { count: sel.length, sum: sel.reduce((a, b) => a + b, 0), min: Math.min(...sel), max: Math.max(...sel) };
}

describe('WindowedAggregate (tiles)', () => {
  it('matches a naive recomputation of count, sum, mean, min, max at every step of random streams', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const tile = 1 + Math.floor(r() * 5);
      const window = tile * (1 + Math.floor(r() * 20));
      const w = new WindowedAggregate({ window, tile });
      const vals: number[] = [];
      const times: number[] = [];
      let t = 0;
      for (let i = 0; i < 400; i++) {
        t += r() < 0.1 ? r() * window * 1.5 : r() * 2; // bursts and gaps longer than the window
        const v = Math.round(normal(r) * 100) / 4; // quarter-integers: sums are exact
        vals.push(v);
        times.push(t);
        w.update([v], [t]);
        const end = (Math.floor(t / tile) + 1) * tile;
        const e = naiveWindow(vals, times, end, window);
        const got = w.result();
        expect(got.end).toBe(end);
        expect(got.count).toBe(e.count);
        expect(got.sum).toBe(e.sum);
        expect(got.min).toBe(e.min);
        expect(got.max).toBe(e.max);
        expect(got.mean).toBe(e.sum / e.count);
      }
    }
  });

  it('drops values older than the window (counted as late) and merges shards tile-wise', () => {
    const w = new WindowedAggregate({ window: 10, tile: 1 });
    w.update([1, 2, 3], [0, 5, 12]);
    expect(w.result()).toEqual({ count: 2, sum: 5, mean: 2.5, min: 2, max: 3, start: 3, end: 13 });
    w.update([100], [1]);
    expect(w.late).toBe(1);
    expect(w.result().count).toBe(2);
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const vals = Array.from({ length: 300 }, () => Math.round(normal(r) * 40));
      const times = vals.map((_, i) => i * 0.5 + r() * 0.4); // time order
      const a = new WindowedAggregate({ window: 30, tile: 3 });
      const b = new WindowedAggregate({ window: 30, tile: 3 });
      const all = new WindowedAggregate({ window: 30, tile: 3 });
      vals.forEach((v, i) => ((r() < 0.5 ? a : b).update([v], [times[i]]), all.update([v], [times[i]])));
      const m = WindowedAggregate.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).merge(b);
      expect(m.result()).toEqual(all.result());
    }
  });

  it('rejects a window that is not a multiple of the tile', () => {
    expect(() => new WindowedAggregate({ window: 10, tile: 3 })).toThrow(/window must be a positive multiple of tile/);
  });
});
