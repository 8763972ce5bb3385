import { MonitorError } from '../errors.js';
import { assertSameSchema, type DatasetProfile } from '../profile/dataset.js';
import { columnDrift, type ColumnDriftOptions, type ColumnDriftResult } from './column-drift.js';
import { energyTest, type EnergyTestResult } from './energy.js';

export interface DatasetDriftOptions {
  /** Per-column overrides of the test and threshold. */
  columns?: Record<string, ColumnDriftOptions>;
  /** Share of drifted columns at which the dataset drifts (Evidently: 0.5). */
  driftShare?: number;
  /** Run the multivariate energy test on the reservoir samples of the numeric columns. */
  multivariate?: boolean | { rows?: number; permutations?: number; seed?: number; threshold?: number };
}

export interface DatasetDriftResult {
  columns: ColumnDriftResult[];
  /** Columns that were tested (not skipped for being all-null). */
  testedColumns: number;
  driftedColumns: number;
  /** driftedColumns / testedColumns (0 when none could be tested). */
  share: number;
  driftShare: number;
  datasetDrift: boolean;
  referenceRows: number;
  currentRows: number;
  multivariate?: EnergyTestResult & { threshold: number; drifted: boolean; rows: number; columns: number };
}

/**
 * Per-column drift with Evidently's default test choice and thresholds, and dataset drift when
 * at least `driftShare` (0.5) of the tested columns drift (Evidently `DataDriftPreset`).
 * Both inputs are profiles: no raw reference data is needed.
 */
export function datasetDrift(reference: DatasetProfile, current: DatasetProfile, options: DatasetDriftOptions = {}): DatasetDriftResult {
  assertSameSchema('datasetDrift', reference.schema, current.schema);
  if (reference.rows === 0) throw new MonitorError('EMPTY_WINDOW', 'datasetDrift: the reference window has no rows');
  if (current.rows === 0) throw new MonitorError('EMPTY_WINDOW', 'datasetDrift: the current window has no rows');
  const driftShare = options.driftShare ?? 0.5;
  if (!(driftShare > 0 && driftShare <= 1)) throw new MonitorError('INVALID_OPTION', `datasetDrift: driftShare must be in (0, 1], got ${driftShare}`);
  for (const name of Object.keys(options.columns ?? {})) {
    if (!reference.schema.some((c) => c.name === name)) throw new MonitorError('UNKNOWN_COLUMN', `datasetDrift: options.columns names '${name}', which is not in the schema`);
  }
  const refWin = { complete: reference.complete, sampleRows: reference.sampleRows };
  const curWin = { complete: current.complete, sampleRows: current.sampleRows };
  const columns = reference.schema.map((c) => columnDrift(reference.column(c.name), current.column(c.name), refWin, curWin, options.columns?.[c.name]));
  const tested = columns.filter((c) => c.status === 'ok');
  const drifted = tested.filter((c) => c.drifted).length;
  const share = tested.length ? drifted / tested.length : 0;
  const result: DatasetDriftResult = {
    columns,
    testedColumns: tested.length,
    driftedColumns: drifted,
    share,
    driftShare,
    datasetDrift: tested.length > 0 && share >= driftShare,
    referenceRows: reference.rows,
    currentRows: current.rows,
  };
  if (options.multivariate) {
    const mv = typeof options.multivariate === 'object' ? options.multivariate : {};
    const numeric = reference.schema.filter((c) => c.type === 'numeric' && reference.column(c.name).count > 0 && current.column(c.name).count > 0).map((c) => c.name);
    if (numeric.length > 0) {
      const rows = mv.rows ?? 300;
      // Standardise by the reference so no column dominates the Euclidean distance.
      const scale = numeric.map((n) => {
        const col = reference.column(n);
        const m = col.type === 'numeric' ? col.moments : null;
        return { mean: m?.mean ?? 0, sd: Math.max(Math.sqrt(m?.variance(0) ?? 1), 1e-12) };
      });
      const prep = (xs: number[][]) => xs.slice(0, rows).map((r) => r.map((v, i) => (v - scale[i].mean) / scale[i].sd));
      const x = prep(reference.sampleMatrix(numeric));
      const y = prep(current.sampleMatrix(numeric));
      if (x.length >= 2 && y.length >= 2) {
        const threshold = mv.threshold ?? 0.05;
        const e = energyTest(x, y, { permutations: mv.permutations, seed: mv.seed });
        result.multivariate = { ...e, threshold, drifted: e.pvalue < threshold, rows: Math.min(x.length, y.length), columns: numeric.length };
      }
    }
  }
  return result;
}
