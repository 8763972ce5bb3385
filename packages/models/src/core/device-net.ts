import type { Gpu, Tensor } from '@gantry/gpu';
import { FlatParams } from './flat-params.js';
import { layerActivation, type NetworkSpec, type NetworkWeights } from './network.js';

/**
 * A network's parameters on a device: `W[i]` [in, out], `b[i]` [out] (the shape of the column
 * sums that are their gradients; the matmul epilogue takes it as a row), views of one flat
 * buffer (flat-params.ts).
 */
export class DeviceNet {
  /** All parameters in one buffer (W and b are views of it). */
  readonly params: FlatParams;
  readonly W: Tensor[];
  readonly b: Tensor[];

  constructor(
    readonly gpu: Gpu,
    readonly spec: NetworkSpec,
    w: NetworkWeights,
  ) {
    this.params = new FlatParams(gpu, spec);
    this.W = this.params.W;
    this.b = this.params.b;
    this.load(w);
  }

  /** Overwrites the parameters in place. */
  load(w: NetworkWeights): void {
    this.W.forEach((t, l) => this.gpu.write(t, w.weights[l]));
    this.b.forEach((t, l) => this.gpu.write(t, w.biases[l]));
  }

  async read(): Promise<NetworkWeights> {
    const weights = await Promise.all(this.W.map((t) => t.read()));
    const biases = await Promise.all(this.b.map((t) => t.read()));
    return { weights, biases };
  }

  /**
   * Inference forward of X [n, in] into the head's output [n, outputs]: fused matmul + bias +
   * activation per layer, sigmoid fused into the last matmul, softmax as its own kernel.
   * Intermediates are disposed; the caller owns the result.
   */
  predict(X: Tensor): Tensor {
    const gpu = this.gpu;
    return gpu.scope(() => {
      let a = X;
      const L = this.W.length;
      for (let l = 0; l < L; l++) {
        const act = l < L - 1 ? layerActivation(this.spec, l) : this.spec.head === 'sigmoid' ? 'sigmoid' : 'none';
        a = gpu.matmul(a, this.W[l], { bias: this.b[l], activation: act });
      }
      return this.spec.head === 'softmax' ? gpu.softmax(a) : a;
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Rows per device chunk so that the widest activation fits one storage binding. */
export function chunkRows(gpu: Gpu, spec: NetworkSpec, cap = 65536): number {
  const widest = Math.max(spec.inputWidth, spec.outputs, ...spec.hidden.map((h) => h.units));
  const maxFloats = Math.floor(gpu.info.limits.maxBindingBytes / 4);
  return Math.max(1, Math.min(cap, Math.floor(maxFloats / widest)));
}
