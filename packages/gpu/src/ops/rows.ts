import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import type { ReduceOp } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { live, matrix } from './validate.js';
import { fmtShape } from '../shape.js';

export function softmax(gpu: Gpu, a: Tensor): Tensor {
  live(gpu, 'softmax', { a });
  const [rows, cols] = matrix('softmax', a, 'a');
  const o = gpu.empty(a.shape);
  gpu._backend.softmaxRows(a.storage, o.storage, rows, cols);
  return o;
}

/** Index of the largest value of each row (the first on ties), as f32; shape [rows]. */
export function argmax(gpu: Gpu, a: Tensor): Tensor {
  live(gpu, 'argmax', { a });
  const [rows, cols] = matrix('argmax', a, 'a');
  const o = gpu.empty([rows]);
  gpu._backend.argmaxRows(a.storage, o.storage, rows, cols);
  return o;
}

/**
 * Sum, mean or population variance (ddof 0, as numpy) along `axis` of a [rows, cols] tensor:
 * axis 0 gives one value per column ([cols]), axis 1 one per row ([rows]).
 */
export function reduce(gpu: Gpu, op: ReduceOp, a: Tensor, axis: 0 | 1, out?: Tensor): Tensor {
  live(gpu, op, { a, out });
  if (axis !== 0 && axis !== 1) throw new GpuError('BAD_ARGUMENT', `axis must be 0 or 1, got ${JSON.stringify(axis)}`, op);
  const [rows, cols] = matrix(op, a, 'a');
  const len = axis === 0 ? cols : rows;
  if (out && out.size !== len) throw new GpuError('SHAPE_MISMATCH', `out ${fmtShape(out.shape)} must hold ${len} values (one per ${axis === 0 ? 'column' : 'row'})`, op);
  const o = out ?? gpu.empty([len]);
  gpu._backend.reduce(op, a.storage, o.storage, rows, cols, axis);
  return o;
}
