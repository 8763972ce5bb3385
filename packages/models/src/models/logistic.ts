import type { NetworkSpec } from '../core/network.js';
import { badOption, num } from '../errors.js';
import { Model, resolveClassWeight, type ClassWeight } from './model.js';

export interface LogisticRegressionOptions {
  /** L2 penalty (l2/2)·‖w‖² added to the mean log-loss (default 0). */
  l2?: number;
  /** [w0, w1] or 'balanced': the weighted mean Σ w[y]·ℓ / Σ w[y], for imbalanced classes. */
  classWeight?: ClassWeight;
}

/**
 * Binary logistic regression P(y = 1 | x) = σ(x·w + b), trained on the log-loss (on logits,
 * numerically stable). Labels are 0 / 1.
 *
 * @example
 * const model = new LogisticRegression({ classWeight: 'balanced' });
 * await model.fit(gpu, { x, y, cols: 4 }, { epochs: 20 });
 * const p = await model.predictProba(gpu, x); // [P(0), P(1)] per row
 */
export class LogisticRegression extends Model {
  readonly kind = 'logistic' as const;
  readonly task = 'binary' as const;
  private readonly o: { l2: number; classWeight?: ClassWeight };

  constructor(options: LogisticRegressionOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw badOption('options', 'an object', options);
    this.o = { l2: num('l2', options.l2 ?? 0, { min: 0 }), classWeight: options.classWeight };
    if (options.classWeight !== undefined) resolveClassWeight(options.classWeight, 2, new Float32Array([0, 1]));
  }

  get hyperParameters(): Record<string, unknown> {
    return { l2: this.o.l2, classWeight: this.o.classWeight ?? null };
  }

  protected get l2(): number {
    return this.o.l2;
  }

  protected buildSpec(cols: number): NetworkSpec {
    return { inputWidth: cols, hidden: [], outputs: 1, head: 'sigmoid', loss: 'bce' };
  }

  protected override classWeights(_s: NetworkSpec, y?: Float32Array): number[] | undefined {
    return resolveClassWeight(this.o.classWeight, 2, y);
  }
}
