import { MonitorError } from '../errors.js';
import { normalCdf } from '../stats/special.js';
import type { TestResult } from './chisquare.js';

/**
 * Two-proportion Z-test, as Evidently's `z` stat test: the proportion of the first category
 * (sorted) in each window, pooled standard error, p = 2·(1 − Φ(|z|)). When both windows hold the
 * same single value the p-value is 1; a degenerate pooled proportion (0 or 1) also gives z = 0, p = 1.
 */
export function zTestDrift(reference: Map<string, number>, current: Map<string, number>): TestResult {
  let n1 = 0;
  let n2 = 0;
  for (const v of reference.values()) n1 += v;
  for (const v of current.values()) n2 += v;
  if (n1 === 0 || n2 === 0) throw new MonitorError('EMPTY_WINDOW', `zTestDrift: ${n1 === 0 ? 'reference' : 'current'} has no non-null values`);
  const keys = [...new Set([...reference.keys(), ...current.keys()])].filter((k) => (reference.get(k) ?? 0) + (current.get(k) ?? 0) > 0).sort();
  const target = keys[0];
  const p1 = (reference.get(target) ?? 0) / n1;
  const p2 = (current.get(target) ?? 0) / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se = Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pvalue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pvalue: 2 * (1 - normalCdf(Math.abs(z))) };
}
