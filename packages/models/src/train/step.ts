import type { Activation, Gpu, MlpLayer, Tensor } from '@gantry/gpu';
import { DeviceNet } from '../core/device-net.js';
import { FlatParams } from '../core/flat-params.js';
import { layerActivation, layerDims, layerWidths, type NetworkSpec } from '../core/network.js';

/** One step's uploaded batch: inputs, labels and (class weights) per-row weights. */
export interface InputSlot {
  X: Tensor;
  Y: Tensor;
  /** Per-row weights for the binary loss (class weights), normalised to mean 1. */
  SW?: Tensor;
}

/**
 * The device buffers of training steps for a batch of n rows, allocated once per batch size
 * and reused: `slots` input slots (several steps' batches are uploaded before their dispatches
 * are recorded, so that they share one submit), pre-activations Z, activations A, their
 * gradients and Huber's temporaries. The
 * steps of one submit run in order on the device, so they share everything but their inputs.
 * A relu layer keeps only its activation (Z[l] is A[l]): relu is fused into the matmul and its
 * gradient mask z > 0 equals a > 0.
 */
export class Workspace {
  readonly slots: InputSlot[];
  readonly Z: Tensor[];
  readonly A: Tensor[];
  readonly dZ: Tensor[];
  readonly dA: Tensor[];
  readonly huber?: { R: Tensor; C1: Tensor; C: Tensor };
  /** The fused denseGradients' layers when it runs for this workspace, false when not (decided once). */
  fused?: { net: DeviceNet; layers: MlpLayer[] } | false;

  constructor(
    readonly gpu: Gpu,
    readonly spec: NetworkSpec,
    readonly n: number,
    sampleWeights: boolean,
    slots = 1,
  ) {
    const dims = layerDims(spec);
    this.slots = Array.from({ length: slots }, () => ({
      X: gpu.empty([n, spec.inputWidth]),
      Y: spec.loss === 'ce' ? gpu.empty([n]) : gpu.empty([n, 1]),
      SW: sampleWeights ? gpu.empty([n, 1]) : undefined,
    }));
    this.A = dims.slice(0, -1).map(([, o]) => gpu.empty([n, o]));
    this.Z = dims.map(([, o], l) => (fusedRelu(spec, l) ? this.A[l] : gpu.empty([n, o])));
    this.dZ = dims.map(([, o]) => gpu.empty([n, o]));
    this.dA = dims.slice(0, -1).map(([, o]) => gpu.empty([n, o]));
    if (spec.loss === 'huber') this.huber = { R: gpu.empty([n, 1]), C1: gpu.empty([n, 1]), C: gpu.empty([n, 1]) };
  }

  /** The first slot's inputs (one-step callers). */
  get X(): Tensor {
    return this.slots[0].X;
  }
  get Y(): Tensor {
    return this.slots[0].Y;
  }
  get SW(): Tensor | undefined {
    return this.slots[0].SW;
  }

  dispose(): void {
    const all = new Set([...this.slots.flatMap((s) => [s.X, s.Y, s.SW]), ...this.Z, ...this.A, ...this.dZ, ...this.dA, this.huber?.R, this.huber?.C1, this.huber?.C]);
    for (const t of all) t?.dispose();
  }
}

/** Hidden layer l is relu: its matmul applies relu in the epilogue and no pre-activation is kept. */
function fusedRelu(spec: NetworkSpec, l: number): boolean {
  return l < spec.hidden.length && spec.hidden[l].activation === 'relu';
}

/**
 * Gradients, one per parameter, laid out as the parameters are (flat-params.ts): dW[i] [in, out]
 * and db[i] [out], views of one buffer overwritten by each step, so that the optimizer reads
 * them all in one dispatch.
 */
export type Grads = FlatParams;

export function allocGrads(gpu: Gpu, spec: NetworkSpec): Grads {
  return new FlatParams(gpu, spec);
}

const DENSE_LOSS = { ce: 'softmaxCrossEntropy', bce: 'binaryCrossEntropy', mse: 'meanSquaredError', huber: 'huber' } as const;

/**
 * When a step's forward and backward run as @gantry/gpu's fused `denseGradients` (two
 * dispatches) instead of per-layer ops: 'auto' (the default) wherever the webgpu device
 * supports the shape (on lavapipe the 32→64→2 MLP step went from ~4.7 ms to ~1.6 ms of device
 * time, logistic from 7 to 5 dispatches a step; bench/NOTES.md, models); 'off' never (the
 * per-layer path, which tests compare it with).
 */
export type FusedGradients = 'auto' | 'off';
let fusedMode: FusedGradients = 'auto';
export function setFusedGradients(mode: FusedGradients): void {
  fusedMode = mode;
}

/**
 * Whether an Adam step over one flat parameter buffer runs inside the fused kernel's gradient
 * sum ('auto', the default: one dispatch less a step; on lavapipe an in-memory MLP epoch went
 * from 1.26 to ~1.02 s without the separate step, bench/NOTES.md) or as its own adamStep ('off',
 * which tests compare it with).
 */
let fusedAdamMode: FusedGradients = 'auto';
export function setFusedAdam(mode: FusedGradients): void {
  fusedAdamMode = mode;
}
export function fusedAdamEnabled(): boolean {
  return fusedAdamMode === 'auto';
}

/** The layers to hand to the fused kernel, or undefined when this step takes the per-layer path. */
function fusedLayers(net: DeviceNet, ws: Workspace, c: LossConsts): MlpLayer[] | undefined {
  const spec = net.spec;
  if (fusedMode === 'off' || net.gpu.backend !== 'webgpu') return undefined;
  if (ws.fused === undefined || (ws.fused && ws.fused.net !== net)) {
    const supported = net.gpu.denseGradientsSupport({ rows: ws.n, dims: layerWidths(spec), loss: DENSE_LOSS[spec.loss], sampleWeights: !!ws.SW, classWeights: !!c.classWeights }).supported;
    const L = net.W.length;
    ws.fused = supported && { net, layers: net.W.map((w, l) => ({ weight: w, bias: net.b[l], activation: l < L - 1 ? (layerActivation(spec, l) as Activation) : 'none' })) };
  }
  return ws.fused ? ws.fused.layers : undefined;
}

/** Loss constants kept on the device. */
export interface LossConsts {
  classWeights?: Tensor;
  delta?: Tensor;
  negDelta?: Tensor;
}

/**
 * An Adam step to apply with the gradients when the fused kernel runs (gpu.denseGradients'
 * `adam`): the network's parameters are views of `params` (flat-params.ts), `m` and `v` its
 * moments.
 */
export interface FusedAdam {
  params: Tensor;
  m: Tensor;
  v: Tensor;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
}

/**
 * One forward and backward pass on the device, no readback: fills `g` with the gradient of the
 * mean loss over the batch (L2 is added by the optimizer) and returns the loss, a [1] tensor
 * the caller disposes — or, when the fused kernel runs and `addLossTo` is given, adds the loss
 * to `addLossTo` on the device and returns that tensor itself. When the fused kernel runs and
 * `adam` is given, it also applies that step (`stepped`: the caller must not step again).
 */
export function forwardBackward(net: DeviceNet, ws: Workspace, g: Grads, c: LossConsts, slot = 0, addLossTo?: Tensor, adam?: FusedAdam): { loss: Tensor; stepped: boolean } {
  const gpu = net.gpu;
  const spec = net.spec;
  const L = net.W.length;
  const { X, Y, SW } = ws.slots[slot];
  const layers = fusedLayers(net, ws, c);
  if (layers) {
    // The fused kernel can add the batch's loss to a running sum itself (one dispatch less).
    const loss = addLossTo ?? gpu.empty([1]);
    gpu.denseGradients({
      x: X,
      targets: Y,
      layers,
      loss: DENSE_LOSS[spec.loss],
      sampleWeights: SW,
      classWeights: c.classWeights,
      ...(spec.loss === 'huber' ? { huberDelta: spec.huberDelta ?? 1 } : {}),
      out: { dW: g.W, db: g.b, loss },
      accumulateLoss: !!addLossTo,
      ...(adam ? { adam } : {}),
    });
    return { loss, stepped: !!adam };
  }
  // forward
  let a = X;
  for (let l = 0; l < L; l++) {
    if (fusedRelu(spec, l)) {
      gpu.matmul(a, net.W[l], { bias: net.b[l], activation: 'relu', out: ws.A[l] });
      a = ws.A[l];
      continue;
    }
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
  if (spec.loss === 'ce') loss = gpu.softmaxCrossEntropy(z, Y, c.classWeights, dz).loss;
  else if (spec.loss === 'bce') loss = gpu.binaryCrossEntropy(z, Y, SW, dz).loss;
  else if (spec.loss === 'mse') loss = gpu.meanSquaredError(z, Y, dz).loss;
  else {
    // Huber: r = z − y, c = clamp(r, −δ, δ); ℓ = c·(r − c/2); dℓ/dz = c / n.
    const h = ws.huber!;
    gpu.sub(z, Y, h.R);
    gpu.minimum(h.R, c.delta!, h.C1);
    gpu.maximum(h.C1, c.negDelta!, h.C);
    gpu.scale(h.C, 1 / ws.n, dz);
    loss = gpu.scope(() => gpu.mean(gpu.mul(h.C, gpu.sub(h.R, gpu.scale(h.C, 0.5))), 0));
  }
  // backward
  for (let l = L - 1; l >= 0; l--) {
    const input = l === 0 ? X : ws.A[l - 1];
    gpu.matmul(input, ws.dZ[l], { transposeA: true, out: g.W[l] });
    // The column sum of dZ (one invocation per column, compensated): on lavapipe ~3x cheaper than ones·dZ.
    gpu.sum(ws.dZ[l], 0, g.b[l]);
    if (l > 0) {
      gpu.matmul(ws.dZ[l], net.W[l], { transposeB: true, out: ws.dA[l - 1] });
      gpu.activationGrad(layerActivation(spec, l - 1) as 'relu', ws.dA[l - 1], ws.Z[l - 1], ws.dZ[l - 1]);
    }
  }
  return { loss, stepped: false };
}
