/**
 * bench monitor: the drift report of 100 numeric + 20 categorical columns from profiles (time,
 * peak RSS at two window sizes), the same p-values and distances by SciPy on the same data,
 * and classification/regression metrics against scikit-learn.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accuracy, f1, logLoss, prAuc, precision, recall, regressionMetrics, rocAuc, ADWIN, PageHinkley, scoreDetector } from '@gantry/monitor';
import type { BenchContext, BenchRow } from '../lib/report.js';
import { pythonHas, runPythonJson } from '../lib/python.js';
import { runChild } from '../lib/rss.js';

const child = new URL('../monitor/drift-child.ts', import.meta.url);
type ChildOut = { rows: number; profileMs: number; genMs: number; reportMs: number; drifted: number; share: number; profileBytes: number; maxRssMiB: number };

const SCIPY = `
import json, sys, numpy as np
from scipy import stats
from scipy.spatial import distance
d, k = sys.argv[1], int(sys.argv[2])
out = []
for i in range(k):
    a = np.fromfile(f"{d}/ref_n{i}.f64"); b = np.fromfile(f"{d}/cur_n{i}.f64")
    r = stats.ks_2samp(a, b)
    out.append({"column": f"n{i}", "ksStatistic": float(r.statistic), "ksPvalue": float(r.pvalue), "wassersteinNorm": float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001))})
a = np.fromfile(f"{d}/ref_c0.u8", dtype=np.uint8); b = np.fromfile(f"{d}/cur_c0.u8", dtype=np.uint8)
keys = sorted(set(a.tolist()) | set(b.tolist()))
js = float(distance.jensenshannon([np.sum(a == x) / len(a) for x in keys], [np.sum(b == x) / len(b) for x in keys]))
print(json.dumps({"numeric": out, "js_c0": js}))
`;

const SKLEARN = `
import json, sys, numpy as np
from sklearn import metrics
d = json.load(open(sys.argv[1]))
yt, s, yp, rt, rp = np.array(d["yt"]), np.array(d["s"]), np.array(d["yp"]), np.array(d["rt"]), np.array(d["rp"])
print(json.dumps({"accuracy": metrics.accuracy_score(yt, yp), "precision": metrics.precision_score(yt, yp), "recall": metrics.recall_score(yt, yp),
  "f1": metrics.f1_score(yt, yp), "rocAuc": metrics.roc_auc_score(yt, s), "prAuc": metrics.average_precision_score(yt, s), "logLoss": metrics.log_loss(yt, s),
  "mae": metrics.mean_absolute_error(rt, rp), "mse": metrics.mean_squared_error(rt, rp), "mape": metrics.mean_absolute_percentage_error(rt, rp),
  "r2": metrics.r2_score(rt, rp), "maxError": metrics.max_error(rt, rp)}))
`;

export function header(): string {
  return 'Drift report of 100 numeric + 20 categorical columns from streaming profiles; SciPy 1.10 / scikit-learn 1.2 via /usr/bin/python3 as references.';
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const small = ctx.quick ? 20_000 : 1_000_000;
  const large = ctx.quick ? 200_000 : 10_000_000;
  const cmpRows = ctx.quick ? 100_000 : 1_000_000;
  const dumpCols = 4;

  // 1. Constant memory: the same report at two window sizes, each in its own process.
  ctx.log(`profiles + report at ${small} rows`);
  const a = await runChild<ChildOut>(child, [String(small)]);
  ctx.log(`profiles + report at ${large} rows`);
  const b = await runChild<ChildOut>(child, [String(large)]);
  rows.push({ name: `drift report ${small} rows: profile time`, value: a.profileMs / 1000, unit: 's', note: '2 windows × 120 columns, DatasetProfile.update only' });
  rows.push({ name: `drift report ${small} rows: report time`, value: a.reportMs, unit: 'ms', note: 'from profiles, no raw data' });
  rows.push({ name: `drift report ${small} rows: profile throughput`, value: (2 * small * 120) / (a.profileMs / 1000) / 1e6, unit: 'M values/s' });
  rows.push({ name: `drift report ${large} rows: profile throughput`, value: (2 * large * 120) / (b.profileMs / 1000) / 1e6, unit: 'M values/s', note: `${(b.profileMs / 1000).toFixed(1)} s for 2 windows` });
  rows.push({ name: `drift report ${large} rows: data generation`, value: (2 * large * 120) / (b.genMs / 1000) / 1e6, unit: 'M values/s', note: `${(b.genMs / 1000).toFixed(1)} s, not in the profile time` });
  rows.push({ name: `drift report ${large} rows: report time`, value: b.reportMs, unit: 'ms' });
  rows.push({ name: `peak RSS ${small} rows`, value: a.maxRssMiB, unit: 'MiB' });
  const ratio = b.maxRssMiB / a.maxRssMiB;
  rows.push({ name: `peak RSS ${large} rows vs ${small}`, value: b.maxRssMiB, unit: 'MiB', reference: a.maxRssMiB, ratio, bar: 'ratio <= 1.2', pass: ratio <= 1.2 });
  rows.push({ name: 'profile size (serialised, 1 window)', value: b.profileBytes / 2 ** 20, unit: 'MiB', reference: a.profileBytes / 2 ** 20, ratio: b.profileBytes / a.profileBytes });

  // 2. SciPy on the same data.
  if (!pythonHas('scipy', 'numpy')) {
    rows.push({ name: 'KS p-value vs SciPy', value: Number.NaN, unit: 'rel', note: 'skipped: /usr/bin/python3 has no scipy' });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'bench-monitor-'));
    try {
      ctx.log(`dumping ${dumpCols} columns of ${cmpRows} rows for SciPy`);
      await runChild<ChildOut>(child, [String(cmpRows), dir, String(dumpCols)]);
      const ts = JSON.parse(readFileSync(join(dir, 'ts.json'), 'utf8')) as {
        exact: { column: string; ksStatistic: number; ksPvalue: number; wassersteinNorm: number }[];
        profileKs: { column: string; statistic: number; pvalue: number }[];
        columns: { column: string; test?: string; score?: number }[];
      };
      const py = runPythonJson<{ numeric: { column: string; ksStatistic: number; ksPvalue: number; wassersteinNorm: number }[]; js_c0: number }>(SCIPY, [dir, String(dumpCols)]);
      let maxRelP = 0;
      let maxStat = 0;
      let maxW = 0;
      let maxProfileStat = 0;
      let maxProfileW = 0;
      py.numeric.forEach((p, i) => {
        const e = ts.exact[i];
        maxRelP = Math.max(maxRelP, p.ksPvalue === e.ksPvalue ? 0 : Math.abs(p.ksPvalue - e.ksPvalue) / Math.max(p.ksPvalue, 1e-300));
        maxStat = Math.max(maxStat, Math.abs(p.ksStatistic - e.ksStatistic));
        maxW = Math.max(maxW, Math.abs(p.wassersteinNorm - e.wassersteinNorm) / Math.max(p.wassersteinNorm, 1e-300));
        maxProfileStat = Math.max(maxProfileStat, Math.abs(ts.profileKs[i].statistic - p.ksStatistic));
        const col = ts.columns.find((c) => c.column === p.column);
        if (col?.test === 'wasserstein') maxProfileW = Math.max(maxProfileW, Math.abs(col.score! - p.wassersteinNorm));
      });
      const minP = Math.min(...py.numeric.map((p) => p.ksPvalue));
      rows.push({ name: `KS p-value (exact data, ${cmpRows} rows) max rel diff vs SciPy`, value: maxRelP, unit: 'rel', bar: '<= 1e-6', pass: maxRelP <= 1e-6, note: `${dumpCols} columns, smallest p ${minP.toExponential(2)}` });
      rows.push({ name: 'KS statistic (exact data) max abs diff vs SciPy', value: maxStat, unit: 'abs', bar: '<= 1e-12', pass: maxStat <= 1e-12 });
      rows.push({ name: 'KS statistic from profiles (KLL k=1024) max abs diff vs SciPy', value: maxProfileStat, unit: 'abs', note: 'approximate; bound ε_ref + ε_cur ≈ 2·2/k ≈ 0.004' });
      rows.push({ name: 'normalised Wasserstein (exact data) max rel diff vs SciPy', value: maxW, unit: 'rel', bar: '<= 1e-9', pass: maxW <= 1e-9 });
      rows.push({ name: 'normalised Wasserstein from profiles max abs diff vs SciPy', value: maxProfileW, unit: 'abs', note: 'KLL quantiles; threshold is 0.1' });
      const js = ts.columns.find((c) => c.column === 'c0')!;
      const dJs = Math.abs(js.score! - py.js_c0);
      rows.push({ name: 'Jensen–Shannon (categorical, from profile) abs diff vs SciPy', value: dJs, unit: 'abs', bar: '<= 1e-12', pass: dJs <= 1e-12, note: 'category counts are exact' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // 3. Metrics against scikit-learn on 100k samples.
  if (!pythonHas('sklearn', 'numpy')) {
    rows.push({ name: 'metrics vs scikit-learn', value: Number.NaN, unit: 'abs', note: 'skipped: /usr/bin/python3 has no sklearn' });
  } else {
    const n = ctx.quick ? 20_000 : 100_000;
    let st = 42;
    const u = () => ((st = (Math.imul(st, 1664525) + 1013904223) >>> 0), st / 4294967296);
    const yt = Array.from({ length: n }, () => (u() < 0.4 ? 1 : 0));
    const s = yt.map((y) => Math.round(Math.min(1, Math.max(0, 0.3 * y + 0.7 * u())) * 1000) / 1000);
    const yp = s.map((v) => (v >= 0.5 ? 1 : 0));
    const rt = Array.from({ length: n }, () => 5 + 10 * u());
    const rp = rt.map((v) => v + (u() - 0.5));
    const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
    const file = join(dir, 'm.json');
    writeFileSync(file, JSON.stringify({ yt, s, yp, rt, rp }));
    const sk = runPythonJson<Record<string, number>>(SKLEARN, [file]);
    rmSync(dir, { recursive: true, force: true });
    const reg = regressionMetrics(rt, rp);
    const ours: Record<string, number> = { accuracy: accuracy(yt, yp), precision: precision(yt, yp), recall: recall(yt, yp), f1: f1(yt, yp), rocAuc: rocAuc(yt, s), prAuc: prAuc(yt, s), logLoss: logLoss(yt, s), mae: reg.mae, mse: reg.mse, mape: reg.mape, r2: reg.r2, maxError: reg.maxError };
    let worst = 0;
    let worstName = '';
    for (const k of Object.keys(sk)) {
      const d = Math.abs(ours[k] - sk[k]);
      if (d >= worst) [worst, worstName] = [d, k];
    }
    rows.push({ name: `metrics (12) max abs diff vs scikit-learn, n=${n}`, value: worst, unit: 'abs', bar: '<= 1e-9', pass: worst <= 1e-9, note: `worst: ${worstName}` });
  }

  // 4. Detectors on a synthetic stream with known change points (σ = 1, shifts +1 at 5000, −1.5 at 10000).
  let z = 9;
  const uz = () => ((z = (Math.imul(z, 1664525) + 1013904223) >>> 0), (z + 0.5) / 4294967296);
  const stream = Float64Array.from({ length: 15000 }, (_, i) => Math.sqrt(-2 * Math.log(uz())) * Math.cos(2 * Math.PI * uz()) + (i >= 10000 ? -0.5 : i >= 5000 ? 1 : 0));
  for (const [name, make] of [['ADWIN', () => new ADWIN()], ['PageHinkley', () => new PageHinkley()]] as const) {
    const sc = scoreDetector(make, stream, [5000, 10000]);
    const delays = sc.delays.filter((d): d is number => d !== null);
    rows.push({ name: `${name} mean detection delay`, value: delays.length ? delays.reduce((x, y) => x + y, 0) / delays.length : Number.NaN, unit: 'samples', note: `${delays.length}/2 changes found` });
    rows.push({ name: `${name} false alarms per 1000 samples`, value: sc.falseAlarmRate, unit: '/1000', note: `${sc.falseAlarms} false alarms in 15000` });
  }
  return rows;
}
