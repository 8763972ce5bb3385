import { ACTIVATIONS, type Activation } from '../backend.js';
import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { live, oneOf } from './validate.js';

export interface MlpLayer {
  /** [in, out] */
  weight: Tensor;
  /** [out] */
  bias: Tensor;
  activation: Activation;
}

/**
 * A dense network's forward pass, h ← act_l(h·W_l + b_l) for each layer. A few rows through up
 * to three layers run as ONE fused kernel on the webgpu backend (the serving path: one dispatch
 * instead of one per layer); otherwise, and on the cpu backend, one fused matmul per layer.
 */
export function mlpForward(gpu: Gpu, x: Tensor, layers: MlpLayer[]): Tensor {
  const op = 'mlpForward';
  if (!Array.isArray(layers) || layers.length === 0) throw new GpuError('BAD_ARGUMENT', 'layers must be a non-empty array of { weight, bias, activation }', op);
  live(gpu, op, { x });
  if (x.shape.length !== 2) throw new GpuError('SHAPE_MISMATCH', `x ${fmtShape(x.shape)} must be [rows, features]`, op);
  const dims = [x.shape[1]];
  layers.forEach((l, i) => {
    live(gpu, op, { [`layers[${i}].weight`]: l.weight, [`layers[${i}].bias`]: l.bias });
    oneOf(op, `layers[${i}].activation`, l.activation, ACTIVATIONS);
    if (l.weight.shape.length !== 2 || l.weight.shape[0] !== dims[i]) throw new GpuError('SHAPE_MISMATCH', `layers[${i}].weight ${fmtShape(l.weight.shape)} must be [${dims[i]}, out]`, op);
    const dout = l.weight.shape[1];
    if (l.bias.size !== dout) throw new GpuError('SHAPE_MISMATCH', `layers[${i}].bias ${fmtShape(l.bias.shape)} must have ${dout} values`, op);
    dims.push(dout);
  });
  const m = x.shape[0];
  const be = gpu._backend;
  if (be.mlpForward && be.mlpFusable?.(m, dims)) {
    const out = gpu.empty([m, dims[dims.length - 1]]);
    be.mlpForward(x.storage, layers.map((l) => [l.weight.storage, l.bias.storage]), out.storage, m, dims, layers.map((l) => l.activation));
    return out;
  }
  return gpu.scope(() => {
    let h = x;
    for (const l of layers) h = gpu.matmul(h, l.weight, { bias: l.bias, activation: l.activation });
    return h;
  });
}
