import type { NetworkSpec } from '../core/network.js';
import { badOption, num, oneOf } from '../errors.js';
import { Model } from './model.js';

export interface LinearRegressionOptions {
  /** 'squared' (default) or 'huber' (robust to outliers). */
  loss?: 'squared' | 'huber';
  /** Huber's δ: residuals beyond it count linearly (default 1). */
  huberDelta?: number;
  /** L2 penalty (l2/2)·‖W‖² added to the mean loss (default 0; ridge). */
  l2?: number;
}

/**
 * Least-squares (or Huber) linear regression y ≈ x·w + b, trained by mini-batch gradient
 * descent on the device.
 *
 * @example
 * const model = new LinearRegression({ l2: 1e-3 });
 * await model.fit(gpu, { x: [[0], [1], [2]], y: [1, 3, 5] }, { epochs: 200, learningRate: 0.1 });
 * model.predictRow([3]); // ≈ 7
 */
export class LinearRegression extends Model {
  readonly kind = 'linear' as const;
  readonly task = 'regression' as const;
  private readonly o: Required<LinearRegressionOptions>;

  constructor(options: LinearRegressionOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw badOption('options', 'an object', options);
    this.o = {
      loss: oneOf('loss', options.loss ?? 'squared', ['squared', 'huber'] as const),
      huberDelta: num('huberDelta', options.huberDelta ?? 1, { min: 0, exclusiveMin: true }),
      l2: num('l2', options.l2 ?? 0, { min: 0 }),
    };
  }

  get hyperParameters(): Record<string, unknown> {
    return { ...this.o };
  }

  protected get l2(): number {
    return this.o.l2;
  }

  protected buildSpec(cols: number): NetworkSpec {
    return { inputWidth: cols, hidden: [], outputs: 1, head: 'identity', loss: this.o.loss === 'huber' ? 'huber' : 'mse', huberDelta: this.o.huberDelta };
  }
}
