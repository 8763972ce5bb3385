import { MonitorError } from '../errors.js';
import type { CategoricalColumnProfile, ColumnProfile, NumericColumnProfile } from '../profile/column.js';
import { chiSquareDrift } from './chisquare.js';
import { binFractions, ksStatisticCdf, stepCdfFromSorted, wassersteinCdf, type StepCdf } from './ecdf.js';
import { equalWidthEdges, fillZeroBins, jensenShannonDistance, klDivergence, psi } from './distances.js';
import { ksPValue } from './ks.js';
import { normalisedWasserstein } from './wasserstein.js';
import { zTestDrift } from './ztest.js';

/** The drift tests a column can use (Evidently's names in brackets). */
export type DriftTestName = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'kl';

/** p-value tests drift when p < threshold; distance tests when distance ≥ threshold. */
export const TEST_KIND: Record<DriftTestName, 'pvalue' | 'distance'> = {
  ks: 'pvalue',
  chisquare: 'pvalue',
  z: 'pvalue',
  wasserstein: 'distance',
  jensenshannon: 'distance',
  psi: 'distance',
  kl: 'distance',
};

/** Evidently's default thresholds: 0.05 for p-values, 0.1 for distances. */
export const DEFAULT_THRESHOLD: Record<DriftTestName, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
  kl: 0.1,
};

export interface ColumnDriftOptions {
  test?: DriftTestName;
  threshold?: number;
}

/** Distribution pictures for reports: either numeric bins or categories, as fractions. */
export interface DistributionSummary {
  kind: 'bins' | 'categories';
  /** Bin edges (kind 'bins') — length = fractions + 1. */
  edges?: number[];
  /** Category labels (kind 'categories'). */
  labels?: string[];
  reference: number[];
  current: number[];
}

export interface ColumnDriftResult {
  column: string;
  type: 'numeric' | 'categorical';
  /** 'skipped' when a window has no non-null value (all-null column): no test, not drifted. */
  status: 'ok' | 'skipped';
  reason?: string;
  test?: DriftTestName;
  kind?: 'pvalue' | 'distance';
  /** The p-value or distance. */
  score?: number;
  threshold?: number;
  drifted: boolean;
  /** True when computed from every raw value (reservoir complete), false when from sketches. */
  exact: boolean;
  /** KS statistic, chi-square statistic or z, when the test has one. */
  statistic?: number;
  referenceCount: number;
  currentCount: number;
  referenceNulls: number;
  currentNulls: number;
  distribution?: DistributionSummary;
}

const BINS_JS = 30;
const BINS_PSI = 10;

function numericCdf(c: NumericColumnProfile, complete: boolean, sampleRows: number): StepCdf {
  if (complete) {
    const xs: number[] = [];
    for (let i = 0; i < sampleRows; i++) if (!Number.isNaN(c.sample[i])) xs.push(c.sample[i]);
    return stepCdfFromSorted(Float64Array.from(xs).sort());
  }
  const { values, weights } = c.kll.weightedItems();
  return stepCdfFromSorted(values, weights, false);
}

function numericCounts(c: NumericColumnProfile): Map<string, number> | null {
  if (!c.distinct) return null;
  const m = new Map<string, number>();
  for (const [v, n] of c.distinct) m.set(String(v), n);
  return m;
}

function categoryFractions(ref: Map<string, number>, cur: Map<string, number>): { labels: string[]; reference: Float64Array; current: Float64Array } {
  const labels = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  let nr = 0;
  let nc = 0;
  for (const v of ref.values()) nr += v;
  for (const v of cur.values()) nc += v;
  return {
    labels,
    reference: Float64Array.from(labels, (k) => (ref.get(k) ?? 0) / nr),
    current: Float64Array.from(labels, (k) => (cur.get(k) ?? 0) / nc),
  };
}

/** Union of distinct values of both windows, or Infinity when either has more than the tracked maximum. */
function unionDistinct(a: NumericColumnProfile, b: NumericColumnProfile): number {
  if (!a.distinct || !b.distinct) return Infinity;
  return new Set([...a.distinct.keys(), ...b.distinct.keys()]).size;
}

/**
 * Evidently's default test for a column (`get_default_stattest`): with a reference of at most
 * 1000 non-null values, KS for numeric columns with more than 5 distinct values, chi-square for
 * more than 2 values, else the Z-test; with a larger reference, normalised Wasserstein for
 * numeric columns with more than 5 distinct values, Jensen–Shannon otherwise.
 */
export function defaultDriftTest(type: 'numeric' | 'categorical', referenceCount: number, distinctValues: number): DriftTestName {
  if (referenceCount <= 1000) {
    if (type === 'numeric' && distinctValues > 5) return 'ks';
    return distinctValues > 2 ? 'chisquare' : 'z';
  }
  if (type === 'numeric' && distinctValues > 5) return 'wasserstein';
  return 'jensenshannon';
}

export interface WindowInfo {
  complete: boolean;
  sampleRows: number;
}

/**
 * Drift of one column between two profiles of the same column. Exact (equal to Evidently/SciPy on
 * the raw data) when both windows' reservoirs hold every row; otherwise computed from the KLL
 * sketches with statistic error ≤ ε_ref + ε_cur (KS), bin-fraction error ≤ 2ε per bin.
 */
export function columnDrift(ref: ColumnProfile, cur: ColumnProfile, refWin: WindowInfo, curWin: WindowInfo, options: ColumnDriftOptions = {}): ColumnDriftResult {
  if (ref.type !== cur.type) throw new MonitorError('SCHEMA_MISMATCH', `columnDrift: column '${ref.name}' is ${ref.type} in the reference but ${cur.type} in the current window`);
  const base = {
    column: ref.name,
    type: ref.type,
    referenceCount: ref.count,
    currentCount: cur.count,
    referenceNulls: ref.nulls,
    currentNulls: cur.nulls,
  };
  if (ref.count === 0 || cur.count === 0) {
    const which = ref.count === 0 ? 'reference' : 'current';
    return { ...base, status: 'skipped', reason: `ALL_NULL: the ${which} window has no non-null value in '${ref.name}'`, drifted: false, exact: true };
  }
  if (options.test && !(options.test in TEST_KIND)) {
    throw new MonitorError('INVALID_OPTION', `columnDrift: column '${ref.name}' asks for test ${JSON.stringify(options.test)}; allowed: ${Object.keys(TEST_KIND).join(', ')}`);
  }
  const exact = refWin.complete && curWin.complete;
  let test: DriftTestName;
  if (ref.type === 'numeric') {
    const r = ref as NumericColumnProfile;
    const c = cur as NumericColumnProfile;
    test = options.test ?? defaultDriftTest('numeric', r.count, unionDistinct(r, c));
    if ((test === 'chisquare' || test === 'z') && (!r.distinct || !c.distinct)) {
      throw new MonitorError('INVALID_OPTION', `columnDrift: column '${ref.name}' has more than 64 distinct values; '${test}' needs a small domain (use ks, wasserstein, jensenshannon, psi or kl)`);
    }
    const threshold = options.threshold ?? DEFAULT_THRESHOLD[test];
    const kind = TEST_KIND[test];
    const drifted = (score: number) => (kind === 'pvalue' ? score < threshold : score >= threshold);
    const rc = numericCdf(r, refWin.complete, refWin.sampleRows);
    const cc = numericCdf(c, curWin.complete, curWin.sampleRows);
    const edges = equalWidthEdges(Math.min(r.kll.min, c.kll.min), Math.max(r.kll.max, c.kll.max), test === 'psi' ? BINS_PSI : BINS_JS);
    let distribution: DistributionSummary = { kind: 'bins', edges: [...edges], reference: [...binFractions(rc, edges)], current: [...binFractions(cc, edges)] };
    const common = { ...base, status: 'ok' as const, test, kind, threshold };
    switch (test) {
      case 'ks': {
        const d = ksStatisticCdf(rc, cc);
        const p = ksPValue(d, r.count, c.count);
        return { ...common, score: p.pvalue, statistic: p.statistic, drifted: drifted(p.pvalue), exact, distribution };
      }
      case 'wasserstein': {
        const w = normalisedWasserstein(wassersteinCdf(rc, cc), Math.sqrt(r.moments.variance(0)));
        return { ...common, score: w, drifted: drifted(w), exact, distribution };
      }
      case 'chisquare':
      case 'z': {
        const rm = numericCounts(r)!;
        const cm = numericCounts(c)!;
        const t = test === 'z' ? zTestDrift(rm, cm) : chiSquareDrift(rm, cm);
        const f = categoryFractions(rm, cm);
        distribution = { kind: 'categories', labels: f.labels, reference: [...f.reference], current: [...f.current] };
        return { ...common, score: t.pvalue, statistic: t.statistic, drifted: drifted(t.pvalue), exact: true, distribution };
      }
      default: {
        // Evidently bins numeric columns with more than 20 distinct reference values, else counts values.
        const small = r.distinct && r.distinct.size <= 20 && c.distinct;
        let p: Float64Array;
        let q: Float64Array;
        let isExact = exact;
        if (small) {
          const f = categoryFractions(numericCounts(r)!, numericCounts(c)!);
          p = f.reference;
          q = f.current;
          isExact = true;
          distribution = { kind: 'categories', labels: f.labels, reference: [...p], current: [...q] };
        } else {
          p = Float64Array.from(distribution.reference);
          q = Float64Array.from(distribution.current);
        }
        const score = distanceOf(test, p, q);
        return { ...common, score, drifted: drifted(score), exact: isExact, distribution };
      }
    }
  }
  const r = ref as CategoricalColumnProfile;
  const c = cur as CategoricalColumnProfile;
  const distinct = new Set([...r.counts.keys(), ...c.counts.keys()]).size;
  test = options.test ?? defaultDriftTest('categorical', r.count, distinct);
  if (test === 'ks' || test === 'wasserstein') {
    throw new MonitorError('INVALID_OPTION', `columnDrift: column '${ref.name}' is categorical; '${test}' needs numbers (use chisquare, z, jensenshannon, psi or kl)`);
  }
  const threshold = options.threshold ?? DEFAULT_THRESHOLD[test];
  const kind = TEST_KIND[test];
  const f = categoryFractions(r.counts, c.counts);
  const distribution: DistributionSummary = { kind: 'categories', labels: f.labels, reference: [...f.reference], current: [...f.current] };
  const common = { ...base, status: 'ok' as const, test, kind, threshold, exact: true, distribution };
  if (test === 'chisquare' || test === 'z') {
    const t = test === 'z' ? zTestDrift(r.counts, c.counts) : chiSquareDrift(r.counts, c.counts);
    return { ...common, score: t.pvalue, statistic: t.statistic, drifted: t.pvalue < threshold };
  }
  const score = distanceOf(test, f.reference, f.current);
  return { ...common, score, drifted: score >= threshold };
}

function distanceOf(test: DriftTestName, p: Float64Array, q: Float64Array): number {
  if (test === 'jensenshannon') return jensenShannonDistance(p, q);
  if (test === 'psi') return psi(fillZeroBins(p), fillZeroBins(q));
  if (test === 'kl') return klDivergence(fillZeroBins(p), fillZeroBins(q));
  throw new MonitorError('INVALID_OPTION', `columnDrift: '${test}' is not a distance`);
}
