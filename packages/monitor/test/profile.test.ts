import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetDrift, DatasetProfile, KllSketch, ks2samp, MonitorError, wassersteinDistance, type ColumnSpec } from '../src/index.js';
import { normals, relErr } from './helpers.js';

const schema: ColumnSpec[] = [
  { name: 'x', type: 'numeric' },
  { name: 'flag', type: 'numeric' },
  { name: 'color', type: 'categorical' },
  { name: 'empty', type: 'numeric' },
];

function window(n: number, seed: number, shift: number): { x: number[]; flag: number[]; color: string[]; empty: null[] } {
  const r = normals(seed);
  const x = Array.from({ length: n }, () => Math.round((r() + shift) * 1000) / 1000);
  const flag = Array.from({ length: n }, (_, i) => (r() + shift > 0.8 || i % 7 === 0 ? 1 : 0));
  const colors = ['red', 'green', 'blue'];
  const color = Array.from({ length: n }, () => colors[Math.min(2, Math.floor(Math.abs(r() + shift * 2)))]);
  return { x, flag, color, empty: Array.from({ length: n }, () => null) };
}

function profileOf(w: ReturnType<typeof window>, reservoirSize = 2000): DatasetProfile {
  const p = new DatasetProfile(schema, { reservoirSize });
  // Feed in uneven batches, as a stream would.
  const n = w.x.length;
  for (let s = 0; s < n; s += 333) {
    const e = Math.min(n, s + 333);
    p.update({ x: w.x.slice(s, e), flag: w.flag.slice(s, e), color: w.color.slice(s, e), empty: w.empty.slice(s, e) });
  }
  return p;
}

describe('KLL sketch', () => {
  it('rank error within 0.5% on 200k values, also after a merge', () => {
    const r = normals(7);
    const xs = Float64Array.from({ length: 200000 }, () => r());
    const a = new KllSketch(1024, 1);
    const b = new KllSketch(1024, 2);
    xs.forEach((v, i) => (i % 2 ? a : b).update(v));
    a.merge(b);
    expect(a.n).toBe(200000);
    const sorted = Float64Array.from(xs).sort();
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
      const est = a.quantile(q);
      // true rank of the estimate
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (sorted[m] <= est) lo = m + 1;
        else hi = m;
      }
      expect(Math.abs(lo / sorted.length - q), `q=${q}`).toBeLessThan(0.005);
    }
    const { weights } = a.weightedItems();
    expect(weights.reduce((s, w) => s + w, 0)).toBe(200000);
    expect(weights.length).toBeLessThan(4000);
  });
});

describe('profiles and dataset drift', () => {
  it('small windows: drift from profiles is exact (equals ks_2samp on the raw data) and picks Evidently defaults', () => {
    const wr = window(800, 1, 0);
    const wc = window(600, 2, 0.3);
    const d = datasetDrift(profileOf(wr), profileOf(wc));
    const byName = Object.fromEntries(d.columns.map((c) => [c.column, c]));
    expect(byName.x.test).toBe('ks');
    expect(byName.x.exact).toBe(true);
    const raw = ks2samp(wr.x, wc.x);
    expect(relErr(byName.x.score!, raw.pvalue)).toBeLessThan(1e-12);
    expect(byName.flag.test).toBe('z');
    expect(byName.color.test).toBe('chisquare');
    expect(byName.empty.status).toBe('skipped');
    expect(byName.empty.drifted).toBe(false);
    expect(byName.empty.reason).toMatch(/ALL_NULL/);
    expect(d.testedColumns).toBe(3);
    expect(d.share).toBe(d.driftedColumns / 3);
    expect(d.datasetDrift).toBe(d.share >= 0.5);
  });

  it('large windows: Wasserstein / Jensen–Shannon from sketches, close to the exact values', () => {
    const wr = window(30000, 3, 0);
    const wc = window(20000, 4, 0.25);
    const d = datasetDrift(profileOf(wr), profileOf(wc), { multivariate: { rows: 200, permutations: 49 } });
    const x = d.columns.find((c) => c.column === 'x')!;
    expect(x.test).toBe('wasserstein');
    expect(x.exact).toBe(false);
    const mean = wr.x.reduce((s, v) => s + v, 0) / wr.x.length;
    const sd = Math.sqrt(wr.x.reduce((s, v) => s + (v - mean) ** 2, 0) / wr.x.length);
    const exactW = wassersteinDistance(wr.x, wc.x) / sd;
    expect(Math.abs(x.score! - exactW)).toBeLessThan(0.01);
    expect(x.drifted).toBe(true);
    expect(d.columns.find((c) => c.column === 'color')!.test).toBe('jensenshannon');
    expect(d.columns.find((c) => c.column === 'flag')!.test).toBe('jensenshannon');
    expect(d.multivariate!.drifted).toBe(true);
  });

  it('per-column overrides of test and threshold', () => {
    const d = datasetDrift(profileOf(window(900, 5, 0)), profileOf(window(900, 6, 0.05)), {
      columns: { x: { test: 'psi', threshold: 0.5 }, color: { test: 'jensenshannon' } },
    });
    const x = d.columns.find((c) => c.column === 'x')!;
    expect(x.test).toBe('psi');
    expect(x.threshold).toBe(0.5);
    expect(x.distribution!.reference.length).toBe(10);
    expect(d.columns.find((c) => c.column === 'color')!.test).toBe('jensenshannon');
    expect(() => datasetDrift(profileOf(window(50, 1, 0)), profileOf(window(50, 2, 0)), { columns: { color: { test: 'ks' } } })).toThrow(/categorical/);
    expect(() => datasetDrift(profileOf(window(50, 1, 0)), profileOf(window(50, 2, 0)), { columns: { nope: { test: 'ks' } } })).toThrow(/nope/);
  });

  it('memory per window is constant: the serialised profile does not grow with the rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-monitor-'));
    const small = profileOf(window(20000, 8, 0));
    const big = profileOf(window(200000, 9, 0));
    small.save(join(dir, 'small.json'));
    big.save(join(dir, 'big.json'));
    expect(statSync(join(dir, 'big.json')).size / statSync(join(dir, 'small.json')).size).toBeLessThan(1.3);
    const back = DatasetProfile.load(join(dir, 'big.json'));
    expect(back.rows).toBe(200000);
    const cur = profileOf(window(5000, 10, 0.2));
    expect(datasetDrift(back, cur)).toEqual(datasetDrift(big, cur));
    expect(JSON.parse(readFileSync(join(dir, 'big.json'), 'utf8')).format).toBe('gantry.monitor.profile');
  });

  it('merging shard profiles equals one profile on counts and moments', () => {
    const w = window(4000, 11, 0);
    const whole = profileOf(w);
    const half = (s: number, e: number) => profileOf({ x: w.x.slice(s, e), flag: w.flag.slice(s, e), color: w.color.slice(s, e), empty: w.empty.slice(s, e) });
    const merged = half(0, 1500).merge(half(1500, 4000));
    expect(merged.rows).toBe(4000);
    const a = merged.column('x');
    const b = whole.column('x');
    if (a.type !== 'numeric' || b.type !== 'numeric') throw new Error('type');
    expect(a.count).toBe(b.count);
    expect(relErr(a.moments.mean, b.moments.mean)).toBeLessThan(1e-12);
    expect(relErr(a.moments.variance(), b.moments.variance())).toBeLessThan(1e-10);
    expect(merged.column('color').type === 'categorical' && [...(merged.column('color') as { counts: Map<string, number> }).counts].sort()).toEqual([...(whole.column('color') as { counts: Map<string, number> }).counts].sort());
  });

  it('bad input: empty window, schema mismatch, non-finite values are typed errors', () => {
    const empty = new DatasetProfile(schema);
    expect(() => datasetDrift(empty, profileOf(window(10, 1, 0)))).toThrow(MonitorError);
    const other = new DatasetProfile([{ name: 'x', type: 'categorical' }]);
    other.update({ x: ['a'] });
    try {
      datasetDrift(profileOf(window(10, 1, 0)), other);
      expect.unreachable();
    } catch (e) {
      expect((e as MonitorError).code).toBe('SCHEMA_MISMATCH');
    }
    const p = new DatasetProfile([{ name: 'x', type: 'numeric' }]);
    expect(() => p.update({ x: [1, Infinity] })).toThrow(/column 'x'/);
    expect(() => p.update({ y: [1] })).toThrow(/missing/);
    p.update({ x: [Number.NaN, null, 2] });
    expect(p.column('x').nulls).toBe(2);
  });
});
