import { MonitorError } from '../errors.js';
import { requireNonEmpty, requireProbabilities, requireSameLength } from '../validate.js';
import { sortedLabels, type Label } from './labels.js';

/** sklearn's log-loss clipping for float64: eps = np.finfo(np.float64).eps. */
const LOGLOSS_EPS = 2.220446049250313e-16;

/**
 * Streaming accumulator of binary scores: per distinct score the positive and negative counts
 * (exact ROC AUC and average precision), the log-loss sum and calibration bins. Memory grows
 * with the number of distinct scores; beyond `maxDistinct` scores are rounded to a 2⁻²⁰ grid
 * and `exact` becomes false.
 */
export class BinaryScoreAccumulator {
  private byScore = new Map<number, [number, number]>();
  n = 0;
  positives = 0;
  private logLossSum = 0;
  readonly bins: number;
  private binCount: Float64Array;
  private binPos: Float64Array;
  private binConf: Float64Array;
  readonly maxDistinct: number;
  exact = true;

  constructor(options: { calibrationBins?: number; maxDistinct?: number } = {}) {
    this.bins = options.calibrationBins ?? 10;
    this.maxDistinct = options.maxDistinct ?? 200000;
    this.binCount = new Float64Array(this.bins);
    this.binPos = new Float64Array(this.bins);
    this.binConf = new Float64Array(this.bins);
  }

  /** Adds one sample: `positive` is the truth, `score` the predicted probability of the positive class. */
  update(positive: boolean, score: number): this {
    if (!(score >= 0 && score <= 1)) throw new MonitorError('INVALID_VALUE', `BinaryScoreAccumulator.update: score ${score} is not a probability in [0, 1]`);
    let key = score;
    if (!this.exact || (this.byScore.size >= this.maxDistinct && !this.byScore.has(score))) {
      if (this.exact) this.compact();
      key = Math.round(score * 2 ** 20) / 2 ** 20;
    }
    const e = this.byScore.get(key);
    if (e) e[positive ? 0 : 1]++;
    else this.byScore.set(key, positive ? [1, 0] : [0, 1]);
    this.n++;
    if (positive) this.positives++;
    const p = Math.min(Math.max(score, LOGLOSS_EPS), 1 - LOGLOSS_EPS);
    this.logLossSum -= positive ? Math.log(p) : Math.log(1 - p);
    // Uniform bins as sklearn.calibration.calibration_curve(strategy='uniform').
    const bb = binOf(score, this.bins);
    this.binCount[bb]++;
    if (positive) this.binPos[bb]++;
    this.binConf[bb] += score;
    return this;
  }

  private compact(): void {
    const next = new Map<number, [number, number]>();
    for (const [s, [p, q]] of this.byScore) {
      const k = Math.round(s * 2 ** 20) / 2 ** 20;
      const e = next.get(k);
      if (e) {
        e[0] += p;
        e[1] += q;
      } else next.set(k, [p, q]);
    }
    this.byScore = next;
    this.exact = false;
  }

  merge(o: BinaryScoreAccumulator): this {
    if (o.bins !== this.bins) throw new MonitorError('INVALID_OPTION', `BinaryScoreAccumulator.merge: calibration bins differ (${this.bins} vs ${o.bins})`);
    if (!o.exact && this.exact) this.compact();
    for (const [s0, [p, q]] of o.byScore) {
      const s = this.exact ? s0 : Math.round(s0 * 2 ** 20) / 2 ** 20;
      const e = this.byScore.get(s);
      if (e) {
        e[0] += p;
        e[1] += q;
      } else this.byScore.set(s, [p, q]);
    }
    this.n += o.n;
    this.positives += o.positives;
    this.logLossSum += o.logLossSum;
    for (let i = 0; i < this.bins; i++) {
      this.binCount[i] += o.binCount[i];
      this.binPos[i] += o.binPos[i];
      this.binConf[i] += o.binConf[i];
    }
    return this;
  }

  private requireBothClasses(fn: string): void {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', `${fn}: no samples`);
    if (this.positives === 0 || this.positives === this.n) {
      throw new MonitorError('SINGLE_CLASS', `${fn}: only one class is present in yTrue (${this.positives === 0 ? 'no positives' : 'no negatives'}); the metric is undefined`);
    }
  }

  private descending(): [number, number, number][] {
    return [...this.byScore].map(([s, [p, q]]) => [s, p, q] as [number, number, number]).sort((a, b) => b[0] - a[0]);
  }

  /** Area under the ROC curve, equal to `sklearn.metrics.roc_auc_score` (ties count one half). */
  rocAuc(): number {
    this.requireBothClasses('rocAuc');
    let posAbove = 0;
    let area = 0;
    for (const [, p, q] of this.descending()) {
      area += q * (posAbove + p / 2);
      posAbove += p;
    }
    return area / (this.positives * (this.n - this.positives));
  }

  /** Average precision Σ (Rₙ − Rₙ₋₁)·Pₙ, equal to `sklearn.metrics.average_precision_score` (the PR AUC). */
  averagePrecision(): number {
    this.requireBothClasses('averagePrecision');
    let tp = 0;
    let fp = 0;
    let prevRecall = 0;
    let ap = 0;
    for (const [, p, q] of this.descending()) {
      tp += p;
      fp += q;
      const recall = tp / this.positives;
      ap += (recall - prevRecall) * (tp / (tp + fp));
      prevRecall = recall;
    }
    return ap;
  }

  /** Mean negative log-likelihood, `sklearn.metrics.log_loss` (probabilities clipped to [eps, 1 − eps]). */
  logLoss(): number {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', 'logLoss: no samples');
    return this.logLossSum / this.n;
  }

  /**
   * Expected calibration error Σ_b (|B_b| / n)·|mean(y ∈ B_b) − mean(p ∈ B_b)| over equal-width
   * bins of the predicted probability (Naeini et al. 2015; the bins of
   * `sklearn.calibration.calibration_curve(strategy='uniform')`).
   */
  expectedCalibrationError(): number {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', 'expectedCalibrationError: no samples');
    let e = 0;
    for (let i = 0; i < this.bins; i++) {
      if (this.binCount[i] === 0) continue;
      e += Math.abs(this.binPos[i] / this.binCount[i] - this.binConf[i] / this.binCount[i]) * this.binCount[i];
    }
    return e / this.n;
  }

  /** Reliability diagram: per non-empty bin, mean predicted probability, observed frequency and count. */
  calibrationCurve(): { meanPredicted: number; fractionPositive: number; count: number }[] {
    const out = [];
    for (let i = 0; i < this.bins; i++) {
      if (this.binCount[i] === 0) continue;
      out.push({ meanPredicted: this.binConf[i] / this.binCount[i], fractionPositive: this.binPos[i] / this.binCount[i], count: this.binCount[i] });
    }
    return out;
  }
}

function binOf(p: number, bins: number): number {
  // edges = np.linspace(0, 1, bins + 1); bin = np.searchsorted(edges[1:-1], p) (side 'left').
  const step = 1 / bins;
  let b = 0;
  for (let i = 1; i < bins; i++) if (i * step < p) b = i;
  return b;
}

function binaryTruth(fn: string, yTrue: ArrayLike<Label>, posLabel?: Label): boolean[] {
  const labels = sortedLabels(fn, yTrue);
  if (labels.length > 2) throw new MonitorError('INVALID_VALUE', `${fn}: yTrue has ${labels.length} classes (${labels.slice(0, 5).join(', ')}…); binary scores need 2 — use rocAucOvr for multiclass`);
  const pos = posLabel ?? (labels.length === 2 ? labels[1] : labels.includes(1) ? 1 : labels[0] === true ? true : 1);
  return Array.from(yTrue as ArrayLike<Label>, (v) => v === pos);
}

function scoreAcc(fn: string, yTrue: ArrayLike<Label>, yScore: ArrayLike<number>, posLabel?: Label, bins?: number): BinaryScoreAccumulator {
  requireNonEmpty(fn, 'yTrue', yTrue);
  requireSameLength(fn, 'yTrue', yTrue, 'yScore', yScore);
  requireProbabilities(fn, 'yScore', yScore);
  const truth = binaryTruth(fn, yTrue, posLabel);
  const a = new BinaryScoreAccumulator({ calibrationBins: bins, maxDistinct: Infinity });
  for (let i = 0; i < truth.length; i++) a.update(truth[i], yScore[i]);
  return a;
}

/** `sklearn.metrics.roc_auc_score(y_true, y_score)` for binary labels (positive = the larger label). */
export function rocAuc(yTrue: ArrayLike<Label>, yScore: ArrayLike<number>, options: { posLabel?: Label } = {}): number {
  return scoreAcc('rocAuc', yTrue, yScore, options.posLabel).rocAuc();
}

/** `sklearn.metrics.average_precision_score` — the area under the precision–recall curve. */
export function prAuc(yTrue: ArrayLike<Label>, yScore: ArrayLike<number>, options: { posLabel?: Label } = {}): number {
  return scoreAcc('prAuc', yTrue, yScore, options.posLabel).averagePrecision();
}

/** Expected calibration error with `bins` equal-width bins (default 10). */
export function expectedCalibrationError(yTrue: ArrayLike<Label>, yProb: ArrayLike<number>, options: { bins?: number; posLabel?: Label } = {}): number {
  return scoreAcc('expectedCalibrationError', yTrue, yProb, options.posLabel, options.bins).expectedCalibrationError();
}

/**
 * `sklearn.metrics.log_loss`: binary with a vector of positive-class probabilities, or multiclass
 * with one row of class probabilities per sample (columns in sorted label order; rows renormalised
 * after clipping, as sklearn 1.2 does).
 */
export function logLoss(yTrue: ArrayLike<Label>, yProb: ArrayLike<number> | number[][]): number {
  requireNonEmpty('logLoss', 'yTrue', yTrue);
  requireSameLength('logLoss', 'yTrue', yTrue, 'yProb', yProb);
  const first = (yProb as ArrayLike<unknown>)[0];
  if (typeof first === 'number') return scoreAcc('logLoss', yTrue, yProb as ArrayLike<number>).logLoss();
  const rows = yProb as number[][];
  const labels = sortedLabels('logLoss', yTrue);
  const k = rows[0].length;
  if (labels.length > k) throw new MonitorError('SCHEMA_MISMATCH', `logLoss: yTrue has ${labels.length} classes but yProb rows have ${k} columns`);
  let s = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.length !== k) throw new MonitorError('LENGTH_MISMATCH', `logLoss: yProb[${i}] has ${r.length} columns, expected ${k}`);
    requireProbabilities('logLoss', `yProb[${i}]`, r);
    const c = r.map((p) => Math.min(Math.max(p, LOGLOSS_EPS), 1 - LOGLOSS_EPS));
    const sum = c.reduce((a, b) => a + b, 0);
    s -= Math.log(c[labels.indexOf(yTrue[i])] / sum);
  }
  return s / rows.length;
}

/**
 * One-vs-rest ROC AUC for multiclass probabilities, `sklearn.metrics.roc_auc_score(y, P,
 * multi_class='ovr', average=...)`: columns of P are the sorted labels.
 */
export function rocAucOvr(yTrue: ArrayLike<Label>, proba: number[][], options: { average?: 'macro' | 'weighted' } = {}): number {
  requireNonEmpty('rocAucOvr', 'yTrue', yTrue);
  requireSameLength('rocAucOvr', 'yTrue', yTrue, 'proba', proba);
  const labels = sortedLabels('rocAucOvr', yTrue);
  if (labels.length < 2) throw new MonitorError('SINGLE_CLASS', `rocAucOvr: only one class (${String(labels[0])}) in yTrue; ROC AUC is undefined`);
  const k = proba[0].length;
  if (k !== labels.length) throw new MonitorError('SCHEMA_MISMATCH', `rocAucOvr: yTrue has ${labels.length} classes but proba has ${k} columns`);
  const average = options.average ?? 'macro';
  let total = 0;
  let wsum = 0;
  labels.forEach((label, c) => {
    const a = new BinaryScoreAccumulator({ maxDistinct: Infinity });
    for (let i = 0; i < proba.length; i++) a.update(yTrue[i] === label, proba[i][c]);
    const w = average === 'weighted' ? a.positives : 1;
    total += w * a.rocAuc();
    wsum += w;
  });
  return total / wsum;
}
