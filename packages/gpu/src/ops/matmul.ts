import { ACTIVATIONS, type Activation } from '../backend.js';
import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { finiteNumber, live, matrix, oneOf } from './validate.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** A vector of length n (shape [n] or [1, n]) added to every row before the activation. */
  bias?: Tensor;
  /** Fused epilogue. Default 'none'. */
  activation?: Activation;
  /** Scales the product: alpha·op(A)·op(B). Default 1. */
  alpha?: number;
  /** Writes into this [m, n] tensor instead of a new one. */
  out?: Tensor;
}

/** act(alpha · op(a) · op(b) + bias), op = identity or transpose; a is [m,k] ([k,m] transposed), b is [k,n] ([n,k]). */
export function matmul(gpu: Gpu, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  live(gpu, op, { a, b, bias: opts.bias, out: opts.out });
  const transposeA = !!opts.transposeA;
  const transposeB = !!opts.transposeB;
  const activation = oneOf(op, 'activation', opts.activation ?? 'none', ACTIVATIONS);
  const alpha = finiteNumber(op, 'alpha', opts.alpha ?? 1);
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new GpuError('SHAPE_MISMATCH', `a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must both be rank 2`, op);
  }
  const [m, ka] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transposeB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) {
    throw new GpuError(
      'SHAPE_MISMATCH',
      `inner dimensions differ: a ${fmtShape(a.shape)}${transposeA ? ' (transposed)' : ''} has ${ka}, b ${fmtShape(b.shape)}${transposeB ? ' (transposed)' : ''} has ${kb}`,
      op,
    );
  }
  if (opts.bias) {
    const [br, bc] = matrix(op, opts.bias, 'bias');
    if (br !== 1 || bc !== n) throw new GpuError('SHAPE_MISMATCH', `bias ${fmtShape(opts.bias.shape)} must have shape [${n}] or [1, ${n}]`, op);
  }
  const out = opts.out ?? gpu.empty([m, n]);
  if (opts.out && (out.shape.length !== 2 || out.shape[0] !== m || out.shape[1] !== n)) {
    throw new GpuError('SHAPE_MISMATCH', `out ${fmtShape(out.shape)} must have shape [${m}, ${n}]`, op);
  }
  gpu._backend.matmul(a.storage, b.storage, opts.bias?.storage, out.storage, { m, n, k: ka, transposeA, transposeB, activation, hasBias: !!opts.bias, alpha });
  return out;
}
