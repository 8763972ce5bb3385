import type { Gpu, Tensor } from '@gantry/gpu';
import { DeviceNet } from '../core/device-net.js';
import { layerActivation, layerDims, type NetworkSpec } from '../core/network.js';

/**
 * The device buffers of one training step for a batch of n rows, allocated once per batch size
 * and reused: inputs, labels, pre-activations Z, activations A, their gradients, a ones row
 * (bias gradients as ones·dZ, one matmul) and Huber's temporaries.
 */
export class Workspace {
  readonly X: Tensor;
  readonly Y: Tensor;
  /** Per-row weights for the binary loss (class weights), normalised to mean 1. */
  readonly SW?: Tensor;
  readonly Z: Tensor[];
  readonly A: Tensor[];
  readonly dZ: Tensor[];
  readonly dA: Tensor[];
  readonly ones: Tensor;
  readonly huber?: { R: Tensor; C1: Tensor; C: Tensor };

  constructor(
    readonly gpu: Gpu,
    readonly spec: NetworkSpec,
    readonly n: number,
    sampleWeights: boolean,
  ) {
    const dims = layerDims(spec);
    this.X = gpu.empty([n, spec.inputWidth]);
    this.Y = spec.loss === 'ce' ? gpu.empty([n]) : gpu.empty([n, 1]);
    if (sampleWeights) this.SW = gpu.empty([n, 1]);
    this.Z = dims.map(([, o]) => gpu.empty([n, o]));
    this.dZ = dims.map(([, o]) => gpu.empty([n, o]));
    this.A = dims.slice(0, -1).map(([, o]) => gpu.empty([n, o]));
    this.dA = dims.slice(0, -1).map(([, o]) => gpu.empty([n, o]));
    this.ones = gpu.full([1, n], 1);
    if (spec.loss === 'huber') this.huber = { R: gpu.empty([n, 1]), C1: gpu.empty([n, 1]), C: gpu.empty([n, 1]) };
  }

  dispose(): void {
    const all = [this.X, this.Y, this.SW, this.ones, ...this.Z, ...this.A, ...this.dZ, ...this.dA, this.huber?.R, this.huber?.C1, this.huber?.C];
    for (const t of all) t?.dispose();
  }
}

/** Gradient buffers, one per parameter: dW[i] [in, out], db[i] [1, out]. */
export interface Grads {
  dW: Tensor[];
  db: Tensor[];
}

export function allocGrads(gpu: Gpu, spec: NetworkSpec): Grads {
  const dims = layerDims(spec);
  return { dW: dims.map(([i, o]) => gpu.empty([i, o])), db: dims.map(([, o]) => gpu.empty([1, o])) };
}

/** Loss constants kept on the device. */
export interface LossConsts {
  classWeights?: Tensor;
  delta?: Tensor;
  negDelta?: Tensor;
}

/**
 * One forward and backward pass on the device, no readback: fills `g` with the gradient of the
 * mean loss over the batch (L2 is added by the optimizer) and returns the loss, a [1] tensor
 * the caller disposes.
 */
export function forwardBackward(net: DeviceNet, ws: Workspace, g: Grads, c: LossConsts): Tensor {
  const gpu = net.gpu;
  const spec = net.spec;
  const L = net.W.length;
  // forward
  let a = ws.X;
  for (let l = 0; l < L; l++) {
    gpu.matmul(a, net.W[l], { bias: net.b[l], out: ws.Z[l] });
    if (l < L - 1) {
      const act = layerActivation(spec, l);
      gpu.unary(act as 'relu', ws.Z[l], ws.A[l]);
      a = ws.A[l];
    }
  }
  // loss and its gradient w.r.t. the last pre-activation
  const z = ws.Z[L - 1];
  const dz = ws.dZ[L - 1];
  let loss: Tensor;
  if (spec.loss === 'ce') loss = gpu.softmaxCrossEntropy(z, ws.Y, c.classWeights, dz).loss;
  else if (spec.loss === 'bce') loss = gpu.binaryCrossEntropy(z, ws.Y, ws.SW, dz).loss;
  else if (spec.loss === 'mse') loss = gpu.meanSquaredError(z, ws.Y, dz).loss;
  else {
    // Huber: r = z − y, c = clamp(r, −δ, δ); ℓ = c·(r − c/2); dℓ/dz = c / n.
    const h = ws.huber!;
    gpu.sub(z, ws.Y, h.R);
    gpu.minimum(h.R, c.delta!, h.C1);
    gpu.maximum(h.C1, c.negDelta!, h.C);
    gpu.scale(h.C, 1 / ws.n, dz);
    loss = gpu.scope(() => gpu.mean(gpu.mul(h.C, gpu.sub(h.R, gpu.scale(h.C, 0.5))), 0));
  }
  // backward
  for (let l = L - 1; l >= 0; l--) {
    const input = l === 0 ? ws.X : ws.A[l - 1];
    gpu.matmul(input, ws.dZ[l], { transposeA: true, out: g.dW[l] });
    gpu.matmul(ws.ones, ws.dZ[l], { out: g.db[l] });
    if (l > 0) {
      gpu.matmul(ws.dZ[l], net.W[l], { transposeB: true, out: ws.dA[l - 1] });
      gpu.activationGrad(layerActivation(spec, l - 1) as 'relu', ws.dA[l - 1], ws.Z[l - 1], ws.dZ[l - 1]);
    }
  }
  return loss;
}
