import { describe, expect, it } from 'vitest';
import {
  accuracy,
  BinaryScoreAccumulator,
  ConfusionAccumulator,
  confusionMatrix,
  expectedCalibrationError,
  f1,
  logLoss,
  MonitorError,
  prAuc,
  precision,
  recall,
  RegressionAccumulator,
  regressionMetrics,
  rocAuc,
  rocAucOvr,
} from '../src/index.js';
import { ref } from './helpers.js';

const TOL = 1e-9;

describe('classification metrics equal sklearn.metrics', () => {
  const b = ref.binary;
  it('binary label metrics and confusion matrix', () => {
    expect(Math.abs(accuracy(b.yTrue, b.yPred) - b.accuracy)).toBeLessThan(TOL);
    expect(Math.abs(precision(b.yTrue, b.yPred) - b.precision)).toBeLessThan(TOL);
    expect(Math.abs(recall(b.yTrue, b.yPred) - b.recall)).toBeLessThan(TOL);
    expect(Math.abs(f1(b.yTrue, b.yPred) - b.f1)).toBeLessThan(TOL);
    expect(confusionMatrix(b.yTrue, b.yPred).matrix).toEqual(b.confusion);
  });
  it('ROC AUC, average precision, log loss, ECE (scores with ties)', () => {
    expect(Math.abs(rocAuc(b.yTrue, b.score) - b.rocAuc)).toBeLessThan(TOL);
    expect(Math.abs(prAuc(b.yTrue, b.score) - b.ap)).toBeLessThan(TOL);
    expect(Math.abs(logLoss(b.yTrue, b.score) - b.logLoss)).toBeLessThan(TOL);
    expect(Math.abs(expectedCalibrationError(b.yTrue, b.score) - b.ece)).toBeLessThan(TOL);
  });
  const m = ref.multiclass;
  it('multiclass micro / macro / weighted precision, recall, F1', () => {
    for (const avg of ['micro', 'macro', 'weighted'] as const) {
      expect(Math.abs(precision(m.yTrue, m.yPred, { average: avg }) - m[`precision_${avg}`])).toBeLessThan(TOL);
      expect(Math.abs(recall(m.yTrue, m.yPred, { average: avg }) - m[`recall_${avg}`])).toBeLessThan(TOL);
      expect(Math.abs(f1(m.yTrue, m.yPred, { average: avg }) - m[`f1_${avg}`])).toBeLessThan(TOL);
    }
    expect(Math.abs(f1(m.yTrue, m.yPredZero, { average: 'macro' }) - m.f1_macro_zero)).toBeLessThan(TOL);
    expect(Math.abs(precision(m.yTrue, m.yPredZero, { average: 'macro' }) - m.precision_macro_zero)).toBeLessThan(TOL);
    expect(confusionMatrix(m.yTrue, m.yPred).matrix).toEqual(m.confusion);
  });
  it('multiclass log loss and one-vs-rest ROC AUC', () => {
    expect(Math.abs(logLoss(m.yTrue, m.proba) - m.logLoss)).toBeLessThan(TOL);
    expect(Math.abs(rocAucOvr(m.yTrue, m.proba) - m.rocAucOvrMacro)).toBeLessThan(TOL);
    expect(Math.abs(rocAucOvr(m.yTrue, m.proba, { average: 'weighted' }) - m.rocAucOvrWeighted)).toBeLessThan(TOL);
  });
  it('streaming accumulators merged from shards equal the batch values', () => {
    const parts = [new BinaryScoreAccumulator(), new BinaryScoreAccumulator(), new BinaryScoreAccumulator()];
    const conf = [new ConfusionAccumulator(), new ConfusionAccumulator()];
    b.yTrue.forEach((y: number, i: number) => {
      parts[i % 3].update(y === 1, b.score[i]);
      conf[i % 2].update(y, b.yPred[i]);
    });
    const all = parts[0].merge(parts[1]).merge(parts[2]);
    expect(Math.abs(all.rocAuc() - b.rocAuc)).toBeLessThan(TOL);
    expect(Math.abs(all.averagePrecision() - b.ap)).toBeLessThan(TOL);
    expect(Math.abs(all.logLoss() - b.logLoss)).toBeLessThan(TOL);
    expect(Math.abs(all.expectedCalibrationError() - b.ece)).toBeLessThan(TOL);
    const c = conf[0].merge(conf[1]);
    expect(Math.abs(c.prf('binary').f1 - b.f1)).toBeLessThan(TOL);
    expect(c.confusionMatrix().matrix).toEqual(b.confusion);
  });
  it('a single class is a typed error, not NaN', () => {
    try {
      rocAuc([1, 1, 1], [0.2, 0.5, 0.9]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MonitorError);
      expect((e as MonitorError).code).toBe('SINGLE_CLASS');
    }
    expect(() => accuracy([], [])).toThrow(/empty/);
    expect(() => accuracy([1, 0], [1])).toThrow(/same length/);
    expect(() => rocAuc([0, 1], [0.5, Number.NaN])).toThrow(/probabilities/);
    expect(() => precision([0, 1, 2], [0, 1, 2])).toThrow(/binary/);
  });
});

describe('regression metrics equal sklearn.metrics', () => {
  const r = ref.regression;
  it('batch', () => {
    const v = regressionMetrics(r.yTrue, r.yPred);
    for (const k of ['mae', 'mse', 'rmse', 'mape', 'r2', 'maxError'] as const) expect(Math.abs(v[k] - r[k]), k).toBeLessThan(TOL);
  });
  it('streaming shards merged', () => {
    const a = new RegressionAccumulator();
    const b = new RegressionAccumulator();
    r.yTrue.forEach((y: number, i: number) => (i < 77 ? a : b).update(y, r.yPred[i]));
    const v = a.merge(b).value;
    for (const k of ['mae', 'mse', 'rmse', 'mape', 'r2', 'maxError'] as const) expect(Math.abs(v[k] - r[k]), k).toBeLessThan(TOL);
  });
  it('constant target gives sklearn force_finite R² (1 when perfect, else 0), NaN rejected', () => {
    expect(regressionMetrics([2, 2, 2], [2, 2, 2]).r2).toBe(1);
    expect(regressionMetrics([2, 2, 2], [1, 2, 3]).r2).toBe(0);
    expect(() => regressionMetrics([1, Number.NaN], [1, 2])).toThrow(MonitorError);
  });
});
