import { MonitorError } from '../errors.js';
import { chi2Sf } from '../stats/special.js';

export interface TestResult {
  statistic: number;
  pvalue: number;
}

/**
 * Pearson's chi-square goodness-of-fit test, equal to `scipy.stats.chisquare(observed, expected)`
 * (df = k − 1). A cell with expected 0 and observed > 0 gives statistic ∞ and p-value 0, which is
 * what SciPy returns too (with a warning); 0/0 cells contribute nothing.
 */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): TestResult {
  if (observed.length !== expected.length) {
    throw new MonitorError('LENGTH_MISMATCH', `chiSquare: observed has ${observed.length} cells but expected has ${expected.length}`);
  }
  if (observed.length < 2) throw new MonitorError('EMPTY_WINDOW', `chiSquare: needs at least 2 categories, got ${observed.length}`);
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i];
    const e = expected[i];
    if (!(o >= 0) || !(e >= 0)) throw new MonitorError('INVALID_VALUE', `chiSquare: cell ${i} has observed ${o}, expected ${e}; counts must be finite and ≥ 0`);
    if (e === 0) {
      if (o > 0) stat = Infinity;
      continue;
    }
    stat += ((o - e) * (o - e)) / e;
  }
  return { statistic: stat, pvalue: stat === Infinity ? 0 : chi2Sf(stat, observed.length - 1) };
}

/**
 * Evidently's `chisquare` drift test on category counts: expected = reference counts scaled to
 * the current total, over the union of categories (sorted), then `scipy.stats.chisquare`.
 */
export function chiSquareDrift(reference: Map<string, number>, current: Map<string, number>): TestResult {
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort();
  let nr = 0;
  let nc = 0;
  for (const v of reference.values()) nr += v;
  for (const v of current.values()) nc += v;
  if (nr === 0 || nc === 0) throw new MonitorError('EMPTY_WINDOW', `chiSquareDrift: ${nr === 0 ? 'reference' : 'current'} has no non-null values`);
  const k = nc / nr;
  const obs = keys.map((key) => current.get(key) ?? 0);
  const exp = keys.map((key) => (reference.get(key) ?? 0) * k);
  if (keys.length < 2) return { statistic: 0, pvalue: 1 };
  return chiSquare(obs, exp);
}
