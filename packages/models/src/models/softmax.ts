import type { NetworkSpec } from '../core/network.js';
import { badOption, num } from '../errors.js';
import { Model, resolveClasses, resolveClassWeight, type ClassWeight } from './model.js';

export interface SoftmaxRegressionOptions {
  /** Number of classes; inferred from in-memory labels (max + 1) when omitted, required for streams. */
  classes?: number;
  /** L2 penalty (l2/2)·‖W‖² (default 0). */
  l2?: number;
  /** One weight per class or 'balanced' (PyTorch's weighted mean). */
  classWeight?: ClassWeight;
}

/**
 * Multinomial logistic regression: softmax(x·W + b) over k classes, trained on the
 * cross-entropy. Labels are class indices 0..k-1.
 *
 * @example
 * const model = new SoftmaxRegression();
 * await model.fit(gpu, { x, y, cols: 13 }, { epochs: 50 });
 * const classes = await model.predict(gpu, x);
 */
export class SoftmaxRegression extends Model {
  readonly kind = 'softmax' as const;
  readonly task = 'multiclass' as const;
  private readonly o: SoftmaxRegressionOptions & { l2: number };

  constructor(options: SoftmaxRegressionOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw badOption('options', 'an object', options);
    this.o = { classes: options.classes === undefined ? undefined : num('classes', options.classes, { min: 2, int: true }), l2: num('l2', options.l2 ?? 0, { min: 0 }), classWeight: options.classWeight };
  }

  get hyperParameters(): Record<string, unknown> {
    return { classes: this.o.classes ?? null, l2: this.o.l2, classWeight: this.o.classWeight ?? null };
  }

  protected get l2(): number {
    return this.o.l2;
  }

  protected buildSpec(cols: number, y?: Float32Array): NetworkSpec {
    return { inputWidth: cols, hidden: [], outputs: resolveClasses(this.o.classes, y, 2), head: 'softmax', loss: 'ce' };
  }

  protected override classWeights(s: NetworkSpec, y?: Float32Array): number[] | undefined {
    return resolveClassWeight(this.o.classWeight, s.outputs, y);
  }
}
