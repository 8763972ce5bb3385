import { MonitorError } from '../errors.js';
import { requireNonEmpty } from '../validate.js';
import { kolmogorovSmirnovSf } from './kolmogorov.js';

/** How the p-value was obtained. */
export type KsMethod = 'exact' | 'asymp';

export interface KsResult {
  /** sup |F₁ − F₂| over the pooled sample. */
  statistic: number;
  pvalue: number;
  method: KsMethod;
  n1: number;
  n2: number;
}

/** SciPy's `MAX_AUTO_N`: 'auto' is exact when both samples are at most this size. */
export const KS_MAX_AUTO_N = 10000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Proportion of lattice paths outside |x − y| < h for n₁ = n₂ = n (SciPy `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * 1 − proportion of lattice paths staying strictly inside the two diagonals (SciPy
 * `_compute_outer_prob_inside_method`, Hodges 1958 with Viehmann's 2021 recursion for 1 − p).
 */
function outerProbInside(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) for (let t = maxj - minj; t < maxj - minj + (lastlen - curlen) && t < lenA; t++) A[t] = 1;
  }
  return A[maxj - minj - 1];
}

/** The two-sided statistic of two ascending-sorted samples by a sorted merge (ties handled as SciPy's searchsorted 'right'). */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const v = a[i] <= b[j] ? a[i] : b[j];
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
    const diff = Math.abs(i / n1 - j / n2);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * The p-value of a two-sided two-sample KS statistic `d` for sample sizes n1, n2, chosen as
 * `scipy.stats.ks_2samp(method='auto')` does: exact when max(n1, n2) ≤ 10000 (the statistic is
 * first rounded to the lattice h / lcm(n1, n2)), else `kstwo.sf(d, round(n1·n2/(n1+n2)))`.
 */
export function ksPValue(d: number, n1: number, n2: number, method: 'auto' | KsMethod = 'auto'): { statistic: number; pvalue: number; method: KsMethod } {
  let mode: KsMethod = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp') : method;
  const g = gcd(n1, n2);
  if (mode === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymp';
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    const dl = h / lcm;
    if (h === 0) return { statistic: dl, pvalue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    if (Number.isFinite(prob) && prob >= 0 && prob <= 1) return { statistic: dl, pvalue: prob, method: 'exact' };
    mode = 'asymp';
    d = dl;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  // np.round is round-half-even; en is rarely exactly half, but mirror it anyway.
  const r = Math.round(en);
  const enRounded = Math.abs(en % 1) === 0.5 && r % 2 === 1 ? r - 1 : r;
  const p = kolmogorovSmirnovSf(Math.max(1, enRounded), d);
  return { statistic: d, pvalue: Math.min(1, Math.max(0, p)), method: 'asymp' };
}

function sortedFinite(fn: string, name: string, xs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new MonitorError('INVALID_VALUE', `${fn}: '${name}[${i}]' is ${String(v)}; drop nulls/NaN before the test`);
    }
    out[i] = v;
  }
  return out.sort();
}

/**
 * Two-sample two-sided Kolmogorov–Smirnov test, equal to `scipy.stats.ks_2samp(a, b)`
 * (statistic and p-value; method 'auto' by default). Hodges (1958); Simard & L'Ecuyer (2011).
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>, options: { method?: 'auto' | KsMethod } = {}): KsResult {
  requireNonEmpty('ks2samp', 'reference', a);
  requireNonEmpty('ks2samp', 'current', b);
  const sa = sortedFinite('ks2samp', 'reference', a);
  const sb = sortedFinite('ks2samp', 'current', b);
  const d = ksStatisticSorted(sa, sb);
  const r = ksPValue(d, sa.length, sb.length, options.method ?? 'auto');
  return { ...r, n1: sa.length, n2: sb.length };
}
