import type { Activation, Backend, BinaryOp, CustomKernel, ReduceOp, UnaryOp } from './backend.js';
import { CpuBackend } from './backends/cpu/cpu-backend.js';
import { requestAdapter, WebGpuBackend, type AdapterInfo, type WebGpuStorage } from './backends/webgpu/webgpu-backend.js';
import { tuneMatmul, defaultCacheDir, type TuneResult } from './backends/webgpu/autotune.js';
import { tileKey } from './backends/webgpu/kernels/matmul.js';
import { GpuError } from './errors.js';
import { checkShape, fmtShape, numel, type Shape } from './shape.js';
import { Tensor } from './tensor.js';
import { matmul, type MatmulOptions } from './ops/matmul.js';
import { activationGrad, binary, unary } from './ops/elementwise.js';
import { argmax, reduce, softmax } from './ops/rows.js';
import { binaryCrossEntropy, meanSquaredError, softmaxCrossEntropy, type LossResult } from './ops/loss.js';
import { adamStep, sgdStep, type AdamOptions, type SgdOptions } from './ops/optimizer.js';
import { live } from './ops/validate.js';
import { mlpForward, type MlpLayer } from './ops/mlp.js';
import { denseGradients, denseGradientsSupport, type DenseGradientsOptions, type DenseGradientsOutput, type DenseGradientsQuery } from './ops/dense-gradients.js';

export type BackendName = 'auto' | 'webgpu' | 'cpu';

export interface GpuOptions {
  /** 'auto' (default): WebGPU when an adapter exists, else the CPU backend with a warning. */
  backend?: BackendName;
  /** Caps the bytes of one storage binding; larger tensors are processed in chunks. Default: the device limit. */
  maxBindingBytes?: number;
  /** Time the matmul tiles on first use of an adapter and cache the choice (default true). */
  autotune?: boolean;
  /** Where the autotune choice is cached. Default $GANTRY_CACHE_DIR or ~/.cache/gantry. */
  cacheDir?: string;
  /** Where warnings go. Default console.warn. */
  warn?: (msg: string) => void;
}

export interface GpuInfo {
  backend: 'webgpu' | 'cpu';
  adapter?: AdapterInfo;
  /** The limits in force (device limits and the binding cap). */
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxBindingBytes: number; maxComputeWorkgroupsPerDimension: number; maxComputeInvocationsPerWorkgroup: number };
  /** The matmul tile in use, and how it was chosen. */
  matmul?: { tile: string; general: string; tunedMs?: number; fromCache?: boolean; timings?: Record<string, number> };
}

export const VALID_BACKENDS: readonly BackendName[] = ['auto', 'webgpu', 'cpu'];

/** The element alignment of `gpu.view` offsets: 256 bytes, WebGPU's minStorageBufferOffsetAlignment. */
export const VIEW_ALIGN = 64;

/** Offsets for tensors of `sizes` elements laid out one after another at VIEW_ALIGN, and the total size. */
export function viewLayout(sizes: readonly number[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let o = 0;
  for (const n of sizes) {
    offsets.push(o);
    o += Math.ceil(n / VIEW_ALIGN) * VIEW_ALIGN;
  }
  return { offsets, size: Math.max(o, 1) };
}

/**
 * Creates a Gpu: a device (or the CPU reference), its tensors and its ops.
 *
 * @example
 * const gpu = await createGpu();
 * const a = gpu.tensor([1, 2, 3, 4], [2, 2]);
 * const c = gpu.matmul(a, a, { activation: 'relu' });
 * console.log(await c.read()); // Float32Array [7, 10, 15, 22]
 * gpu.destroy();
 */
export async function createGpu(options: GpuOptions = {}): Promise<Gpu> {
  const backend = options.backend ?? 'auto';
  if (!VALID_BACKENDS.includes(backend)) {
    throw new GpuError('BAD_ARGUMENT', `backend must be one of 'auto', 'webgpu', 'cpu', got ${JSON.stringify(backend)}`, 'createGpu');
  }
  if (options.maxBindingBytes !== undefined && (!Number.isInteger(options.maxBindingBytes) || options.maxBindingBytes < 1024)) {
    throw new GpuError('BAD_ARGUMENT', `maxBindingBytes must be an integer ≥ 1024, got ${String(options.maxBindingBytes)}`, 'createGpu');
  }
  const warn = options.warn ?? ((m: string) => console.warn(m));
  if (backend === 'cpu') return new Gpu(new CpuBackend(), options);
  const adapter = await requestAdapter();
  if (!adapter) {
    if (backend === 'webgpu') throw new GpuError('NO_ADAPTER', "no WebGPU adapter found (is a Vulkan driver installed? run ./scripts/setup.sh); use backend 'cpu' or 'auto' to fall back", 'createGpu');
    warn('[gantry/gpu] WARNING: no WebGPU adapter found, running on the CPU reference backend (slow). Run ./scripts/setup.sh to install a Vulkan driver.');
    return new Gpu(new CpuBackend(), options);
  }
  const gpu = new Gpu(undefined, options);
  await gpu._attach(adapter);
  return gpu;
}

/** A device and everything on it. Ops are methods; they queue work and return tensors at once. */
export class Gpu {
  _backend: Backend;
  private scopes: Set<Tensor>[] = [];
  private kept = new WeakSet<Tensor>();
  private live = new Set<Tensor>();
  private reacquiring: Promise<void> | undefined;
  private tune: TuneResult | undefined;
  private destroyed = false;
  /** Times the device was lost and re-acquired. */
  deviceLosses = 0;

  constructor(backend: Backend | undefined, private readonly options: GpuOptions) {
    this._backend = backend as Backend;
  }

  /** @internal binds a fresh WebGPU device from `adapter`. */
  async _attach(adapter: GPUAdapter): Promise<void> {
    const b = await WebGpuBackend.create(adapter, { maxBindingBytes: this.options.maxBindingBytes }, () => this.onLost());
    this._backend = b;
    if (this.options.autotune !== false) {
      this.tune = await tuneMatmul(b, this.options.cacheDir ?? defaultCacheDir());
      b.matmulTile = this.tune.tile;
      b.generalTile = this.tune.general;
    }
  }

  private onLost(): void {
    if (this.destroyed || this.reacquiring) return;
    this.deviceLosses++;
    (this.options.warn ?? console.warn)('[gantry/gpu] the WebGPU device was lost; re-acquiring a new one');
    const prev = this._backend as WebGpuBackend;
    this.reacquiring = (async () => {
      const adapter = await requestAdapter();
      if (!adapter) throw new GpuError('DEVICE_LOST', 'the device was lost and no adapter is available to re-acquire one');
      const b = await WebGpuBackend.create(adapter, { maxBindingBytes: this.options.maxBindingBytes }, () => this.onLost());
      b.matmulTile = prev.matmulTile;
      b.generalTile = prev.generalTile;
      this._backend = b;
      this.live.clear();
    })().finally(() => {
      this.reacquiring = undefined;
    });
    this.reacquiring.catch(() => {});
  }

  /** Resolves when the device is usable (after a loss, once a new one is acquired). */
  async ready(): Promise<void> {
    // device.lost resolves asynchronously: give it a turn before deciding nothing is pending.
    if (this._backend instanceof WebGpuBackend && this._backend.isLost && !this.reacquiring) this.onLost();
    await this.reacquiring;
  }

  get backend(): 'webgpu' | 'cpu' {
    return this._backend.kind;
  }

  get info(): GpuInfo {
    const b = this._backend;
    if (b instanceof WebGpuBackend) {
      const l = b.limits;
      return {
        backend: 'webgpu',
        adapter: b.info,
        limits: {
          maxBufferSize: l.maxBufferSize,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBindingBytes: b.maxBindingBytes,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
        matmul: { tile: tileKey(b.matmulTile), general: tileKey(b.generalTile), tunedMs: this.tune?.ms, fromCache: this.tune?.fromCache, timings: this.tune?.timings },
      };
    }
    const max = Number.MAX_SAFE_INTEGER;
    return { backend: 'cpu', limits: { maxBufferSize: max, maxStorageBufferBindingSize: max, maxBindingBytes: max, maxComputeWorkgroupsPerDimension: max, maxComputeInvocationsPerWorkgroup: max } };
  }

  /** Counters: tensors alive, bytes held by them and by the pool, submits and dispatches so far. */
  memory(): { tensors: number; liveBytes: number; pooledBytes: number; submits: number; dispatches: number; pipelines: number } {
    const b = this._backend;
    if (b instanceof WebGpuBackend) return { tensors: this.live.size, liveBytes: b.pool.liveBytes, pooledBytes: b.pool.pooledBytes, submits: b.submits, dispatches: b.dispatches, pipelines: b.cache.size };
    let bytes = 0;
    for (const t of this.live) bytes += t.size * 4;
    return { tensors: this.live.size, liveBytes: bytes, pooledBytes: 0, submits: 0, dispatches: 0, pipelines: 0 };
  }

  // ---- tensors ------------------------------------------------------------------------

  /** A tensor from host data (copied). `data.length` must equal the product of `shape`. */
  tensor(data: ArrayLike<number>, shape?: Shape): Tensor {
    const s = checkShape(shape ?? [data?.length ?? 0], 'tensor');
    if (!data || typeof (data as ArrayLike<number>).length !== 'number') throw new GpuError('BAD_ARGUMENT', 'data must be an array or typed array of numbers', 'tensor');
    if (data.length !== numel(s)) throw new GpuError('SHAPE_MISMATCH', `data has ${data.length} values but shape ${fmtShape(s)} needs ${numel(s)}`, 'tensor');
    const t = this.empty(s);
    this._backend.write(t.storage, data instanceof Float32Array ? data : Float32Array.from(data), 0);
    return t;
  }

  zeros(shape: Shape): Tensor {
    return this.full(shape, 0);
  }

  full(shape: Shape, value: number): Tensor {
    const t = this.empty(checkShape(shape, 'full'));
    this._backend.fill(t.storage, t.size, value);
    return t;
  }

  /** A tensor whose contents are undefined until written (an op's output). */
  empty(shape: Shape): Tensor {
    this.checkAlive('empty');
    const s = checkShape(shape, 'empty');
    const t = new Tensor(this, s, this._backend.alloc(numel(s)));
    this.live.add(t);
    this.scopes[this.scopes.length - 1]?.add(t);
    return t;
  }

  /**
   * A tensor of `shape` over elements [offset, offset + size) of `base`, sharing its memory (no
   * copy): ops that write the view write `base`, and the other way round. This is how several
   * parameters live in one flat buffer, so that one optimizer dispatch updates all of them.
   * `offset` must be a multiple of VIEW_ALIGN (64 elements = 256 bytes, WebGPU's binding offset
   * alignment). Disposing `base` disposes its views; disposing a view frees nothing. On webgpu
   * one op may not read a view and write another view of the same base (BAD_ARGUMENT: WebGPU
   * tracks usage per buffer).
   */
  view(base: Tensor, offset: number, shape: Shape): Tensor {
    live(this, 'view', { base });
    const s = checkShape(shape, 'view');
    if (!Number.isInteger(offset) || offset < 0 || offset % VIEW_ALIGN !== 0) {
      throw new GpuError('BAD_ARGUMENT', `offset must be a non-negative multiple of ${VIEW_ALIGN} elements (256 bytes), got ${String(offset)}`, 'view');
    }
    const n = numel(s);
    if (offset + n > base.size) throw new GpuError('SHAPE_MISMATCH', `a view of ${fmtShape(s)} at offset ${offset} does not fit in ${base}`, 'view');
    const t = new Tensor(this, s, this._backend.view(base.storage, offset, n), base, offset);
    (base.views ??= new Set()).add(t);
    this.live.add(t);
    this.scopes[this.scopes.length - 1]?.add(t);
    return t;
  }

  /** Overwrites `t` (or its elements from `offset`) with host data, without reallocating. */
  write(t: Tensor, data: ArrayLike<number>, offset = 0): void {
    live(this, 'write', { t });
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > t.size) {
      throw new GpuError('SHAPE_MISMATCH', `cannot write ${data.length} values at offset ${offset} into ${t}`, 'write');
    }
    this._backend.write(t.storage, data instanceof Float32Array ? data : Float32Array.from(data), offset);
  }

  /** A copy of `t` with a new shape of the same size (no data movement on the CPU side). */
  reshape(t: Tensor, shape: Shape): Tensor {
    live(this, 'reshape', { t });
    const s = checkShape(shape, 'reshape');
    if (numel(s) !== t.size) throw new GpuError('SHAPE_MISMATCH', `cannot reshape ${t} to ${fmtShape(s)}`, 'reshape');
    const o = this.empty(s);
    this._backend.copy(t.storage, o.storage, t.size);
    return o;
  }

  /** Copies src into dst (same size). */
  copy(src: Tensor, dst: Tensor): void {
    live(this, 'copy', { src, dst });
    if (src.size !== dst.size) throw new GpuError('SHAPE_MISMATCH', `src ${src} and dst ${dst} must have the same size`, 'copy');
    this._backend.copy(src.storage, dst.storage, src.size);
  }

  async read(t: Tensor): Promise<Float32Array> {
    live(this, 'read', { t });
    return this._backend.read(t.storage, t.size);
  }

  /**
   * Runs `fn` and disposes every tensor it created except those it returns (a Tensor, an array
   * or an object of Tensors) and those marked with `keep()`. Synchronous, like tf.tidy.
   */
  scope<T>(fn: () => T): T {
    const created = new Set<Tensor>();
    this.scopes.push(created);
    let result: T;
    try {
      result = fn();
    } finally {
      this.scopes.pop();
    }
    if (result instanceof Promise) throw new GpuError('BAD_ARGUMENT', 'scope(fn) takes a synchronous function; await outside the scope', 'scope');
    const keep = new Set<Tensor>();
    collectTensors(result, keep);
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of created) {
      if (keep.has(t) || this.kept.has(t)) parent?.add(t);
      else t.dispose();
    }
    return result;
  }

  /** @internal */
  _keep(t: Tensor): void {
    this.kept.add(t);
  }

  /** @internal */
  _release(t: Tensor): void {
    this.live.delete(t);
    t.base?.views?.delete(t);
    if (t.storage && !this.destroyed && !t.base) this._backend.free(t.storage, t.size);
    t.storage = undefined;
  }

  /** @internal throws DEVICE_LOST for tensors made on a device that was since lost. */
  _checkStorage(t: Tensor, op: string, arg: string): void {
    const s = t.storage as WebGpuStorage;
    if (this._backend instanceof WebGpuBackend && s.backend !== this._backend) {
      throw new GpuError('DEVICE_LOST', `${arg} ${fmtShape(t.shape)} lived on a device that was lost; create it again`, op);
    }
  }

  // ---- ops ----------------------------------------------------------------------------

  matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
    return matmul(this, a, b, opts);
  }
  add(a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, 'add', a, b, out);
  }
  sub(a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, 'sub', a, b, out);
  }
  mul(a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, 'mul', a, b, out);
  }
  div(a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, 'div', a, b, out);
  }
  maximum(a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, 'max', a, b, out);
  }
  minimum(a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, 'min', a, b, out);
  }
  binary(op: BinaryOp, a: Tensor, b: Tensor, out?: Tensor): Tensor {
    return binary(this, op, a, b, out);
  }
  /** a · alpha */
  scale(a: Tensor, alpha: number, out?: Tensor): Tensor {
    return unary(this, 'scale', a, alpha, out);
  }
  addScalar(a: Tensor, alpha: number, out?: Tensor): Tensor {
    return unary(this, 'addScalar', a, alpha, out);
  }
  unary(op: UnaryOp, a: Tensor, out?: Tensor): Tensor {
    return unary(this, op, a, 0, out);
  }
  relu(a: Tensor): Tensor {
    return unary(this, 'relu', a);
  }
  sigmoid(a: Tensor): Tensor {
    return unary(this, 'sigmoid', a);
  }
  tanh(a: Tensor): Tensor {
    return unary(this, 'tanh', a);
  }
  gelu(a: Tensor): Tensor {
    return unary(this, 'gelu', a);
  }
  /** Applies an activation ('none' copies). */
  activation(act: Activation, a: Tensor): Tensor {
    if (act === 'none') return this.scale(a, 1);
    return unary(this, act, a);
  }
  activationGrad(act: Activation, dy: Tensor, z: Tensor, out?: Tensor): Tensor {
    return activationGrad(this, act, dy, z, out);
  }
  softmax(a: Tensor): Tensor {
    return softmax(this, a);
  }
  argmax(a: Tensor): Tensor {
    return argmax(this, a);
  }
  /** Sums along `axis` (0: one per column, 1: one per row), into `out` when given. */
  sum(a: Tensor, axis: 0 | 1, out?: Tensor): Tensor {
    return reduce(this, 'sum', a, axis, out);
  }
  mean(a: Tensor, axis: 0 | 1, out?: Tensor): Tensor {
    return reduce(this, 'mean', a, axis, out);
  }
  variance(a: Tensor, axis: 0 | 1, out?: Tensor): Tensor {
    return reduce(this, 'variance', a, axis, out);
  }
  reduce(op: ReduceOp, a: Tensor, axis: 0 | 1, out?: Tensor): Tensor {
    return reduce(this, op, a, axis, out);
  }
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, classWeights?: Tensor, grad?: Tensor): LossResult {
    return softmaxCrossEntropy(this, logits, labels, classWeights, grad);
  }
  binaryCrossEntropy(logits: Tensor, targets: Tensor, weights?: Tensor, grad?: Tensor): LossResult {
    return binaryCrossEntropy(this, logits, targets, weights, grad);
  }
  meanSquaredError(pred: Tensor, targets: Tensor, grad?: Tensor): LossResult {
    return meanSquaredError(this, pred, targets, grad);
  }
  sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | undefined, opts: SgdOptions): void {
    sgdStep(this, param, grad, velocity, opts);
  }
  adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, opts: AdamOptions): void {
    adamStep(this, param, grad, m, v, opts);
  }

  /** A dense network's forward pass; a few rows run as one fused kernel (the serving path). */
  mlpForward(x: Tensor, layers: MlpLayer[]): Tensor {
    return mlpForward(this, x, layers);
  }

  /**
   * A dense network's loss and the gradient of its mean over the batch w.r.t. every weight and
   * bias: forward, loss, backward in one fused kernel (webgpu) or the f64 reference (cpu).
   */
  denseGradients(options: DenseGradientsOptions): DenseGradientsOutput {
    return denseGradients(this, options);
  }

  /** Whether `denseGradients` runs for a call of this shape here; `reason` says why not. */
  denseGradientsSupport(query: DenseGradientsQuery): { supported: boolean; reason?: string } {
    return denseGradientsSupport(this, query);
  }

  /**
   * Runs a custom WGSL kernel (webgpu only) over the given tensors: bindings 0.. are the inputs
   * (read-only storage), then the outputs (read_write), then the uniform params if given.
   */
  dispatch(kernel: CustomKernel, inputs: Tensor[], outputs: Tensor[]): void {
    const op = 'dispatch';
    if (!this._backend.dispatch) throw new GpuError('BAD_ARGUMENT', `custom kernels need the webgpu backend; this Gpu runs on '${this.backend}'`, op);
    if (!kernel || typeof kernel.code !== 'string' || typeof kernel.key !== 'string') throw new GpuError('BAD_ARGUMENT', 'kernel must have a string key and string code', op);
    if (!Array.isArray(kernel.workgroups) || kernel.workgroups.some((w) => w !== undefined && (!Number.isInteger(w) || w < 0))) {
      throw new GpuError('BAD_ARGUMENT', `kernel.workgroups must be 1 to 3 non-negative integers, got ${JSON.stringify(kernel.workgroups)}`, op);
    }
    inputs.forEach((t, i) => live(this, op, { [`inputs[${i}]`]: t }));
    outputs.forEach((t, i) => live(this, op, { [`outputs[${i}]`]: t }));
    this._backend.dispatch(kernel, inputs.map((t) => t.storage), outputs.map((t) => t.storage));
  }

  /** Submits queued work now (ops otherwise wait for a read or sync). */
  flush(): void {
    this._backend.flush();
  }

  /** Waits until all queued work is done; throws the first WebGPU error it raised as a GpuError. */
  async sync(): Promise<void> {
    await this._backend.sync();
  }

  /**
   * Compiles and runs once the pipelines of the common ops, so the first real call does not
   * pay for shader compilation (lavapipe compiles at first dispatch). Returns the time taken.
   */
  async warmup(activations: Activation[] = ['none', 'relu']): Promise<{ ms: number; pipelines: number }> {
    const t0 = performance.now();
    this.scope(() => {
      const a = this.full([4, 4], 0.5);
      const bias = this.full([4], 0.1);
      for (const act of activations) {
        this.matmul(a, a, { activation: act });
        this.matmul(a, a, { bias, activation: act });
        this.activationGrad(act, a, a);
      }
      this.matmul(a, a, { transposeA: true });
      this.matmul(a, a, { transposeB: true });
      this.add(a, bias);
      this.sum(a, 0);
      this.softmax(a);
      this.argmax(a);
      const labels = this.zeros([4]);
      this.softmaxCrossEntropy(a, labels);
    });
    await this.sync();
    const b = this._backend;
    return { ms: performance.now() - t0, pipelines: b instanceof WebGpuBackend ? b.cache.size : 0 };
  }

  /** Releases the device and every buffer; the process can exit afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const t of this.live) t.storage = undefined;
    this.live.clear();
    this._backend.destroy();
  }

  private checkAlive(op: string): void {
    if (this.destroyed) throw new GpuError('DESTROYED', 'this Gpu was destroyed', op);
  }
}

function collectTensors(x: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 4 || x === null || typeof x !== 'object') return;
  if (x instanceof Tensor) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collectTensors(v, out, depth + 1);
  else for (const v of Object.values(x)) collectTensors(v, out, depth + 1);
}
