import { MonitorError } from '../errors.js';

export interface EnergyTestResult {
  /** Energy distance E = 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖ (V-statistic, all pairs including i = j). */
  statistic: number;
  /** Permutation p-value (1 + #{E_perm ≥ E}) / (1 + permutations). */
  pvalue: number;
  permutations: number;
}

/** Small deterministic PRNG (mulberry32) so permutation tests are reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Multivariate two-sample energy test (Székely & Rizzo 2004, "Testing for equal distributions
 * in high dimension"; the statistic of `dcor.energy_distance`). Rows are points; columns are
 * expected on comparable scales (standardise by the reference first, as `datasetDrift` does).
 * The pairwise distance matrix is computed once and the permutations re-index it.
 */
export function energyTest(x: number[][], y: number[][], options: { permutations?: number; seed?: number } = {}): EnergyTestResult {
  const B = options.permutations ?? 199;
  const n = x.length;
  const m = y.length;
  if (n < 2 || m < 2) throw new MonitorError('EMPTY_WINDOW', `energyTest: needs at least 2 rows per sample, got ${n} and ${m}`);
  const d = x[0].length;
  const all = [...x, ...y];
  for (let r = 0; r < all.length; r++) {
    if (all[r].length !== d) throw new MonitorError('SCHEMA_MISMATCH', `energyTest: row ${r} has ${all[r].length} columns, expected ${d}`);
    for (let c = 0; c < d; c++) if (!Number.isFinite(all[r][c])) throw new MonitorError('INVALID_VALUE', `energyTest: row ${r} column ${c} is ${all[r][c]}`);
  }
  const N = n + m;
  const D = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      let s = 0;
      const a = all[i];
      const b = all[j];
      for (let c = 0; c < d; c++) s += (a[c] - b[c]) ** 2;
      D[i * N + j] = D[j * N + i] = Math.sqrt(s);
    }
  }
  const stat = (idx: Int32Array): number => {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < N; i++) {
      const row = idx[i] * N;
      const inX = i < n;
      for (let j = i + 1; j < N; j++) {
        const v = D[row + idx[j]];
        if (inX && j < n) xx += v;
        else if (!inX) yy += v;
        else xy += v;
      }
    }
    return (2 * xy) / (n * m) - (2 * xx) / (n * n) - (2 * yy) / (m * m);
  };
  const idx = new Int32Array(N);
  for (let i = 0; i < N; i++) idx[i] = i;
  const observed = stat(idx);
  const rnd = mulberry32(options.seed ?? 12345);
  let ge = 0;
  for (let b = 0; b < B; b++) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    if (stat(idx) >= observed - 1e-12) ge++;
  }
  return { statistic: observed, pvalue: (1 + ge) / (1 + B), permutations: B };
}
