import { MonitorError } from '../errors.js';
import { ConfusionAccumulator } from '../metrics/classification.js';
import type { Label } from '../metrics/labels.js';
import { BinaryScoreAccumulator } from '../metrics/scores.js';
import { sortedLabels } from '../metrics/labels.js';
import { regressionMetrics } from '../metrics/regression.js';

/** What predictions mean: class labels, positive-class probabilities, or numbers. */
export type EvaluationTask = 'classification' | 'binary-probability' | 'regression';
export type MetricValues = Record<string, number>;

/** The standard metric set of a task, as plain data. */
export function evaluatePredictions(task: EvaluationTask, labels: ArrayLike<Label>, preds: ArrayLike<Label>): MetricValues {
  if (task === 'regression') {
    const m = regressionMetrics(labels as ArrayLike<number>, preds as ArrayLike<number>);
    return { mae: m.mae, mse: m.mse, rmse: m.rmse, mape: m.mape, r2: m.r2, maxError: m.maxError };
  }
  if (task === 'binary-probability') {
    const ls = sortedLabels('evaluate', labels);
    const pos = ls[ls.length - 1];
    const s = new BinaryScoreAccumulator();
    const c = new ConfusionAccumulator();
    for (let i = 0; i < labels.length; i++) {
      const p = Number(preds[i]);
      s.update(labels[i] === pos, p);
      c.update(labels[i] === pos ? 1 : 0, p >= 0.5 ? 1 : 0);
    }
    const prf = c.prf('binary', 1);
    const out: MetricValues = { accuracy: c.accuracy(), precision: prf.precision, recall: prf.recall, f1: prf.f1, logLoss: s.logLoss(), ece: s.expectedCalibrationError() };
    if (s.positives > 0 && s.positives < s.n) {
      out.rocAuc = s.rocAuc();
      out.prAuc = s.averagePrecision();
    }
    return out;
  }
  if (task === 'classification') {
    const c = new ConfusionAccumulator().updateMany(labels, preds);
    const macro = c.prf('macro');
    const weighted = c.prf('weighted');
    return { accuracy: c.accuracy(), precisionMacro: macro.precision, recallMacro: macro.recall, f1Macro: macro.f1, f1Weighted: weighted.f1 };
  }
  throw new MonitorError('INVALID_OPTION', `evaluatePredictions: unknown task ${JSON.stringify(task)}`);
}
