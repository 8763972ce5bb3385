import { MonitorError } from '../errors.js';
import { requireNonEmpty, requireSameLength } from '../validate.js';
import { sortedLabels, type Label } from './labels.js';

export type Average = 'binary' | 'micro' | 'macro' | 'weighted';

export interface ConfusionMatrix {
  labels: Label[];
  /** matrix[i][j] = count of true labels[i] predicted as labels[j] (sklearn's layout). */
  matrix: number[][];
}

/**
 * Streaming confusion counts: `update(yTrue, yPred)` per sample or batch, `merge(other)`, and
 * every label metric derived from them exactly as `sklearn.metrics` does.
 */
export class ConfusionAccumulator {
  private counts = new Map<Label, Map<Label, number>>();
  n = 0;

  update(yTrue: Label, yPred: Label): this {
    let row = this.counts.get(yTrue);
    if (!row) this.counts.set(yTrue, (row = new Map()));
    row.set(yPred, (row.get(yPred) ?? 0) + 1);
    this.n++;
    return this;
  }

  updateMany(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): this {
    requireSameLength('ConfusionAccumulator.updateMany', 'yTrue', yTrue, 'yPred', yPred);
    sortedLabels('ConfusionAccumulator.updateMany', yTrue, yPred);
    for (let i = 0; i < yTrue.length; i++) this.update(yTrue[i], yPred[i]);
    return this;
  }

  merge(o: ConfusionAccumulator): this {
    for (const [t, row] of o.counts) for (const [p, c] of row) {
      let r = this.counts.get(t);
      if (!r) this.counts.set(t, (r = new Map()));
      r.set(p, (r.get(p) ?? 0) + c);
    }
    this.n += o.n;
    return this;
  }

  confusionMatrix(labels?: Label[]): ConfusionMatrix {
    const all: Label[] = [];
    for (const [t, row] of this.counts) {
      all.push(t);
      for (const p of row.keys()) all.push(p);
    }
    const ls = labels ?? sortedLabels('confusionMatrix', all);
    const matrix = ls.map((t) => ls.map((p) => this.counts.get(t)?.get(p) ?? 0));
    return { labels: ls, matrix };
  }

  accuracy(): number {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', 'accuracy: no samples');
    let correct = 0;
    for (const [t, row] of this.counts) correct += row.get(t) ?? 0;
    return correct / this.n;
  }

  /** precision, recall and F1 with sklearn's averaging; zero division gives 0 (sklearn's default). */
  prf(average: Average = 'binary', posLabel: Label = 1): { precision: number; recall: number; f1: number } {
    if (this.n === 0) throw new MonitorError('EMPTY_WINDOW', 'precision/recall/f1: no samples');
    const { labels, matrix } = this.confusionMatrix();
    const k = labels.length;
    const tp = labels.map((_, i) => matrix[i][i]);
    const predSum = labels.map((_, j) => matrix.reduce((s, r) => s + r[j], 0));
    const trueSum = matrix.map((r) => r.reduce((s, v) => s + v, 0));
    const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
    const f = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
    if (average === 'binary') {
      if (k > 2) throw new MonitorError('INVALID_OPTION', `precision/recall/f1: average 'binary' needs at most 2 labels, got ${k} (${labels.join(', ')}); use 'micro', 'macro' or 'weighted'`);
      const i = labels.indexOf(posLabel);
      if (i < 0) {
        if (k < 2 && labels.length) return { precision: 0, recall: 0, f1: 0 };
        throw new MonitorError('INVALID_OPTION', `precision/recall/f1: posLabel ${JSON.stringify(posLabel)} is not a label (labels: ${labels.join(', ')})`);
      }
      const p = div(tp[i], predSum[i]);
      const r = div(tp[i], trueSum[i]);
      return { precision: p, recall: r, f1: f(p, r) };
    }
    if (average === 'micro') {
      const t = tp.reduce((a, b) => a + b, 0);
      const p = div(t, predSum.reduce((a, b) => a + b, 0));
      const r = div(t, trueSum.reduce((a, b) => a + b, 0));
      return { precision: p, recall: r, f1: f(p, r) };
    }
    const ps = labels.map((_, i) => div(tp[i], predSum[i]));
    const rs = labels.map((_, i) => div(tp[i], trueSum[i]));
    const fs = labels.map((_, i) => f(ps[i], rs[i]));
    if (average === 'macro') {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return { precision: mean(ps), recall: mean(rs), f1: mean(fs) };
    }
    if (average === 'weighted') {
      const w = trueSum;
      const sw = w.reduce((a, b) => a + b, 0);
      const wm = (xs: number[]) => (sw === 0 ? 0 : xs.reduce((a, x, i) => a + x * w[i], 0) / sw);
      return { precision: wm(ps), recall: wm(rs), f1: wm(fs) };
    }
    throw new MonitorError('INVALID_OPTION', `precision/recall/f1: average must be 'binary', 'micro', 'macro' or 'weighted', got ${JSON.stringify(average)}`);
  }
}

function acc(fn: string, yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): ConfusionAccumulator {
  requireNonEmpty(fn, 'yTrue', yTrue);
  requireSameLength(fn, 'yTrue', yTrue, 'yPred', yPred);
  return new ConfusionAccumulator().updateMany(yTrue, yPred);
}

/** `sklearn.metrics.accuracy_score`. */
export function accuracy(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>): number {
  return acc('accuracy', yTrue, yPred).accuracy();
}

export interface PrfOptions {
  average?: Average;
  posLabel?: Label;
}

/** `sklearn.metrics.precision_score` (zero_division = 0). */
export function precision(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, o: PrfOptions = {}): number {
  return acc('precision', yTrue, yPred).prf(o.average, o.posLabel).precision;
}

/** `sklearn.metrics.recall_score` (zero_division = 0). */
export function recall(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, o: PrfOptions = {}): number {
  return acc('recall', yTrue, yPred).prf(o.average, o.posLabel).recall;
}

/** `sklearn.metrics.f1_score` (zero_division = 0). */
export function f1(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, o: PrfOptions = {}): number {
  return acc('f1', yTrue, yPred).prf(o.average, o.posLabel).f1;
}

/** `sklearn.metrics.confusion_matrix` (labels sorted unless given). */
export function confusionMatrix(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, labels?: Label[]): ConfusionMatrix {
  return acc('confusionMatrix', yTrue, yPred).confusionMatrix(labels);
}
