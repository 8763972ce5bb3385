import { ACTIVATIONS, DENSE_LOSSES, type DenseGradBuffers, type DenseGradParams, type DenseLoss } from '../backend.js';
import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { MlpLayer } from './mlp.js';
import { adamParams, type AdamOptions } from './optimizer.js';
import { finiteNumber, live, oneOf } from './validate.js';

/** The gradients of one batch: dW_l [in, out], db_l [out] and the loss [1]. */
export interface DenseGradientsOutput {
  dW: Tensor[];
  db: Tensor[];
  loss: Tensor;
}

export interface DenseGradientsOptions {
  /** Inputs [rows, d0]. */
  x: Tensor;
  /** Class indices per row ([rows], stored as f32) for 'softmaxCrossEntropy'; else rows·outputs values (0/1 for 'binaryCrossEntropy'). */
  targets: Tensor;
  /** Dense layers, h ← act(h·W + b); the last one's activation must be 'none' (its output feeds the loss). */
  layers: MlpLayer[];
  loss: DenseLoss;
  /** One weight per row, multiplying the row's loss; the mean's denominator stays the count (as binaryCrossEntropy's weights). */
  sampleWeights?: Tensor;
  /** One weight per class ('softmaxCrossEntropy' only): Σ w[y]·ℓ / Σ w[y], as softmaxCrossEntropy. */
  classWeights?: Tensor;
  /** Huber's δ (loss 'huber', default 1): ℓ = ½r² where |r| ≤ δ, else δ(|r| − ½δ). */
  huberDelta?: number;
  /** Where to write; tensors of the right shapes are made when omitted. */
  out?: DenseGradientsOutput;
  /** Add this batch's loss to `out.loss` instead of overwriting it (a running sum on the device). */
  accumulateLoss?: boolean;
  /**
   * Then apply an Adam step (adamStep's semantics) to every layer's weight and bias with these
   * gradients; on webgpu inside the dispatch that sums them, so an optimizer step costs no
   * dispatch of its own. Every weight and bias must be a view of `params` (gpu.view), and `m`
   * and `v`, the size of `params`, hold their moments at the same offsets. The gradients are
   * still written to `out`.
   */
  adam?: AdamOptions & { params: Tensor; m: Tensor; v: Tensor };
}

/** What `denseGradientsSupport` asks about: the shape of a call, no tensors. */
export interface DenseGradientsQuery {
  rows: number;
  /** Layer widths [d0, d1, …, dL]. */
  dims: number[];
  loss: DenseLoss;
  sampleWeights?: boolean;
  classWeights?: boolean;
}

/**
 * The gradient of the MEAN loss over a batch w.r.t. every weight and bias of a dense network,
 * and the loss itself, in one call: forward through every layer, the loss's gradient, backward.
 * The losses are those of the loss ops (softmaxCrossEntropy with optional class weights,
 * binaryCrossEntropy on logits, meanSquaredError) plus Huber, each mean over rows (cross-entropy)
 * or over elements (the others). On webgpu it is TWO dispatches (one fused kernel and a sum of
 * per-workgroup partials; deterministic) for shapes that `denseGradientsSupport` accepts, and an
 * UNSUPPORTED error otherwise (callers fall back to per-layer ops); on cpu, the f64 reference.
 */
export function denseGradients(gpu: Gpu, o: DenseGradientsOptions): DenseGradientsOutput {
  const op = 'denseGradients';
  if (!o || typeof o !== 'object') throw new GpuError('BAD_ARGUMENT', 'options must be an object { x, targets, layers, loss, … }', op);
  const { x, targets, layers, sampleWeights, classWeights } = o;
  const loss = oneOf(op, 'loss', o.loss, DENSE_LOSSES);
  if (!Array.isArray(layers) || layers.length === 0) throw new GpuError('BAD_ARGUMENT', 'layers must be a non-empty array of { weight, bias, activation }', op);
  live(gpu, op, { x, targets, sampleWeights, classWeights });
  if (!x) throw new GpuError('BAD_ARGUMENT', 'x must be a Tensor [rows, features]', op);
  if (!targets) throw new GpuError('BAD_ARGUMENT', 'targets must be a Tensor', op);
  if (x.shape.length !== 2) throw new GpuError('SHAPE_MISMATCH', `x ${fmtShape(x.shape)} must be [rows, features]`, op);
  const n = x.shape[0];
  const dims = [x.shape[1]];
  layers.forEach((l, i) => {
    live(gpu, op, { [`layers[${i}].weight`]: l?.weight, [`layers[${i}].bias`]: l?.bias });
    if (!l?.weight || !l.bias) throw new GpuError('BAD_ARGUMENT', `layers[${i}] must have a weight and a bias tensor`, op);
    const last = i === layers.length - 1;
    if (last && l.activation !== 'none') throw new GpuError('BAD_ARGUMENT', `layers[${i}].activation must be 'none' (the last layer's output feeds the loss), got ${JSON.stringify(l.activation)}`, op);
    oneOf(op, `layers[${i}].activation`, l.activation, ACTIVATIONS);
    if (l.weight.shape.length !== 2 || l.weight.shape[0] !== dims[i]) throw new GpuError('SHAPE_MISMATCH', `layers[${i}].weight ${fmtShape(l.weight.shape)} must be [${dims[i]}, out]`, op);
    const dout = l.weight.shape[1];
    if (l.bias.size !== dout) throw new GpuError('SHAPE_MISMATCH', `layers[${i}].bias ${fmtShape(l.bias.shape)} must have ${dout} values`, op);
    dims.push(dout);
  });
  const L = layers.length;
  const k = dims[L];
  if (loss === 'softmaxCrossEntropy') {
    if (targets.size !== n) throw new GpuError('SHAPE_MISMATCH', `targets ${fmtShape(targets.shape)} must hold one class index per row (${n})`, op);
  } else if (targets.size !== n * k) {
    throw new GpuError('SHAPE_MISMATCH', `targets ${fmtShape(targets.shape)} must hold ${n * k} values (rows ${n} × outputs ${k})`, op);
  }
  if (sampleWeights && sampleWeights.size !== n) throw new GpuError('SHAPE_MISMATCH', `sampleWeights ${fmtShape(sampleWeights.shape)} must hold one weight per row (${n})`, op);
  if (classWeights) {
    if (loss !== 'softmaxCrossEntropy') throw new GpuError('BAD_ARGUMENT', `classWeights apply to loss 'softmaxCrossEntropy' only, got loss '${loss}' (use sampleWeights)`, op);
    if (classWeights.size !== k) throw new GpuError('SHAPE_MISMATCH', `classWeights ${fmtShape(classWeights.shape)} must hold one weight per class (${k})`, op);
  }
  if (o.huberDelta !== undefined && loss !== 'huber') throw new GpuError('BAD_ARGUMENT', `huberDelta applies to loss 'huber' only, got loss '${loss}'`, op);
  const huberDelta = o.huberDelta === undefined ? 1 : finiteNumber(op, 'huberDelta', o.huberDelta, Number.MIN_VALUE);
  const p: DenseGradParams = { n, dims, acts: layers.slice(0, -1).map((l) => l.activation), loss, huberDelta, accumulateLoss: !!o.accumulateLoss };
  const be = gpu._backend;
  const why = be.denseGradients ? be.denseGradientsUnsupported?.(p, !!sampleWeights, !!classWeights) : `the '${gpu.backend}' backend has no fused kernel`;
  if (why !== undefined || !be.denseGradients) throw new GpuError('UNSUPPORTED', `not fused for ${why ?? 'this backend'}; check gpu.denseGradientsSupport() and fall back to per-layer ops`, op);
  if (o.accumulateLoss && !o.out) throw new GpuError('BAD_ARGUMENT', 'accumulateLoss needs out.loss to add to', op);
  const adam = o.adam ? adamBuffers(gpu, op, o.adam, layers) : undefined;
  const out = o.out ?? { dW: layers.map((l) => gpu.empty(l.weight.shape)), db: layers.map((l) => gpu.empty([l.bias.size])), loss: gpu.empty([1]) };
  checkOutputs(gpu, op, out, dims);
  const fused = be.denseGradients(
    {
      x: x.storage,
      targets: targets.storage,
      sampleWeights: sampleWeights?.storage,
      classWeights: classWeights?.storage,
      layers: layers.map((l) => [l.weight.storage, l.bias.storage]),
      dW: out.dW.map((t) => t.storage),
      db: out.db.map((t) => t.storage),
      loss: out.loss.storage,
      adam,
    },
    p,
  );
  if (adam && !fused) {
    // the same step as adamStep on each tensor, its moments at the tensor's offset in m and v
    layers.forEach((l, i) => {
      for (const [t, g, off] of [[l.weight, out.dW[i], adam.offsetsW[i]], [l.bias, out.db[i], adam.offsetsB[i]]] as const) {
        be.adamStep(t.storage, g.storage, be.view(adam.m, off, t.size), be.view(adam.v, off, t.size), t.size, adam.p);
      }
    });
  }
  return out;
}

/** Element offset of `t` in `root` when it is a view of it (through views of views), else undefined. */
function offsetIn(t: Tensor, root: Tensor): number | undefined {
  let o = 0;
  for (let c: Tensor | undefined = t; c; c = c.base) {
    if (c === root) return o;
    o += c.offset;
  }
  return undefined;
}

function adamBuffers(gpu: Gpu, op: string, a: NonNullable<DenseGradientsOptions['adam']>, layers: MlpLayer[]): DenseGradBuffers['adam'] {
  live(gpu, op, { 'adam.params': a.params, 'adam.m': a.m, 'adam.v': a.v });
  if (!a.params || !a.m || !a.v) throw new GpuError('BAD_ARGUMENT', 'adam needs params, m and v tensors', op);
  if (a.m.size !== a.params.size || a.v.size !== a.params.size) throw new GpuError('SHAPE_MISMATCH', `adam.m ${fmtShape(a.m.shape)} and adam.v ${fmtShape(a.v.shape)} must have adam.params' ${a.params.size} values`, op);
  const at = (t: Tensor, name: string) => {
    const o = offsetIn(t, a.params);
    if (o === undefined) throw new GpuError('BAD_ARGUMENT', `${name} must be a view of adam.params (gpu.view) for the fused Adam step`, op);
    return o;
  };
  return {
    params: a.params.storage,
    m: a.m.storage,
    v: a.v.storage,
    offsetsW: layers.map((l, i) => at(l.weight, `layers[${i}].weight`)),
    offsetsB: layers.map((l, i) => at(l.bias, `layers[${i}].bias`)),
    p: adamParams(op, a),
  };
}

function checkOutputs(gpu: Gpu, op: string, out: DenseGradientsOutput, dims: number[]): void {
  const L = dims.length - 1;
  if (!out || !Array.isArray(out.dW) || !Array.isArray(out.db) || out.dW.length !== L || out.db.length !== L) {
    throw new GpuError('BAD_ARGUMENT', `out must be { dW, db, loss } with ${L} dW and ${L} db tensors`, op);
  }
  live(gpu, op, { 'out.loss': out.loss });
  if (!out.loss || out.loss.size !== 1) throw new GpuError('SHAPE_MISMATCH', `out.loss ${out.loss ? fmtShape(out.loss.shape) : 'undefined'} must hold one value`, op);
  for (let l = 0; l < L; l++) {
    live(gpu, op, { [`out.dW[${l}]`]: out.dW[l], [`out.db[${l}]`]: out.db[l] });
    if (!out.dW[l] || out.dW[l].size !== dims[l] * dims[l + 1]) throw new GpuError('SHAPE_MISMATCH', `out.dW[${l}] ${out.dW[l] ? fmtShape(out.dW[l].shape) : 'undefined'} must be [${dims[l]}, ${dims[l + 1]}]`, op);
    if (!out.db[l] || out.db[l].size !== dims[l + 1]) throw new GpuError('SHAPE_MISMATCH', `out.db[${l}] ${out.db[l] ? fmtShape(out.db[l].shape) : 'undefined'} must hold ${dims[l + 1]} values`, op);
  }
}

/** Whether `denseGradients` runs for a call of this shape on this Gpu, and why not. */
export function denseGradientsSupport(gpu: Gpu, q: DenseGradientsQuery): { supported: boolean; reason?: string } {
  const op = 'denseGradientsSupport';
  if (!q || typeof q !== 'object') throw new GpuError('BAD_ARGUMENT', 'query must be an object { rows, dims, loss, sampleWeights?, classWeights? }', op);
  const loss = oneOf(op, 'loss', q.loss, DENSE_LOSSES);
  finiteNumber(op, 'rows', q.rows, 1);
  if (!Number.isInteger(q.rows)) throw new GpuError('BAD_ARGUMENT', `rows must be a positive integer, got ${q.rows}`, op);
  if (!Array.isArray(q.dims) || q.dims.length < 2 || q.dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new GpuError('BAD_ARGUMENT', `dims must be at least two positive integers [d0, …, dL], got ${JSON.stringify(q.dims)}`, op);
  }
  const be = gpu._backend;
  if (!be.denseGradients || !be.denseGradientsUnsupported) return { supported: false, reason: `the '${gpu.backend}' backend has no fused kernel` };
  const p: DenseGradParams = { n: q.rows, dims: q.dims, acts: q.dims.slice(2).map(() => 'none'), loss, huberDelta: 1, accumulateLoss: false };
  const reason = be.denseGradientsUnsupported(p, !!q.sampleWeights, !!q.classWeights);
  return reason === undefined ? { supported: true } : { supported: false, reason };
}
