import { MonitorError } from '../errors.js';
import { requireNonEmpty } from '../validate.js';

/**
 * First Wasserstein distance between two 1-D samples, ∫|F₁ − F₂| dx over the pooled sorted
 * values — `scipy.stats.wasserstein_distance(u, v)` (unweighted). Both inputs sorted ascending.
 */
export function wassersteinSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0], b[0]);
  let w = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    w += Math.abs(i / n1 - j / n2) * (v - prev);
    prev = v;
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
  }
  return w;
}

/** `scipy.stats.wasserstein_distance` on unsorted samples (NaN rejected). */
export function wassersteinDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  requireNonEmpty('wassersteinDistance', 'reference', a);
  requireNonEmpty('wassersteinDistance', 'current', b);
  const sa = Float64Array.from(a);
  const sb = Float64Array.from(b);
  for (const [name, s] of [['reference', sa], ['current', sb]] as const) {
    for (let i = 0; i < s.length; i++) if (Number.isNaN(s[i])) throw new MonitorError('INVALID_VALUE', `wassersteinDistance: '${name}[${i}]' is NaN`);
  }
  return wassersteinSorted(sa.sort(), sb.sort());
}

/** Evidently's floor on the reference standard deviation in `wasserstein_distance_norm`. */
export const WASSERSTEIN_STD_FLOOR = 0.001;

/**
 * Evidently's normalised Wasserstein distance: W₁(ref, cur) / max(std(ref), 0.001), std with ddof 0.
 */
export function normalisedWasserstein(w: number, referenceStd: number): number {
  return w / Math.max(referenceStd, WASSERSTEIN_STD_FLOOR);
}
