/**
 * bench features: the streaming fit of a 32-column pipeline over an Arrow IPC file at two sizes
 * (throughput, peak RSS in a child process each), CPU and GPU transform throughput, sketch
 * accuracy against exact answers, and scikit-learn's scaler / one-hot / hasher on the same data.
 */
import { mulberry32 } from '../lib/rng.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGpu } from '@gantry/gpu';
import { CountMinSketch, FeaturePipeline, HyperLogLog, KllSketch } from '@gantry/features';
import { median, type BenchContext, type BenchRow } from '../lib/report.js';
import { pythonHas, runPythonJson } from '../lib/python.js';
import { runChild } from '../lib/rss.js';
import { SPEC, makeBatch, writeData } from '../features/common.js';

const child = new URL('../features/fit-child.ts', import.meta.url);
type FitOut = { rows: number; fitMs: number; rowsPerSec: number; pipelineBytes: number; width: number; maxRssMiB: number };

export function header(): string {
  return 'Pipeline: 28 numeric columns (standardScale; log1p+robustScale; minMax+clip; impute median+16 quantile buckets) + 4 categorical (oneHot 8/16, hash 32, index), fitted in one streaming pass over an Arrow IPC stream file; scikit-learn 1.2 via /usr/bin/python3 as the reference.';
}

const rng = mulberry32;

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const small = ctx.quick ? 100_000 : 1_000_000;
  const large = ctx.quick ? 1_000_000 : 10_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-features-'));
  try {
    // 1. fit: throughput and peak RSS at two sizes, each in its own process
    const fits: FitOut[] = [];
    for (const n of [small, large]) {
      const path = join(dir, `data-${n}.arrows`);
      ctx.log(`writing ${n} rows × 32 columns to ${path}`);
      await writeData(path, n);
      ctx.log(`fitting over ${n} rows`);
      fits.push(await runChild<FitOut>(child, [path]));
      rmSync(path, { force: true });
    }
    const [a, b] = fits;
    rows.push({ name: `fit ${a.rows} rows × 32 cols: throughput`, value: a.rowsPerSec, unit: 'rows/s', note: `${(a.fitMs / 1000).toFixed(1)} s incl. reading the file` });
    rows.push({ name: `fit ${b.rows} rows × 32 cols: throughput`, value: b.rowsPerSec, unit: 'rows/s', note: `${(b.fitMs / 1000).toFixed(1)} s incl. reading the file` });
    rows.push({ name: `fit peak RSS ${b.rows} rows vs ${a.rows} rows`, value: b.maxRssMiB, unit: 'MiB', reference: a.maxRssMiB, ratio: b.maxRssMiB / a.maxRssMiB, bar: 'ratio <= 1.2', pass: b.maxRssMiB / a.maxRssMiB <= 1.2 });
    rows.push({ name: 'fitted pipeline JSON size (large vs small)', value: b.pipelineBytes, unit: 'bytes', reference: a.pipelineBytes, ratio: b.pipelineBytes / a.pipelineBytes, note: `${b.width} output columns` });

    // 2. transform throughput: CPU (Arrow-like columns → features) and the fused kernel on the GPU
    const tn = ctx.quick ? 65_536 : 262_144;
    const fitData = makeBatch(0, 100_000, 7);
    const p = await new FeaturePipeline(SPEC).fit([fitData as never]);
    const batch = makeBatch(0, tn, 9) as never;
    const cpuTimes: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      p.transformBatch(batch);
      cpuTimes.push(performance.now() - t0);
    }
    const cpuRate = (tn / median(cpuTimes)) * 1000;
    rows.push({ name: `CPU transformBatch ${tn} rows (all ${p.outputWidth} outputs)`, value: cpuRate, unit: 'rows/s' });
    const numericOnly = new FeaturePipeline(SPEC.slice(0, 28));
    await numericOnly.fit([fitData as never]);
    const nt: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      numericOnly.transformBatch(batch);
      nt.push(performance.now() - t0);
    }
    const cpuNumRate = (tn / median(nt)) * 1000;
    try {
      const gpu = await createGpu({ backend: 'webgpu' });
      try {
        const g = numericOnly.toGpu(gpu);
        const xm = numericOnly.numericMatrix(batch);
        const x = gpu.tensor(xm, [tn, 28]);
        g.transform(x).dispose();
        await gpu.sync();
        const times: number[] = [];
        for (let r = 0; r < 5; r++) {
          const t0 = performance.now();
          const y = g.transform(x);
          await gpu.sync();
          times.push(performance.now() - t0);
          y.dispose();
        }
        const gpuRate = (tn / median(times)) * 1000;
        rows.push({ name: `GPU fused kernel ${tn} rows × 28 numeric outputs (device → device)`, value: gpuRate, unit: 'rows/s', reference: cpuNumRate, ratio: gpuRate / cpuNumRate, note: `reference: CPU transformBatch of the same numeric part; adapter ${gpu.info.adapter?.description ?? gpu.info.adapter?.device ?? 'webgpu'}` });
        const t0 = performance.now();
        const x2 = gpu.tensor(numericOnly.numericMatrix(batch), [tn, 28]);
        const out = await g.transform(x2).read();
        const e2e = performance.now() - t0;
        rows.push({ name: `GPU end to end ${tn} rows (matrix, upload, kernel, read back)`, value: (tn / e2e) * 1000, unit: 'rows/s', reference: cpuNumRate, ratio: tn / e2e * 1000 / cpuNumRate });
        const cpuOut = numericOnly.transformBatch(batch);
        let m = 0;
        for (let i = 0; i < out.length; i++) m = Math.max(m, Math.abs(out[i] - cpuOut[i]) / Math.max(1, Math.abs(cpuOut[i])));
        rows.push({ name: 'GPU vs CPU output, max relative difference', value: m, unit: 'rel', bar: '<= 1e-6', pass: m <= 1e-6, note: 'bucket indices included; relative to max(1, |x|)' });
        x.dispose();
        x2.dispose();
        g.dispose();
      } finally {
        gpu.destroy();
      }
    } catch (e) {
      rows.push({ name: 'GPU fused kernel', value: NaN, unit: 'rows/s', note: `skipped: ${(e as Error).message}` });
    }

    // 3. sketch accuracy against exact answers
    const seeds = ctx.quick ? 40 : 200;
    const hllErr: number[] = [];
    for (let s = 1; s <= seeds; s++) {
      const h = new HyperLogLog({ p: 12 });
      const n = 100_000;
      for (let i = 0; i < n; i++) h.add(`s${s}:${i}`);
      hllErr.push(h.estimate() / n - 1);
    }
    const rse = Math.sqrt(hllErr.reduce((x, y) => x + y * y, 0) / hllErr.length);
    rows.push({ name: `HLL p=12 relative standard error (${seeds} seeds × 100k distinct)`, value: rse, unit: 'rel', reference: 1.04 / 64, ratio: rse / (1.04 / 64), bar: 'ratio <= 1.2', pass: rse / (1.04 / 64) <= 1.2, note: 'reference: 1.04/√4096 (DataSketches: ~1.6%)' });
    const kllErr: number[] = [];
    const qs = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    for (let s = 1; s <= seeds; s++) {
      const r = rng(s);
      const n = 200_000;
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) xs[i] = Math.exp(2 * (r() + r() + r() - 1.5));
      const sk = new KllSketch({ k: 200, seed: s }).update(xs);
      const sorted = xs.slice().sort();
      const got = sk.quantiles(qs);
      let m = 0;
      qs.forEach((q, i) => {
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sorted[mid] <= got[i]) lo = mid + 1;
          else hi = mid;
        }
        m = Math.max(m, Math.abs(lo / n - q));
      });
      kllErr.push(m);
    }
    kllErr.sort((x, y) => x - y);
    const p99 = kllErr[Math.min(kllErr.length - 1, Math.floor(0.99 * kllErr.length))];
    rows.push({ name: `KLL k=200 max rank error over 99 quantiles, 99th pct of ${seeds} seeds (n=200k)`, value: p99, unit: 'rank', reference: 0.0165, ratio: p99 / 0.0165, bar: 'ratio <= 1', pass: p99 <= 0.0165, note: 'reference: DataSketches 1.65% at 99% confidence' });
    {
      const r = rng(99);
      const cm = new CountMinSketch({ epsilon: 0.001, delta: 0.01, topK: 10 });
      const exact = new Map<string, number>();
      for (let i = 0; i < 500_000; i++) {
        const k = `k${Math.floor(100_000 * r() ** 3)}`;
        cm.add(k);
        exact.set(k, (exact.get(k) ?? 0) + 1);
      }
      let over = 0;
      for (const [k, c] of exact) if (cm.estimate(k) - c > cm.epsilon * cm.total) over++;
      const frac = over / exact.size;
      rows.push({ name: 'Count-Min ε=0.001 δ=0.01: fraction of keys over ε·N', value: frac, unit: 'fraction', reference: cm.delta, ratio: frac / cm.delta, bar: 'ratio <= 1', pass: frac <= cm.delta, note: `${exact.size} distinct keys, 500k updates, depth ${cm.depth}` });
      const top = [...exact].sort((x, y) => y[1] - x[1]).slice(0, 10).map((e) => e[0]);
      const found = cm.heavyHitters(10).filter((h) => top.includes(h.key)).length;
      rows.push({ name: 'Count-Min heavy hitters: true top-10 recovered', value: found, unit: 'of 10', bar: '>= 9', pass: found >= 9 });
    }

    // 4. scikit-learn on the same data
    if (!pythonHas('sklearn', 'numpy')) {
      rows.push({ name: 'scikit-learn comparison', value: NaN, unit: '', note: 'skipped: /usr/bin/python3 has no scikit-learn' });
    } else {
      const n = ctx.quick ? 50_000 : 200_000;
      const d = makeBatch(0, n, 11);
      const x0 = d.n0 as Float32Array;
      const x4 = d.n4 as Float32Array;
      const c0 = d.c0 as string[];
      const c2 = d.c2 as string[];
      const sp = new FeaturePipeline([
        { column: 'n0', transforms: [{ type: 'standardScale' }] },
        { column: 'n4', transforms: [{ type: 'minMaxScale' }] },
        { column: 'c0', transforms: [{ type: 'oneHot', topK: 8 }] },
        { column: 'c2', transforms: [{ type: 'hash', nFeatures: 32 }] },
      ]);
      await sp.fit([{ n0: x0, n4: x4, c0, c2 }]);
      const ours = sp.transformBatch({ n0: x0, n4: x4, c0, c2 });
      writeFileSync(join(dir, 'n0.f32'), x0);
      writeFileSync(join(dir, 'n4.f32'), x4);
      writeFileSync(join(dir, 'cats.json'), JSON.stringify({ c0, c2 }));
      const t0 = performance.now();
      const ref = runPythonJson<{ std: number[]; mm: number[]; oh: number[][]; ohCols: string[]; hash: number[][] }>(
        `
import json, sys, numpy as np
from sklearn.preprocessing import StandardScaler, MinMaxScaler, OneHotEncoder
from sklearn.feature_extraction import FeatureHasher
d = sys.argv[1]
x0 = np.fromfile(d + '/n0.f32', dtype=np.float32).astype(np.float64)[:, None]
x4 = np.fromfile(d + '/n4.f32', dtype=np.float32).astype(np.float64)[:, None]
c = json.load(open(d + '/cats.json'))
oh = OneHotEncoder(max_categories=9, handle_unknown='infrequent_if_exist', sparse_output=False).fit(np.array(c['c0'], dtype=object)[:, None])
cols = [str(v) for v in oh.get_feature_names_out(['c0'])]
h = FeatureHasher(n_features=32, input_type='string').transform([[v] for v in c['c2']]).toarray()
print(json.dumps({'std': StandardScaler().fit_transform(x0)[:, 0].tolist(), 'mm': MinMaxScaler().fit_transform(x4)[:, 0].tolist(),
  'oh': oh.transform(np.array(c['c0'], dtype=object)[:, None]).tolist(), 'ohCols': cols, 'hash': h.tolist()}))
`,
        [dir],
      );
      const pyMs = performance.now() - t0;
      const w = sp.outputWidth;
      let dStd = 0;
      let dMm = 0;
      let dOh = 0;
      let dHash = 0;
      for (let i = 0; i < n; i++) {
        dStd = Math.max(dStd, Math.abs(ours[i * w] - ref.std[i]));
        dMm = Math.max(dMm, Math.abs(ours[i * w + 1] - ref.mm[i]));
        for (let k = 0; k < 9; k++) dOh = Math.max(dOh, Math.abs(ours[i * w + 2 + k] - ref.oh[i][k]));
        for (let k = 0; k < 32; k++) dHash = Math.max(dHash, Math.abs(ours[i * w + 11 + k] - ref.hash[i][k]));
      }
      const note = `${n} rows; python ${(pyMs / 1000).toFixed(1)} s incl. JSON`;
      const ohNames = sp.outputNames.slice(2, 11).map((s) => s.replace('=', '_').replace('___other__', '_infrequent_sklearn'));
      const sameCols = JSON.stringify(ohNames) === JSON.stringify(ref.ohCols);
      rows.push({ name: 'StandardScaler vs scikit-learn: max abs difference', value: dStd, unit: 'abs', bar: '<= 1e-6', pass: dStd <= 1e-6, note: `${note}; float32 output vs float64` });
      rows.push({ name: 'MinMaxScaler vs scikit-learn: max abs difference', value: dMm, unit: 'abs', bar: '<= 1e-6', pass: dMm <= 1e-6, note });
      rows.push({ name: 'OneHotEncoder(max_categories=9, infrequent_if_exist) vs scikit-learn: max abs difference', value: dOh, unit: 'abs', bar: '<= 1e-6', pass: dOh <= 1e-6 && sameCols, note: sameCols ? 'same categories in the same order' : `categories differ: ${ohNames.join(',')} vs ${ref.ohCols.join(',')}` });
      rows.push({ name: 'FeatureHasher(32, string) vs scikit-learn: max abs difference', value: dHash, unit: 'abs', bar: '<= 1e-6', pass: dHash <= 1e-6, note });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
