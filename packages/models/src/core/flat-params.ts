import { viewLayout, type Gpu, type Tensor } from '@gantry/gpu';
import { layerDims, type NetworkSpec } from './network.js';

/**
 * A network's per-layer tensors, `W[i]` [in, out] then `b[i]` [out], as views of ONE zeroed
 * buffer (gpu.view), like PyTorch FSDP's flat parameter: an optimizer updates all of them in one
 * dispatch instead of one per tensor (on lavapipe ~90 µs each, a fifth of an MLP step). The
 * weights come first and the biases after, so that `weights` and `biases` are contiguous views
 * too, for the updates that treat them differently (L2, decoupled decay). The padding between
 * tensors stays zero under every optimizer (zero parameter, zero gradient, zero moments).
 */
export class FlatParams {
  readonly flat: Tensor;
  readonly W: Tensor[];
  readonly b: Tensor[];
  /** Every weight matrix (and the padding between them). */
  readonly weights: Tensor;
  /** Every bias vector (and the padding between them). */
  readonly biases: Tensor;

  constructor(gpu: Gpu, spec: NetworkSpec) {
    const dims = layerDims(spec);
    const L = dims.length;
    const { offsets, size } = viewLayout([...dims.map(([i, o]) => i * o), ...dims.map(([, o]) => o)]);
    this.flat = gpu.zeros([size]);
    this.W = dims.map(([i, o], l) => gpu.view(this.flat, offsets[l], [i, o]));
    this.b = dims.map(([, o], l) => gpu.view(this.flat, offsets[L + l], [o]));
    this.weights = gpu.view(this.flat, 0, [offsets[L]]);
    this.biases = gpu.view(this.flat, offsets[L], [size - offsets[L]]);
  }

  dispose(): void {
    // the views go with their base
    this.flat.dispose();
  }
}
