import type { AdamParams, SgdParams } from '../backend.js';
import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import type { Tensor } from '../tensor.js';
import { finiteNumber, live, sameShape } from './validate.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** In-place SGD step (PyTorch's semantics). `velocity` (same shape as param) is required when momentum ≠ 0. */
export function sgdStep(gpu: Gpu, param: Tensor, grad: Tensor, velocity: Tensor | undefined, o: SgdOptions): void {
  const op = 'sgdStep';
  live(gpu, op, { param, grad, velocity });
  sameShape(op, param, grad, 'param', 'grad');
  const p: SgdParams = {
    lr: finiteNumber(op, 'lr', o.lr, 0),
    momentum: finiteNumber(op, 'momentum', o.momentum ?? 0, 0, 1),
    weightDecay: finiteNumber(op, 'weightDecay', o.weightDecay ?? 0, 0),
    nesterov: !!o.nesterov,
  };
  if (p.momentum !== 0) {
    if (!velocity) throw new GpuError('BAD_ARGUMENT', 'velocity is required when momentum is not 0', op);
    sameShape(op, param, velocity, 'param', 'velocity');
  }
  if (p.nesterov && p.momentum === 0) throw new GpuError('BAD_ARGUMENT', 'nesterov needs a momentum > 0', op);
  gpu._backend.sgdStep(param.storage, grad.storage, velocity?.storage, param.size, p);
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW (decoupled weight decay). Default false. */
  decoupled?: boolean;
  /** 1-based step number, for the bias corrections. */
  step: number;
}

/** In-place Adam / AdamW step (PyTorch's semantics) with first and second moments m and v. */
export function adamStep(gpu: Gpu, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamOptions): void {
  const op = 'adamStep';
  live(gpu, op, { param, grad, m, v });
  sameShape(op, param, grad, 'param', 'grad');
  sameShape(op, param, m, 'param', 'm');
  sameShape(op, param, v, 'param', 'v');
  gpu._backend.adamStep(param.storage, grad.storage, m.storage, v.storage, param.size, adamParams(op, o));
}

/** Checked Adam hyper-parameters (PyTorch's defaults). */
export function adamParams(op: string, o: AdamOptions): AdamParams {
  if (!o || !Number.isInteger(o.step) || o.step < 1) throw new GpuError('BAD_ARGUMENT', `step must be an integer ≥ 1, got ${String(o?.step)}`, op);
  return {
    lr: finiteNumber(op, 'lr', o.lr, 0),
    beta1: finiteNumber(op, 'beta1', o.beta1 ?? 0.9, 0, 0.999999),
    beta2: finiteNumber(op, 'beta2', o.beta2 ?? 0.999, 0, 0.9999999),
    eps: finiteNumber(op, 'eps', o.eps ?? 1e-8, 0),
    weightDecay: finiteNumber(op, 'weightDecay', o.weightDecay ?? 0, 0),
    decoupled: !!o.decoupled,
    step: o.step,
  };
}
