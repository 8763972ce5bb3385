import { ACTIVATIONS, type Activation, type BinaryOp, type Broadcast, type UnaryOp } from '../backend.js';
import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { finiteNumber, live, matrix, oneOf, sameShape } from './validate.js';

/**
 * a ∘ b for a of shape [rows, cols] (or [n]); b has the same shape, or is one row ([cols] or
 * [1, cols]) broadcast down the rows, or one column ([rows, 1]) broadcast across, or one value.
 */
export function binary(gpu: Gpu, op: BinaryOp, a: Tensor, b: Tensor, out?: Tensor): Tensor {
  live(gpu, op, { a, b, out });
  const [rows, cols] = matrix(op, a, 'a');
  let bc: Broadcast;
  const [br, bcols] = b.shape.length <= 2 ? matrix(op, b, 'b') : [0, 0];
  if (b.size === 1) bc = 'scalar';
  else if (b.size === a.size && b.shape.length === a.shape.length && b.shape.every((d, i) => d === a.shape[i])) bc = 'full';
  else if (br === 1 && bcols === cols) bc = 'row';
  else if (b.shape.length === 2 && bcols === 1 && br === rows) bc = 'col';
  else {
    throw new GpuError(
      'SHAPE_MISMATCH',
      `b ${fmtShape(b.shape)} cannot broadcast to a ${fmtShape(a.shape)}: it must be ${fmtShape(a.shape)}, [${cols}] or [1, ${cols}] (per column), [${rows}, 1] (per row), or a single value`,
      op,
    );
  }
  const o = out ?? gpu.empty(a.shape);
  if (out) sameShape(op, a, out, 'a', 'out');
  gpu._backend.binary(op, a.storage, b.storage, o.storage, rows, cols, bc);
  return o;
}

export function unary(gpu: Gpu, op: UnaryOp, a: Tensor, alpha = 0, out?: Tensor): Tensor {
  live(gpu, op, { a, out });
  finiteNumber(op, 'alpha', alpha);
  const o = out ?? gpu.empty(a.shape);
  if (out) sameShape(op, a, out, 'a', 'out');
  gpu._backend.unary(op, a.storage, o.storage, a.size, alpha);
  return o;
}

/** dy · f'(z): the backward pass of an activation, for z its input (the pre-activation). */
export function activationGrad(gpu: Gpu, activation: Activation, dy: Tensor, z: Tensor, out?: Tensor): Tensor {
  const op = 'activationGrad';
  live(gpu, op, { dy, z, out });
  oneOf(op, 'activation', activation, ACTIVATIONS);
  sameShape(op, dy, z, 'dy', 'z');
  const o = out ?? gpu.empty(dy.shape);
  if (out) sameShape(op, dy, out, 'dy', 'out');
  gpu._backend.activationGrad(activation, dy.storage, z.storage, o.storage, dy.size);
  return o;
}
