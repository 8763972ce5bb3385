import { num, oneOf } from '../errors.js';

/** Validation metrics early stopping can watch. 'loss' and 'mse' decrease, 'accuracy' and 'r2' increase. */
export type ValidationMetric = 'loss' | 'accuracy' | 'mse' | 'r2';
export const VALIDATION_METRICS: readonly ValidationMetric[] = ['loss', 'accuracy', 'mse', 'r2'];

export interface EarlyStoppingOptions {
  /** Metric on the validation set (default 'loss'). */
  metric?: ValidationMetric;
  /** Epochs without an improvement of at least minDelta before stopping (default 5). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end (default true). */
  restoreBest?: boolean;
}

/** Keras' EarlyStopping: tracks the best value of a metric and says when to stop. */
export class EarlyStopping {
  readonly metric: ValidationMetric;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
  best = NaN;
  bestEpoch = -1;
  private wait = 0;

  constructor(o: EarlyStoppingOptions = {}, field = 'earlyStopping') {
    this.metric = oneOf(`${field}.metric`, o.metric ?? 'loss', VALIDATION_METRICS);
    this.patience = num(`${field}.patience`, o.patience ?? 5, { min: 0, int: true });
    this.minDelta = num(`${field}.minDelta`, o.minDelta ?? 0, { min: 0 });
    this.restoreBest = o.restoreBest ?? true;
  }

  get higherIsBetter(): boolean {
    return this.metric === 'accuracy' || this.metric === 'r2';
  }

  /** Records an epoch's value; returns whether it is the new best, and whether to stop. */
  update(epoch: number, value: number): { improved: boolean; stop: boolean } {
    const better = Number.isNaN(this.best) || (this.higherIsBetter ? value > this.best + this.minDelta : value < this.best - this.minDelta);
    if (better) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
      return { improved: true, stop: false };
    }
    this.wait++;
    return { improved: false, stop: this.wait > this.patience };
  }
}
