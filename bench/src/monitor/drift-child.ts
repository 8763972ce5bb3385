/**
 * Child of the monitor bench: builds reference and current profiles of `rows` rows × 100 numeric
 * + 20 categorical columns in 10k-row chunks, runs the drift report from the profiles, and
 * optionally dumps a few raw columns (float64 LE / uint8 codes) for the SciPy comparison.
 * Usage: drift-child.ts <rows> [dumpDir] [dumpNumeric]
 */
import { writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { datasetDrift, DatasetProfile, ks2samp, wassersteinSorted, type ColumnSpec } from '@gantry/monitor';
import { reportAndExit } from '../lib/rss.js';
import { ziggurat } from './normal.js';

const rows = Number(process.argv[2]);
const dumpDir = process.argv[3];
const dumpNumeric = Number(process.argv[4] ?? 0);
const NUM = 100;
const CAT = 20;
const CHUNK = 10000;
/** MONITOR_MEMLOG=1: print process.memoryUsage() every 10 chunks to stderr. */
const memLog = !!process.env.MONITOR_MEMLOG;
const schema: ColumnSpec[] = [
  ...Array.from({ length: NUM }, (_, i) => ({ name: `n${i}`, type: 'numeric' as const })),
  ...Array.from({ length: CAT }, (_, i) => ({ name: `c${i}`, type: 'categorical' as const })),
];
const LABELS = ['a', 'b', 'c', 'd', 'e', 'f'];

/**
 * Generates the window in reused column buffers (no allocation per chunk or row): standard normals
 * by the ziggurat method, categories by inverse CDF of the capped exponential.
 * The profile copies what it keeps, so the buffers are rewritten for every chunk.
 */
function build(seed: number, drift: boolean, tag: string): { profile: DatasetProfile; ms: number; genMs: number; dumps: Float64Array[] } {
  const { normal, uniform: u } = ziggurat(seed);
  const p = new DatasetProfile(schema, { reservoirSize: 2000, seed });
  const fds = dumpDir ? [...Array.from({ length: dumpNumeric }, (_, i) => openSync(join(dumpDir, `${tag}_n${i}.f64`), 'w')), openSync(join(dumpDir, `${tag}_c0.u8`), 'w')] : [];
  const dumps: Float64Array[] = Array.from({ length: dumpNumeric }, () => new Float64Array(rows));
  const numBufs = Array.from({ length: NUM }, () => new Float64Array(CHUNK));
  const catBufs = Array.from({ length: CAT }, () => new Array<string>(CHUNK).fill(LABELS[0]));
  const codes = new Uint8Array(CHUNK);
  // min(5, floor(E·s)) ≥ j  ⇔  E ≥ j/s  ⇔  U ≥ 1 − exp(−j/s), for E = −log(1 − U).
  const thresholds = (s: number) => Float64Array.from({ length: 5 }, (_, j) => 1 - Math.exp(-(j + 1) / s));
  let profileMs = 0;
  const t0 = performance.now();
  for (let start = 0; start < rows; start += CHUNK) {
    const n = Math.min(CHUNK, rows - start);
    const batch: Record<string, ArrayLike<unknown>> = {};
    for (let c = 0; c < NUM; c++) {
      // Half the columns shift in the drifted window; some are integers (ties), one in five rounded.
      const shift = drift && c % 2 === 0 ? 0.05 + 0.002 * c : 0;
      const scale = 1 + c / 100;
      const full = numBufs[c];
      const xs = n === CHUNK ? full : full.subarray(0, n);
      if (c % 5 === 0) for (let i = 0; i < n; i++) xs[i] = Math.round((normal() + shift) * 100) / 100;
      else for (let i = 0; i < n; i++) xs[i] = normal() * scale + shift;
      batch[`n${c}`] = xs;
      if (c < dumpNumeric) {
        dumps[c].set(xs, start);
        if (fds.length) writeSync(fds[c], new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength));
      }
    }
    for (let c = 0; c < CAT; c++) {
      const skew = drift && c % 2 === 0 ? 0.08 : 0;
      const th = thresholds(1.2 + skew * 10);
      const [t1, t2, t3, t4, t5] = th;
      const buf = catBufs[c];
      if (n < CHUNK) buf.length = n;
      for (let i = 0; i < n; i++) {
        const x = u();
        const v = x < t1 ? 0 : x < t2 ? 1 : x < t3 ? 2 : x < t4 ? 3 : x < t5 ? 4 : 5;
        buf[i] = LABELS[v];
        codes[i] = v;
      }
      batch[`c${c}`] = buf;
      if (c === 0 && fds.length) writeSync(fds[fds.length - 1], codes.subarray(0, n));
    }
    const t1 = performance.now();
    p.update(batch);
    profileMs += performance.now() - t1;
    if (memLog && (start / CHUNK) % 10 === 0) {
      const m = process.memoryUsage();
      process.stderr.write(`${tag} ${start} rows: rss ${(m.rss / 2 ** 20).toFixed(1)} heapUsed ${(m.heapUsed / 2 ** 20).toFixed(1)} heapTotal ${(m.heapTotal / 2 ** 20).toFixed(1)} external ${(m.external / 2 ** 20).toFixed(1)} MiB\n`);
    }
  }
  const ms = performance.now() - t0;
  for (const fd of fds) closeSync(fd);
  return { profile: p, ms: profileMs, genMs: ms - profileMs, dumps: dumpDir ? dumps : [] };
}

const ref = build(1, false, 'ref');
const cur = build(2, true, 'cur');
const t0 = performance.now();
const report = datasetDrift(ref.profile, cur.profile);
const reportMs = performance.now() - t0;

// Exact values on the dumped raw columns (sorted merge), to compare with SciPy and with the profiles.
const exact = ref.dumps.map((a, i) => {
  const b = cur.dumps[i];
  const ks = ks2samp(a, b);
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  let mean = 0;
  for (const v of a) mean += v;
  mean /= a.length;
  let m2 = 0;
  for (const v of a) m2 += (v - mean) ** 2;
  const sd = Math.sqrt(m2 / a.length);
  return { column: `n${i}`, ksStatistic: ks.statistic, ksPvalue: ks.pvalue, wassersteinNorm: wassersteinSorted(sa, sb) / Math.max(sd, 0.001) };
});
// KS statistic from the profiles alone (KLL step CDFs), for the same columns.
const profileKs = exact.map((e) => {
  const r = datasetDrift(ref.profile, cur.profile, { columns: { [e.column]: { test: 'ks' } } }).columns.find((c) => c.column === e.column)!;
  return { column: e.column, statistic: r.statistic!, pvalue: r.score! };
});
if (dumpDir) writeFileSync(join(dumpDir, 'ts.json'), JSON.stringify({ exact, profileKs, columns: report.columns.filter((c) => exact.some((e) => e.column === c.column) || c.column === 'c0') }));
reportAndExit({
  rows,
  profileMs: ref.ms + cur.ms,
  genMs: ref.genMs + cur.genMs,
  reportMs,
  drifted: report.driftedColumns,
  share: report.share,
  profileBytes: JSON.stringify(ref.profile.toJSON()).length,
});
