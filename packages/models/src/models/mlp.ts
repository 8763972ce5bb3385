import { HIDDEN_ACTIVATIONS, type HiddenActivation, type NetworkSpec } from '../core/network.js';
import { badOption, num, oneOf } from '../errors.js';
import { Model, resolveClasses, resolveClassWeight, type ClassWeight } from './model.js';

export interface MLPOptions {
  /** Units of each hidden layer, e.g. [64] or [128, 64] (default [64]); a layer may name its own activation. */
  hidden?: (number | { units: number; activation?: HiddenActivation })[];
  /** Activation of the hidden layers: 'relu' (default), 'tanh', 'gelu' (exact, erf-based) or 'sigmoid'. */
  activation?: HiddenActivation;
  /** 'classification' (default; softmax head, cross-entropy) or 'regression' (one linear output). */
  task?: 'classification' | 'regression';
  /** Classes (classification); inferred from in-memory labels when omitted. */
  classes?: number;
  /** Regression loss: 'squared' (default) or 'huber'. */
  loss?: 'squared' | 'huber';
  huberDelta?: number;
  /** L2 penalty on the weights (default 0). */
  l2?: number;
  classWeight?: ClassWeight;
}

/**
 * A multilayer perceptron: dense layers with a hidden activation, and a softmax
 * (classification) or linear (regression) head. Weights and biases start from a seeded
 * uniform init in ±1/√fan_in, PyTorch's nn.Linear default.
 *
 * @example
 * const model = new MLP({ hidden: [64], activation: 'relu' });
 * await model.fit(gpu, loader, { epochs: 5, batchSize: 1024, optimizer: 'adam', learningRate: 1e-3, seed: 1 });
 */
export class MLP extends Model {
  readonly kind = 'mlp' as const;
  readonly task: 'multiclass' | 'regression';
  private readonly o: { hidden: { units: number; activation: HiddenActivation }[]; task: 'classification' | 'regression'; classes?: number; loss: 'squared' | 'huber'; huberDelta: number; l2: number; classWeight?: ClassWeight };

  constructor(options: MLPOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw badOption('options', 'an object', options);
    const activation = oneOf('activation', options.activation ?? 'relu', HIDDEN_ACTIVATIONS);
    const hiddenIn = options.hidden ?? [64];
    if (!Array.isArray(hiddenIn)) throw badOption('hidden', 'an array of layer sizes, e.g. [64, 32]', hiddenIn);
    const hidden = hiddenIn.map((h, i) =>
      typeof h === 'number'
        ? { units: num(`hidden[${i}]`, h, { min: 1, int: true }), activation }
        : { units: num(`hidden[${i}].units`, h?.units, { min: 1, int: true }), activation: oneOf(`hidden[${i}].activation`, h.activation ?? activation, HIDDEN_ACTIVATIONS) },
    );
    const task = oneOf('task', options.task ?? 'classification', ['classification', 'regression'] as const);
    this.task = task === 'regression' ? 'regression' : 'multiclass';
    this.o = {
      hidden,
      task,
      classes: options.classes === undefined ? undefined : num('classes', options.classes, { min: 2, int: true }),
      loss: oneOf('loss', options.loss ?? 'squared', ['squared', 'huber'] as const),
      huberDelta: num('huberDelta', options.huberDelta ?? 1, { min: 0, exclusiveMin: true }),
      l2: num('l2', options.l2 ?? 0, { min: 0 }),
      classWeight: options.classWeight,
    };
    if (task === 'regression' && options.classWeight !== undefined) throw badOption('classWeight', "unset for task 'regression'", options.classWeight);
  }

  get hyperParameters(): Record<string, unknown> {
    return { ...this.o, classes: this.o.classes ?? null, classWeight: this.o.classWeight ?? null };
  }

  protected get l2(): number {
    return this.o.l2;
  }

  protected override get zeroInit(): boolean {
    return false;
  }

  protected buildSpec(cols: number, y?: Float32Array): NetworkSpec {
    if (this.o.task === 'regression') {
      return { inputWidth: cols, hidden: this.o.hidden, outputs: 1, head: 'identity', loss: this.o.loss === 'huber' ? 'huber' : 'mse', huberDelta: this.o.huberDelta };
    }
    return { inputWidth: cols, hidden: this.o.hidden, outputs: resolveClasses(this.o.classes, y, 2), head: 'softmax', loss: 'ce' };
  }

  protected override classWeights(s: NetworkSpec, y?: Float32Array): number[] | undefined {
    return s.loss === 'ce' ? resolveClassWeight(this.o.classWeight, s.outputs, y) : undefined;
  }
}
