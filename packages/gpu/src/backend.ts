/**
 * The kernel interface every backend implements (tfjs-core's split: ops validate and pick
 * a kernel here; backends own the code). Storage is opaque to the ops: a pooled GPUBuffer on
 * `webgpu`, a Float32Array on `cpu`. Every kernel writes its outputs; none reads back.
 */
export type Activation = 'none' | 'relu' | 'sigmoid' | 'tanh' | 'gelu';
export const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'sigmoid', 'tanh', 'gelu'];

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min'];
/** How b is broadcast over a [rows, cols] a: same shape, one row for all rows, one column for all columns, one value. */
export type Broadcast = 'full' | 'row' | 'col' | 'scalar';

export type UnaryOp = 'scale' | 'addScalar' | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'square' | 'relu' | 'sigmoid' | 'tanh' | 'gelu';
export type ReduceOp = 'sum' | 'mean' | 'variance';

export interface MatmulParams {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
  activation: Activation;
  /** Bias of length n added to every row, before the activation. */
  hasBias: boolean;
  /** Scales the product before bias (alpha·A·B + bias). */
  alpha: number;
}

export interface SgdParams {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: weight decay applied to the weights directly instead of added to the gradient. */
  decoupled: boolean;
  /** 1-based step count, for the bias corrections. */
  step: number;
}

/** The losses `denseGradients` fuses, as the loss ops define them. */
export type DenseLoss = 'softmaxCrossEntropy' | 'binaryCrossEntropy' | 'meanSquaredError' | 'huber';
export const DENSE_LOSSES: readonly DenseLoss[] = ['softmaxCrossEntropy', 'binaryCrossEntropy', 'meanSquaredError', 'huber'];

/** A dense network's fused forward + backward over one batch (see ops/dense-gradients.ts). */
export interface DenseGradParams {
  /** Rows of the batch. */
  n: number;
  /** Layer widths [d0, d1, …, dL]: W_l is [d_l, d_{l+1}]. */
  dims: number[];
  /** Activation after each hidden layer (length L − 1); the last layer feeds the loss. */
  acts: Activation[];
  loss: DenseLoss;
  /** Huber's δ (loss 'huber'). */
  huberDelta: number;
  /** Add the batch's loss to `loss[0]` instead of overwriting it. */
  accumulateLoss: boolean;
}

/** Storage of denseGradients' tensors: inputs, each layer's [W, b], and the outputs written. */
export interface DenseGradBuffers {
  x: unknown;
  targets: unknown;
  sampleWeights?: unknown;
  classWeights?: unknown;
  layers: Array<[unknown, unknown]>;
  dW: unknown[];
  db: unknown[];
  loss: unknown;
  /** An Adam step applied with the gradients: W_l and b_l live in `params` at these offsets, as do m and v. */
  adam?: { params: unknown; m: unknown; v: unknown; offsetsW: number[]; offsetsB: number[]; p: AdamParams };
}

/** A user-supplied WGSL kernel, run by `gpu.dispatch` on the webgpu backend. */
export interface CustomKernel {
  /** Pipelines are cached under this key: the same key must mean the same code. */
  key: string;
  /** WGSL with `@group(0)`: bindings 0..inputs-1 read-only storage, then outputs (read_write storage), then an optional uniform `params`. */
  code: string;
  entryPoint?: string;
  workgroups: [number, number?, number?];
  /** Raw bytes of the uniform block, bound after the outputs when present (multiple of 4 bytes). */
  params?: ArrayBuffer;
}

export interface Backend {
  readonly kind: 'webgpu' | 'cpu';
  alloc(size: number): unknown;
  /** Storage for elements [offset, offset + size) of `storage`, sharing its memory. */
  view(storage: unknown, offset: number, size: number): unknown;
  free(storage: unknown, size: number): void;
  write(storage: unknown, data: Float32Array, offset: number): void;
  read(storage: unknown, size: number): Promise<Float32Array>;
  copy(src: unknown, dst: unknown, size: number): void;
  fill(dst: unknown, size: number, value: number): void;

  matmul(a: unknown, b: unknown, bias: unknown | undefined, out: unknown, p: MatmulParams): void;
  binary(op: BinaryOp, a: unknown, b: unknown, out: unknown, rows: number, cols: number, bc: Broadcast): void;
  unary(op: UnaryOp, a: unknown, out: unknown, size: number, alpha: number): void;
  /** out = dy · f'(z), for z the pre-activation. */
  activationGrad(act: Activation, dy: unknown, z: unknown, out: unknown, size: number): void;
  softmaxRows(a: unknown, out: unknown, rows: number, cols: number): void;
  reduce(op: ReduceOp, a: unknown, out: unknown, rows: number, cols: number, axis: 0 | 1): void;
  argmaxRows(a: unknown, out: unknown, rows: number, cols: number): void;
  /** Mean over rows of −w[y]·log softmax(logits)[y] (w[y] = 1 without weights); grad = w[y]·(softmax − onehot)/Σw. */
  softmaxCrossEntropy(logits: unknown, labels: unknown, weights: unknown | undefined, loss: unknown, grad: unknown, rows: number, cols: number): void;
  /** Binary cross-entropy on logits, mean over elements (weighted by an optional per-element weight); grad w.r.t. the logits. */
  binaryCrossEntropy(logits: unknown, targets: unknown, weights: unknown | undefined, loss: unknown, grad: unknown, size: number): void;
  /** Mean squared error, loss = mean((p − t)²), grad = 2(p − t)/size. */
  meanSquaredError(pred: unknown, targets: unknown, loss: unknown, grad: unknown, size: number): void;
  sgdStep(param: unknown, grad: unknown, velocity: unknown, size: number, p: SgdParams): void;
  adamStep(param: unknown, grad: unknown, m: unknown, v: unknown, size: number, p: AdamParams): void;

  dispatch?(kernel: CustomKernel, inputs: unknown[], outputs: unknown[]): void;
  /** Whether an m-row forward through layers of these widths runs as one fused kernel. */
  mlpFusable?(m: number, dims: number[]): boolean;
  mlpForward?(x: unknown, layers: Array<[unknown, unknown]>, out: unknown, m: number, dims: number[], acts: Activation[]): void;
  /** Why this backend cannot run denseGradients for these parameters (undefined: it can). */
  denseGradientsUnsupported?(p: DenseGradParams, sampleWeights: boolean, classWeights: boolean): string | undefined;
  /** Fills dW, db and loss; with `buf.adam`, true when it also applied that step (fused), else the caller steps. */
  denseGradients?(buf: DenseGradBuffers, p: DenseGradParams): boolean;
  /** Submits queued work. */
  flush(): void;
  /** Resolves when all submitted work is done. */
  sync(): Promise<void>;
  destroy(): void;
}
