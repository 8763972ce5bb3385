/**
 * A weighted step CDF over sorted distinct support points: the common currency of the numeric
 * drift tests. Built exactly from raw values or approximately from a KLL sketch; KS and
 * Wasserstein are then computed by one sorted merge of two step functions.
 */
export interface StepCdf {
  /** Sorted ascending, distinct. */
  values: Float64Array;
  /** Cumulative weight of items ≤ values[i]. */
  cum: Float64Array;
  /** Total weight (= the sample size). */
  total: number;
  /** True when built from every raw value. */
  exact: boolean;
}

export function stepCdfFromSorted(sorted: ArrayLike<number>, weights?: ArrayLike<number>, exact = true): StepCdf {
  const vs: number[] = [];
  const cs: number[] = [];
  let cum = 0;
  for (let i = 0; i < sorted.length; i++) {
    cum += weights ? weights[i] : 1;
    if (vs.length && vs[vs.length - 1] === sorted[i]) cs[cs.length - 1] = cum;
    else {
      vs.push(sorted[i]);
      cs.push(cum);
    }
  }
  return { values: Float64Array.from(vs), cum: Float64Array.from(cs), total: cum, exact };
}

/** Weight of items strictly below x. */
export function countBelow(c: StepCdf, x: number): number {
  let lo = 0;
  let hi = c.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : c.cum[lo - 1];
}

/** sup |F₁ − F₂| (right-continuous CDFs, evaluated at every support point of either). */
export function ksStatisticCdf(a: StepCdf, b: StepCdf): number {
  let i = 0;
  let j = 0;
  let d = 0;
  let fa = 0;
  let fb = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i] : Infinity;
    const vb = j < b.values.length ? b.values[j] : Infinity;
    const v = Math.min(va, vb);
    if (va === v) fa = a.cum[i++] / a.total;
    if (vb === v) fb = b.cum[j++] / b.total;
    const diff = Math.abs(fa - fb);
    if (diff > d) d = diff;
  }
  return d;
}

/** ∫ |F₁ − F₂| dx: the first Wasserstein distance between the two step CDFs. */
export function wassersteinCdf(a: StepCdf, b: StepCdf): number {
  let i = 0;
  let j = 0;
  let fa = 0;
  let fb = 0;
  let prev = Math.min(a.values[0], b.values[0]);
  let w = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i] : Infinity;
    const vb = j < b.values.length ? b.values[j] : Infinity;
    const v = Math.min(va, vb);
    w += Math.abs(fa - fb) * (v - prev);
    prev = v;
    if (va === v) fa = a.cum[i++] / a.total;
    if (vb === v) fb = b.cum[j++] / b.total;
  }
  return w;
}

/** Fractions of the sample in each bin of `edges` (np.histogram semantics, last bin closed). */
export function binFractions(c: StepCdf, edges: ArrayLike<number>): Float64Array {
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  let prevBelow = countBelow(c, edges[0]);
  for (let b = 0; b < bins; b++) {
    const below = b === bins - 1 ? c.total - aboveCount(c, edges[bins]) : countBelow(c, edges[b + 1]);
    out[b] = (below - prevBelow) / c.total;
    prevBelow = below;
  }
  return out;
}

/** Weight of items strictly above x. */
function aboveCount(c: StepCdf, x: number): number {
  let lo = 0;
  let hi = c.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c.values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return c.total - (lo === 0 ? 0 : c.cum[lo - 1]);
}
