import { MonitorError } from '../errors.js';
import { Moments } from '../sketches/moments.js';
import { requireFinite, requireNonEmpty, requireSameLength } from '../validate.js';

/** sklearn's MAPE guard: |y| is floored at np.finfo(np.float64).eps. */
const MAPE_EPS = 2.220446049250313e-16;

export interface RegressionMetrics {
  n: number;
  mae: number;
  mse: number;
  rmse: number;
  mape: number;
  r2: number;
  maxError: number;
}

/**
 * Streaming regression metrics in O(1) memory, mergeable (sums plus Chan's merge of the target's
 * variance for R²). Values equal `sklearn.metrics` mean_absolute_error, mean_squared_error,
 * mean_absolute_percentage_error, r2_score (force_finite: a constant target gives 1 when the fit
 * is perfect, else 0) and max_error.
 */
export class RegressionAccumulator {
  n = 0;
  private absSum = 0;
  private sqSum = 0;
  private apeSum = 0;
  private maxErr = 0;
  private target = new Moments();

  update(yTrue: number, yPred: number): this {
    if (!Number.isFinite(yTrue) || !Number.isFinite(yPred)) {
      throw new MonitorError('INVALID_VALUE', `RegressionAccumulator.update: got yTrue ${yTrue}, yPred ${yPred}; both must be finite numbers`);
    }
    const e = yTrue - yPred;
    const a = Math.abs(e);
    this.n++;
    this.absSum += a;
    this.sqSum += e * e;
    this.apeSum += a / Math.max(Math.abs(yTrue), MAPE_EPS);
    if (a > this.maxErr) this.maxErr = a;
    this.target.update(yTrue);
    return this;
  }

  merge(o: RegressionAccumulator): this {
    this.n += o.n;
    this.absSum += o.absSum;
    this.sqSum += o.sqSum;
    this.apeSum += o.apeSum;
    this.maxErr = Math.max(this.maxErr, o.maxErr);
    this.target.merge(o.target);
    return this;
  }

  get value(): RegressionMetrics {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', 'RegressionAccumulator: no samples');
    const mse = this.sqSum / this.n;
    const sst = this.target.m2;
    const r2 = sst === 0 ? (this.sqSum === 0 ? 1 : 0) : 1 - this.sqSum / sst;
    return { n: this.n, mae: this.absSum / this.n, mse, rmse: Math.sqrt(mse), mape: this.apeSum / this.n, r2, maxError: this.maxErr };
  }
}

/** All regression metrics of a batch. */
export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionMetrics {
  requireNonEmpty('regressionMetrics', 'yTrue', yTrue);
  requireSameLength('regressionMetrics', 'yTrue', yTrue, 'yPred', yPred);
  requireFinite('regressionMetrics', 'yTrue', yTrue);
  requireFinite('regressionMetrics', 'yPred', yPred);
  const a = new RegressionAccumulator();
  for (let i = 0; i < yTrue.length; i++) a.update(yTrue[i], yPred[i]);
  return a.value;
}

export const meanAbsoluteError = (t: ArrayLike<number>, p: ArrayLike<number>): number => regressionMetrics(t, p).mae;
export const meanSquaredError = (t: ArrayLike<number>, p: ArrayLike<number>): number => regressionMetrics(t, p).mse;
export const rootMeanSquaredError = (t: ArrayLike<number>, p: ArrayLike<number>): number => regressionMetrics(t, p).rmse;
export const meanAbsolutePercentageError = (t: ArrayLike<number>, p: ArrayLike<number>): number => regressionMetrics(t, p).mape;
export const r2Score = (t: ArrayLike<number>, p: ArrayLike<number>): number => regressionMetrics(t, p).r2;
export const maxError = (t: ArrayLike<number>, p: ArrayLike<number>): number => regressionMetrics(t, p).maxError;
