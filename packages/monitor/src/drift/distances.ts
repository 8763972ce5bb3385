import { MonitorError } from '../errors.js';

/**
 * Distances between two discrete distributions given as aligned frequency vectors, matching
 * SciPy: `scipy.spatial.distance.jensenshannon` (natural log, vectors normalised to sum 1),
 * `scipy.stats.entropy(p, q)` for KL, and Evidently's PSI Σ (p − q)·ln(p / q).
 */

function normalise(fn: string, name: string, p: ArrayLike<number>): Float64Array {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0)) throw new MonitorError('INVALID_VALUE', `${fn}: '${name}[${i}]' is ${p[i]}; frequencies must be finite and ≥ 0`);
    s += p[i];
  }
  if (s === 0) throw new MonitorError('EMPTY_WINDOW', `${fn}: '${name}' sums to 0`);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i] / s;
  return out;
}

function sameLength(fn: string, p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length) throw new MonitorError('LENGTH_MISMATCH', `${fn}: p has ${p.length} bins but q has ${q.length}`);
  if (p.length === 0) throw new MonitorError('EMPTY_WINDOW', `${fn}: no bins`);
}

/** Jensen–Shannon distance (square root of the divergence), base e, as `scipy.spatial.distance.jensenshannon`. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  sameLength('jensenShannonDistance', p, q);
  const a = normalise('jensenShannonDistance', 'p', p);
  const b = normalise('jensenShannonDistance', 'q', q);
  let js = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i] + b[i]) / 2;
    if (a[i] > 0) js += a[i] * Math.log(a[i] / m);
    if (b[i] > 0) js += b[i] * Math.log(b[i] / m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** Kullback–Leibler divergence KL(p ‖ q), base e, as `scipy.stats.entropy(p, q)` (∞ where q = 0 < p). */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  sameLength('klDivergence', p, q);
  const a = normalise('klDivergence', 'p', p);
  const b = normalise('klDivergence', 'q', q);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) continue;
    if (b[i] === 0) return Infinity;
    s += a[i] * Math.log(a[i] / b[i]);
  }
  return s;
}

/** Population stability index Σ (ref − cur)·ln(ref / cur) on already zero-filled fractions (Evidently `psi`). */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  sameLength('psi', reference, current);
  let s = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i];
    const c = current[i];
    if (!(r > 0) || !(c > 0)) throw new MonitorError('INVALID_VALUE', `psi: bin ${i} has reference ${r}, current ${c}; fill empty bins first (fillZeroBins)`);
    s += (r - c) * Math.log(r / c);
  }
  return s;
}

/**
 * Evidently's zero filling for PSI and KL (`get_binned_data(..., feel_zeroes=True)`): empty bins
 * get min(non-zero)/1e6 when the smallest non-zero fraction is ≤ 1e-4, else 1e-4.
 */
export function fillZeroBins(fractions: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(fractions);
  let min = Infinity;
  for (const v of out) if (v !== 0 && v < min) min = v;
  if (min === Infinity) return out;
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

/**
 * Evidently's bin edges for numeric columns: `np.histogram_bin_edges(concat(ref, cur), bins=n)`,
 * i.e. n equal-width bins over the pooled [min, max] (a zero-width range becomes [v − 0.5, v + 0.5]).
 */
export function equalWidthEdges(min: number, max: number, bins: number): Float64Array {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  // numpy: np.linspace(first, last, n + 1, endpoint=True)
  const step = (hi - lo) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = lo + i * step;
  edges[bins] = hi;
  return edges;
}

/** Counts of `xs` in the bins `edges` as `np.histogram` does (last bin closed on the right). */
export function histogramCounts(xs: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const bins = edges.length - 1;
  const counts = new Float64Array(bins);
  const lo = edges[0];
  const hi = edges[bins];
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (!(v >= lo && v <= hi)) continue;
    counts[binIndex(v, edges)]++;
  }
  return counts;
}

/** Index of the bin holding v: edges[i] ≤ v < edges[i+1], the last bin closed. */
export function binIndex(v: number, edges: ArrayLike<number>): number {
  const bins = edges.length - 1;
  if (v >= edges[bins]) return bins - 1;
  let lo = 0;
  let hi = bins;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (v >= edges[mid]) lo = mid;
    else hi = mid;
  }
  return lo;
}
