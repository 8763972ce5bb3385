import type { Gpu, Tensor } from '@gantry/gpu';
import { badOption, num, oneOf } from '../errors.js';

/**
 * Optimizers, PyTorch's semantics, run in place on the device:
 * - `sgd`: momentum (default 0.9), optional Nesterov.
 * - `adam`: Adam with the model's L2 added to the gradient.
 * - `adamw`: Adam with decoupled weight decay `weightDecay` (default 0.01).
 */
export type OptimizerOptions =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean }
  | { kind: 'adam'; beta1?: number; beta2?: number; eps?: number }
  | { kind: 'adamw'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

export const OPTIMIZER_KINDS = ['sgd', 'adam', 'adamw'] as const;

export interface ResolvedOptimizer {
  kind: 'sgd' | 'adam' | 'adamw';
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export function resolveOptimizer(o: OptimizerOptions | OptimizerOptions['kind'] | undefined, field = 'optimizer'): ResolvedOptimizer {
  const opt = (typeof o === 'string' ? { kind: o } : (o ?? { kind: 'adam' })) as Record<string, unknown>;
  if (!opt || typeof opt !== 'object') throw badOption(field, "'sgd', 'adam', 'adamw' or an object with kind", o);
  const kind = oneOf(`${field}.kind`, opt.kind, OPTIMIZER_KINDS);
  return {
    kind,
    momentum: num(`${field}.momentum`, opt.momentum ?? (kind === 'sgd' ? 0.9 : 0), { min: 0, max: 1 }),
    nesterov: !!opt.nesterov,
    beta1: num(`${field}.beta1`, opt.beta1 ?? 0.9, { min: 0, max: 0.999999 }),
    beta2: num(`${field}.beta2`, opt.beta2 ?? 0.999, { min: 0, max: 0.9999999 }),
    eps: num(`${field}.eps`, opt.eps ?? 1e-8, { min: 0 }),
    weightDecay: num(`${field}.weightDecay`, opt.weightDecay ?? (kind === 'adamw' ? 0.01 : 0), { min: 0 }),
  };
}

/** The optimizer state of one parameter tensor (or a flat view of several) and its update. */
export class ParamState {
  private m?: Tensor;
  private v?: Tensor;

  constructor(
    private readonly gpu: Gpu,
    readonly param: Tensor,
    private readonly grad: Tensor,
    private readonly opt: ResolvedOptimizer,
    /** Coupled L2 added to the gradient (0 for biases). */
    private readonly l2: number,
    /** Decoupled decay applies to this tensor (weights, not biases). */
    private readonly decays: boolean,
  ) {
    if (opt.kind === 'sgd') {
      if (opt.momentum > 0) this.m = gpu.zeros(param.shape);
    } else {
      this.m = gpu.zeros(param.shape);
      this.v = gpu.zeros(param.shape);
    }
  }

  /** The Adam moments (adam and adamw), for a step fused into the gradient kernel. */
  get moments(): { m: Tensor; v: Tensor } | undefined {
    return this.opt.kind !== 'sgd' && this.m && this.v ? { m: this.m, v: this.v } : undefined;
  }

  /** One in-place update at 1-based `step` with rate `lr`. */
  step(lr: number, step: number): void {
    const o = this.opt;
    const grad = this.grad;
    if (o.kind === 'sgd') {
      this.gpu.sgdStep(this.param, grad, this.m, { lr, momentum: o.momentum, nesterov: o.nesterov && o.momentum > 0, weightDecay: this.l2 });
    } else if (o.kind === 'adam') {
      this.gpu.adamStep(this.param, grad, this.m!, this.v!, { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: this.l2, step });
    } else {
      this.gpu.adamStep(this.param, grad, this.m!, this.v!, { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: this.decays ? o.weightDecay : 0, decoupled: true, step });
    }
  }

  dispose(): void {
    this.m?.dispose();
    this.v?.dispose();
  }
}

/** @internal guards l2 with adamw (their decays would stack in an unclear way). */
export function checkL2(opt: ResolvedOptimizer, l2: number): void {
  if (opt.kind === 'adamw' && l2 > 0) throw badOption('l2', "0 with optimizer 'adamw' (use optimizer.weightDecay for decoupled decay, or optimizer 'adam' for L2)", l2);
}
