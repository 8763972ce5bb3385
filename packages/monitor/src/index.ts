/**
 * @gantry/monitor — quality metrics, drift tests, profiles, streaming detectors, golden
 * datasets, the retraining policy and reports. This file is the whole public surface.
 */
export { MonitorError, type MonitorErrorCode } from './errors.js';

export { type Label } from './metrics/labels.js';
export { accuracy, precision, recall, f1, confusionMatrix, ConfusionAccumulator, type Average, type ConfusionMatrix, type PrfOptions } from './metrics/classification.js';
export { rocAuc, rocAucOvr, prAuc, logLoss, expectedCalibrationError, BinaryScoreAccumulator } from './metrics/scores.js';
export {
  regressionMetrics,
  RegressionAccumulator,
  meanAbsoluteError,
  meanSquaredError,
  rootMeanSquaredError,
  meanAbsolutePercentageError,
  r2Score,
  maxError,
  type RegressionMetrics,
} from './metrics/regression.js';

export { ks2samp, ksPValue, ksStatisticSorted, KS_MAX_AUTO_N, type KsResult, type KsMethod } from './drift/ks.js';
export { kolmogorovSmirnovSf, smirnovSf } from './drift/kolmogorov.js';
export { chiSquare, chiSquareDrift, type TestResult } from './drift/chisquare.js';
export { zTestDrift } from './drift/ztest.js';
export { jensenShannonDistance, klDivergence, psi, fillZeroBins, equalWidthEdges, histogramCounts } from './drift/distances.js';
export { wassersteinDistance, wassersteinSorted, normalisedWasserstein } from './drift/wasserstein.js';
export { energyTest, type EnergyTestResult } from './drift/energy.js';
export { stepCdfFromSorted, ksStatisticCdf, wassersteinCdf, binFractions, type StepCdf } from './drift/ecdf.js';
export {
  columnDrift,
  defaultDriftTest,
  DEFAULT_THRESHOLD,
  TEST_KIND,
  type DriftTestName,
  type ColumnDriftOptions,
  type ColumnDriftResult,
  type DistributionSummary,
} from './drift/column-drift.js';
export { datasetDrift, type DatasetDriftOptions, type DatasetDriftResult } from './drift/dataset-drift.js';

export { KllSketch, type KllState } from './sketches/kll.js';
export { Moments } from './sketches/moments.js';
export { RowReservoir } from './sketches/reservoir.js';
export { DatasetProfile, inferSchema, type ProfileOptions, type DatasetProfileState, type ColumnBatch } from './profile/dataset.js';
export { NumericColumnProfile, CategoricalColumnProfile, type ColumnSpec, type ColumnType, type ColumnProfile } from './profile/column.js';

export { ADWIN, type AdwinOptions } from './detectors/adwin.js';
export { DDM, type DdmOptions } from './detectors/ddm.js';
export { PageHinkley, type PageHinkleyOptions } from './detectors/page-hinkley.js';
export { scoreDetector, type DriftDetector, type DetectionScore } from './detectors/evaluate.js';

export { GoldenDataset, type GoldenManifest, type GoldenRow, type Predictor, type Comparison } from './golden/dataset.js';
export { evaluatePredictions, type EvaluationTask, type MetricValues } from './golden/evaluate.js';
export { RetrainPolicy, type RetrainPolicyConfig, type PolicyState, type RetrainDecision, type RetrainReason, type RetrainBlocker, type MetricThreshold } from './policy/retrain.js';

export { buildReport, reportToJson, writeJsonReport, type MonitorReport, type MetricPoint } from './report/report.js';
export { renderHtmlReport, writeHtmlReport } from './report/html.js';
