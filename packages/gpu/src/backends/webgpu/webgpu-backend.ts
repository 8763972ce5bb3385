import { create, globals as webgpuGlobals } from 'webgpu';
import { BufferUsage as GPUBufferUsage, MapMode as GPUMapMode } from './usage.js';
import type { Activation, AdamParams, Backend, BinaryOp, Broadcast, CustomKernel, DenseGradBuffers, DenseGradParams, MatmulParams, ReduceOp, SgdParams, UnaryOp } from '../../backend.js';
import { GpuError } from '../../errors.js';
import { BufferPool } from './buffer-pool.js';
import { PipelineCache, UNIFORM_SLOT } from './pipeline-cache.js';
import { ACTIVATION_CODE, grid1d, Params, WG } from './kernels/common.js';
import { activationGradKernel, adamKernel, binaryKernel, fillKernel, sgdKernel, unaryKernel } from './kernels/elementwise.js';
import { argmaxRowsKernel, reduceKernel, softmaxRowsKernel } from './kernels/rows.js';
import { binaryCrossEntropyKernel, meanSquaredErrorKernel, softmaxCrossEntropyKernel } from './kernels/losses.js';
import { DEFAULT_GENERAL_TILE, SKINNY_MAX_N, matmulGrid, matmulKernel, matmulKey, tileRows, tileSupports, type MatmulTile } from './kernels/matmul.js';
import { Waiter } from './waiter.js';
import { MLP_MAX_LAYERS, MLP_MAX_WIDTH, mlpKernel, mlpKey } from './kernels/mlp.js';
import { DENSE_MAX_LAYERS, DENSE_MAX_WEIGHTS, DENSE_MAX_WIDTH, DENSE_SOFTWARE_GROUPS, DENSE_SUM_WG, DENSE_TARGET_GROUPS, denseGradKernel, denseGradKey, denseGradSumKernel, denseGradSumKey, denseLayout } from './kernels/dense-grad.js';


/** A tensor's storage on this backend: a pooled buffer and the bytes the tensor uses of it. */
export interface WebGpuStorage {
  buffer: GPUBuffer;
  /** Where the tensor starts in the buffer (a multiple of 256 for views, else 0). */
  offset: number;
  bytes: number;
  backend: WebGpuBackend;
  /** A view into another tensor's buffer: freeing it releases nothing. */
  view?: true;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations of Vulkan such as Mesa's lavapipe (llvmpipe) or SwiftShader. */
  isSoftware: boolean;
}

export interface WebGpuOptions {
  /** Caps the bytes bound per storage binding (chunking threshold); defaults to the device limit. */
  maxBindingBytes?: number;
  powerPreference?: 'low-power' | 'high-performance';
}

type Binding = { buffer: GPUBuffer; offset?: number; size?: number };

const UNIFORM_CHUNK = 64 * 1024;
const UNIFORM_MAX_SLOTS = 4096;
const UNIFORM_ALIGN = 256;

let instance: GPU | undefined;
/** One Dawn instance per process: creating several leaks threads in dawn.node. */
export function dawn(): GPU {
  if (!instance) instance = create(process.env.GANTRY_DAWN_FLAGS ? process.env.GANTRY_DAWN_FLAGS.split(' ') : []) as GPU;
  return instance;
}

/** Finds the adapter Dawn offers, or undefined when there is none. */
export async function requestAdapter(powerPreference?: 'low-power' | 'high-performance'): Promise<GPUAdapter | undefined> {
  try {
    return (await dawn().requestAdapter(powerPreference ? { powerPreference } : undefined)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  const i = (adapter as unknown as { info?: GPUAdapterInfo }).info ?? ({} as GPUAdapterInfo);
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    isSoftware: /llvmpipe|lavapipe|swiftshader|software|warp/.test(text) || (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
}

/**
 * The WebGPU backend: Dawn through the `webgpu` package. Work is recorded into one command
 * encoder (one compute pass, many dispatches) and submitted only when the host needs a result
 * or a host write must be ordered after it, so an op chain costs no round trip.
 */
export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly cache: PipelineCache;
  readonly pool: BufferPool;
  private readPool: BufferPool;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private passPipeline: GPUComputePipeline | undefined;
  private batchOps: string[] = [];
  private scopeOpen = false;
  private scopeResults: Promise<GpuError | null>[] = [];
  private uncaptured: GpuError[] = [];
  private uniformChunks: { buffer: GPUBuffer; cpu: Uint8Array; used: number; groups: GPUBindGroup[]; dirtyStart: number; dirtyEnd: number }[] = [];
  /**
   * Uniform slots by content: a serving or training loop dispatches the same params every
   * iteration, and a slot written once needs no queue.writeBuffer again (a write per submit costs
   * tens of µs on dawn.node). Reset at a submit boundary when it holds UNIFORM_MAX_SLOTS.
   */
  private uniformSlots = new Map<string, GPUBindGroup>();
  /** Group-0 bind groups by layout signature and bound ranges; cleared when it grows past its cap. */
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private uniformChunk = 0;
  readonly maxBindingBytes: number;
  readonly maxWorkgroups: number;
  readonly waiter = new Waiter();
  /** Estimated work (flops + bytes) recorded since the last submit, and its costliest dispatch, for the waiter. */
  private batchCost = 0;
  private batchTopKey = '';
  private batchTopCost = 0;
  /** The batch runs a pipeline for the first time (lavapipe compiles at first dispatch). */
  private batchCompiles = false;
  private destroyed = false;
  lost: GPUDeviceLostInfo | undefined;
  /** The tuned tile, and the tuned tile for shapes it cannot run. */
  matmulTile: MatmulTile = DEFAULT_GENERAL_TILE;
  generalTile: MatmulTile = DEFAULT_GENERAL_TILE;
  /** Use the skinny tile for n ≤ 16 and the wide tile for m ≤ the subgroup size (tests switch them off to exercise the other tiles there). */
  skinny = true;
  wide = true;
  submits = 0;
  dispatches = 0;

  private constructor(
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly info: AdapterInfo,
    opts: WebGpuOptions,
    onLost: (info: GPUDeviceLostInfo) => void,
  ) {
    this.cache = new PipelineCache(device);
    this.pool = new BufferPool(device, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    this.readPool = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 64 * 1024 * 1024);
    const lim = device.limits;
    this.maxBindingBytes = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize, opts.maxBindingBytes ?? Infinity);
    if (this.maxBindingBytes < 1024) throw new GpuError('BAD_ARGUMENT', `maxBindingBytes must be at least 1024, got ${opts.maxBindingBytes}`, 'createGpu');
    this.maxWorkgroups = lim.maxComputeWorkgroupsPerDimension;
    device.lost.then((info) => {
      if (this.destroyed && info.reason === 'destroyed' && !this.lost) return;
      this.lost = info;
      onLost(info);
    });
    (device as unknown as { onuncapturederror: ((e: { error: GPUError }) => void) | null }).onuncapturederror = (e) => {
      this.uncaptured.push(toGpuError(e.error, 'device'));
    };
  }

  static async create(adapter: GPUAdapter, opts: WebGpuOptions, onLost: (info: GPUDeviceLostInfo) => void): Promise<WebGpuBackend> {
    const lim = adapter.limits;
    // Ask for what the adapter can do: the defaults (128 MiB bindings, 256 MiB buffers) are far below it.
    const features: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
    const device = await adapter.requestDevice({
      requiredFeatures: features,
      requiredLimits: {
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: lim.maxComputeWorkgroupSizeY,
        maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 10),
      },
    });
    return new WebGpuBackend(adapter, device, describeAdapter(adapter), opts, onLost);
  }

  /** The adapter's subgroup size when it is fixed and subgroups are enabled, else 0. */
  fixedSubgroupSize(): number {
    const i = (this.adapter as unknown as { info?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).info;
    return this.device.features.has('subgroups') && i?.subgroupMinSize && i.subgroupMinSize === i.subgroupMaxSize ? i.subgroupMinSize : 0;
  }

  /** Whether this device can run a matmul tile (subgroup tiles need a fixed subgroup size). */
  supportsTile(t: MatmulTile): boolean {
    if (t.family === 'skinny') return t.sg === 0 || t.sg === this.fixedSubgroupSize();
    if (t.family !== 'subgroup') return true;
    return this.fixedSubgroupSize() === t.sg;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  // ---- memory -------------------------------------------------------------------------

  alloc(size: number): WebGpuStorage {
    const bytes = size * 4;
    if (bytes > this.device.limits.maxBufferSize) {
      throw new GpuError('OUT_OF_MEMORY', `a tensor of ${size} elements (${bytes} bytes) exceeds the device's maxBufferSize of ${this.device.limits.maxBufferSize} bytes`, 'alloc');
    }
    this.checkAlive();
    if (!this.pool.hasFree(bytes)) this.openScope();
    return { buffer: this.pool.acquire(bytes), offset: 0, bytes, backend: this };
  }

  view(storage: unknown, offset: number, size: number): WebGpuStorage {
    const s = storage as WebGpuStorage;
    return { buffer: s.buffer, offset: s.offset + offset * 4, bytes: size * 4, backend: s.backend, view: true };
  }

  free(storage: unknown): void {
    const s = storage as WebGpuStorage;
    if (s.backend !== this || this.destroyed || s.view) return;
    // A pending dispatch may still use the buffer; the queue orders its reuse after it.
    this.pool.release(s.buffer);
  }

  write(storage: unknown, data: Float32Array, offset: number): void {
    const s = storage as WebGpuStorage;
    // queue.writeBuffer runs before any command not yet submitted: submit those first.
    if (this.encoder) this.flush();
    this.checkAlive();
    this.device.queue.writeBuffer(s.buffer, s.offset + offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  async read(storage: unknown, size: number): Promise<Float32Array> {
    const s = storage as WebGpuStorage;
    const bytes = size * 4;
    this.checkAlive();
    if (!this.readPool.hasFree(bytes)) this.openScope();
    const staging = this.readPool.acquire(bytes);
    this.endPass();
    this.enc().copyBufferToBuffer(s.buffer, s.offset, staging, 0, bytes);
    this.batchCost += bytes;
    this.flush();
    try {
      await this.waiter.beforeMap();
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
      this.waiter.done();
      const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      this.readPool.release(staging);
      await this.checkErrors();
      return out;
    } catch (e) {
      this.waiter.done();
      if (e instanceof GpuError) throw e;
      if (this.lost) throw new GpuError('DEVICE_LOST', `the device was lost while reading back (${this.lost.reason}: ${this.lost.message})`, 'read');
      throw new GpuError('VALIDATION', `readback failed: ${(e as Error).message}`, 'read');
    }
  }

  copy(src: unknown, dst: unknown, size: number): void {
    this.endPass();
    this.checkAlive();
    const a = src as WebGpuStorage, b = dst as WebGpuStorage;
    this.enc().copyBufferToBuffer(a.buffer, a.offset, b.buffer, b.offset, size * 4);
    this.batchCost += size * 8;
  }

  fill(dst: unknown, size: number, value: number): void {
    this.chunked1d(size, (base, n) => {
      this.run('fill', fillKernel, [this.slice(dst, base, n)], new Params(4).u32(n).u32(base).u32(0).f32(value).bytes, grid1d(n, WG, this.maxWorkgroups), n * 4);
    });
  }

  // ---- kernels ------------------------------------------------------------------------

  matmul(a: unknown, b: unknown, bias: unknown, out: unknown, p: MatmulParams): void {
    const { m, n, k } = p;
    const maxElems = this.maxBindingBytes / 4;
    const tile = this.pickTile(m, n, k, p.transposeA, p.transposeB);
    const maxRowsByGrid = this.maxWorkgroups * tileRows(tile);
    const bElems = n * k;
    const fits = m * k <= maxElems && m * n <= maxElems && bElems <= maxElems && m <= maxRowsByGrid;
    if (fits) return this.matmulDispatch(a, b, bias, out, p, tile, 0, m, 0, k, false);
    if (!p.transposeA && bElems <= maxElems) {
      // Row chunks of A and out: each chunk is an independent product.
      // Bindings start 256-byte aligned below the chunk; leave room for that slack.
      const rows = Math.min(Math.floor((maxElems - 64) / Math.max(k, n)), maxRowsByGrid);
      if (rows < 1) throw this.tooLarge('matmul', 'a', m, k);
      for (let r0 = 0; r0 < m; r0 += rows) this.matmulDispatch(a, b, bias, out, p, tile, r0, Math.min(rows, m - r0), 0, k, false);
      return;
    }
    if (p.transposeA && !p.transposeB && m * n <= maxElems && m <= maxRowsByGrid) {
      // C = Σ_chunks A_cᵀ·B_c over chunks of the shared dimension k (rows of both A and B), accumulated in place.
      const ks = Math.floor((maxElems - 64) / Math.max(m, n));
      if (ks < 1) throw this.tooLarge('matmul', 'a', k, m);
      for (let k0 = 0; k0 < k; k0 += ks) this.matmulDispatch(a, b, bias, out, p, tile, 0, m, k0, Math.min(ks, k - k0), k0 + ks < k);
      return;
    }
    throw new GpuError('BAD_ARGUMENT', `operands of ${m}×${k} and ${k}×${n}${p.transposeA ? ' (a transposed)' : ''}${p.transposeB ? ' (b transposed)' : ''} exceed the binding limit of ${this.maxBindingBytes} bytes in a layout that cannot be chunked; split the product`, 'matmul');
  }

  /** Skinny outputs (n ≤ 16) and few rows (m ≤ subgroup size) get their own tiles; the rest the tuned one. */
  pickTile(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): MatmulTile {
    const sg = this.fixedSubgroupSize();
    if (n <= SKINNY_MAX_N && this.skinny) return { family: 'skinny', nc: n, sg };
    if (sg && m <= sg && this.wide) return { family: 'wide', sg, mr: m, vec4b: !transposeB && n % 4 === 0 };
    return tileSupports(this.matmulTile, transposeA, transposeB, m, n, k) ? this.matmulTile : this.generalTile;
  }

  private matmulDispatch(a: unknown, b: unknown, bias: unknown, out: unknown, p: MatmulParams, tile: MatmulTile, r0: number, rows: number, k0: number, ks: number, partial: boolean): void {
    const last = !partial;
    const variant = { tile, transposeA: p.transposeA, transposeB: p.transposeB };
    const as = a as WebGpuStorage, bs = b as WebGpuStorage, os = out as WebGpuStorage;
    const aBind = p.transposeA ? this.aligned(as, k0 * p.m, ks * p.m) : this.aligned(as, r0 * p.k, rows * p.k);
    const bBind = p.transposeA ? this.aligned(bs, k0 * p.n, ks * p.n) : this.aligned(bs, 0, p.n * p.k);
    const oBind = this.aligned(os, r0 * p.n, rows * p.n);
    const useBias = !!bias && last;
    const biasBind = useBias ? this.slice(bias, 0, p.n) : { buffer: this.dummy(), offset: 0, size: 16 };
    const binds: Binding[] = [aBind.binding, bBind.binding, biasBind, oBind.binding];
    const accumulate = p.transposeA && k0 > 0;
    const act = last ? ACTIVATION_CODE[p.activation] : 0;
    const params = new Params(12).u32(rows).u32(p.n).u32(ks).u32(accumulate ? 1 : 0).f32(p.alpha).u32(useBias ? 1 : 0).u32(act).u32(aBind.shift).u32(bBind.shift).u32(oBind.shift).bytes;
    const [gx, gy] = matmulGrid(tile, rows, p.n);
    this.run(matmulKey(variant), () => matmulKernel(variant), binds, params, [gx, gy, 1], 2 * rows * p.n * ks);
  }

  private dummyBuffer: GPUBuffer | undefined;
  /** A 16-byte buffer bound where a kernel's optional input is absent. */
  private dummy(): GPUBuffer {
    return (this.dummyBuffer ??= this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST }));
  }

  binary(op: BinaryOp, a: unknown, b: unknown, out: unknown, rows: number, cols: number, bc: Broadcast): void {
    const size = rows * cols;
    const bLen = bc === 'full' ? size : bc === 'row' ? cols : bc === 'col' ? rows : 1;
    this.chunked1d(size, (base, n) => {
      const bBind = bc === 'full' ? this.slice(b, base, n) : this.slice(b, 0, bLen);
      this.run(`binary:${op}:${bc}`, () => binaryKernel(op, bc), [this.slice(a, base, n), bBind, this.slice(out, base, n)], new Params(4).u32(n).u32(base).u32(cols).f32(0).bytes, grid1d(n, WG, this.maxWorkgroups), n * 12);
    });
  }

  unary(op: UnaryOp, a: unknown, out: unknown, size: number, alpha: number): void {
    this.chunked1d(size, (base, n) => {
      this.run(`unary:${op}`, () => unaryKernel(op), [this.slice(a, base, n), this.slice(out, base, n)], new Params(4).u32(n).u32(base).u32(0).f32(alpha).bytes, grid1d(n, WG, this.maxWorkgroups), n * 8);
    });
  }

  activationGrad(act: Activation, dy: unknown, z: unknown, out: unknown, size: number): void {
    this.chunked1d(size, (base, n) => {
      this.run(`actgrad:${act}`, () => activationGradKernel(act), [this.slice(dy, base, n), this.slice(z, base, n), this.slice(out, base, n)], new Params(4).u32(n).u32(base).u32(0).f32(0).bytes, grid1d(n, WG, this.maxWorkgroups), n * 12);
    });
  }

  softmaxRows(a: unknown, out: unknown, rows: number, cols: number): void {
    this.chunkedRows(rows, cols, 'softmaxRows', (r0, nr) => {
      const ab = this.aligned(a, r0 * cols, nr * cols), ob = this.aligned(out, r0 * cols, nr * cols);
      this.run('softmaxRows', softmaxRowsKernel, [ab.binding, ob.binding], new Params(4).u32(nr).u32(cols).u32(ab.shift).u32(ob.shift).bytes, grid1d(nr, WG, this.maxWorkgroups), nr * cols * 12);
    });
  }

  argmaxRows(a: unknown, out: unknown, rows: number, cols: number): void {
    this.chunkedRows(rows, cols, 'argmaxRows', (r0, nr) => {
      const ab = this.aligned(a, r0 * cols, nr * cols), ob = this.aligned(out, r0, nr);
      this.run('argmaxRows', argmaxRowsKernel, [ab.binding, ob.binding], new Params(4).u32(nr).u32(cols).u32(ab.shift).u32(ob.shift).bytes, grid1d(nr, WG, this.maxWorkgroups), nr * cols * 4);
    });
  }

  reduce(op: ReduceOp, a: unknown, out: unknown, rows: number, cols: number, axis: 0 | 1): void {
    if (axis === 1) {
      this.chunkedRows(rows, cols, 'reduce', (r0, nr) => {
        const ab = this.aligned(a, r0 * cols, nr * cols), ob = this.aligned(out, r0, nr);
        this.run(`reduce:${op}:1`, () => reduceKernel(op, 1), [ab.binding, ob.binding], new Params(4).u32(nr).u32(cols).u32(ab.shift).u32(ob.shift).bytes, grid1d(nr, WG, this.maxWorkgroups), nr * cols * 4);
      });
      return;
    }
    this.checkFits('reduce', 'a', rows * cols);
    this.run(`reduce:${op}:0`, () => reduceKernel(op, 0), [this.slice(a, 0, rows * cols), this.slice(out, 0, cols)], new Params(4).u32(rows).u32(cols).u32(0).u32(0).bytes, grid1d(cols, WG, this.maxWorkgroups), rows * cols * 4);
  }

  softmaxCrossEntropy(logits: unknown, labels: unknown, weights: unknown, loss: unknown, grad: unknown, rows: number, cols: number): void {
    this.checkFits('softmaxCrossEntropy', 'logits', rows * cols);
    const binds = [this.slice(logits, 0, rows * cols), this.slice(labels, 0, rows)];
    if (weights) binds.push(this.slice(weights, 0, cols));
    binds.push(this.slice(loss, 0, 1), this.slice(grad, 0, rows * cols));
    this.run(`sce:${weights ? 'w' : ''}`, () => softmaxCrossEntropyKernel(!!weights), binds, new Params(4).u32(rows).u32(cols).u32(0).u32(0).bytes, [1, 1, 1], rows * cols * 40);
  }

  binaryCrossEntropy(z: unknown, t: unknown, w: unknown, loss: unknown, grad: unknown, size: number): void {
    this.checkFits('binaryCrossEntropy', 'logits', size);
    const binds = [this.slice(z, 0, size), this.slice(t, 0, size)];
    if (w) binds.push(this.slice(w, 0, size));
    binds.push(this.slice(loss, 0, 1), this.slice(grad, 0, size));
    this.run(`bce:${w ? 'w' : ''}`, () => binaryCrossEntropyKernel(!!w), binds, new Params(4).u32(size).bytes, [1, 1, 1], size * 40);
  }

  meanSquaredError(pred: unknown, t: unknown, loss: unknown, grad: unknown, size: number): void {
    this.checkFits('meanSquaredError', 'pred', size);
    this.run('mse', meanSquaredErrorKernel, [this.slice(pred, 0, size), this.slice(t, 0, size), this.slice(loss, 0, 1), this.slice(grad, 0, size)], new Params(4).u32(size).bytes, [1, 1, 1], size * 20);
  }

  sgdStep(w: unknown, g: unknown, v: unknown, size: number, p: SgdParams): void {
    const momentum = p.momentum !== 0;
    this.chunked1d(size, (base, n) => {
      const binds = [this.slice(w, base, n), this.slice(g, base, n)];
      if (momentum) binds.push(this.slice(v, base, n));
      this.run(`sgd:${momentum}:${p.nesterov}`, () => sgdKernel(momentum, p.nesterov), binds, new Params(5).u32(n).u32(base).f32(p.lr).f32(p.momentum).f32(p.weightDecay).bytes, grid1d(n, WG, this.maxWorkgroups), n * 20);
    });
  }

  adamStep(w: unknown, g: unknown, m: unknown, v: unknown, size: number, p: AdamParams): void {
    const bc1 = 1 - p.beta1 ** p.step;
    const bc2 = 1 - p.beta2 ** p.step;
    this.chunked1d(size, (base, n) => {
      this.run(`adam:${p.decoupled}`, () => adamKernel(p.decoupled), [this.slice(w, base, n), this.slice(g, base, n), this.slice(m, base, n), this.slice(v, base, n)], new Params(9).u32(n).u32(base).f32(p.lr).f32(p.beta1).f32(p.beta2).f32(p.eps).f32(p.weightDecay).f32(bc1).f32(bc2).bytes, grid1d(n, WG, this.maxWorkgroups), n * 28);
    });
  }

  /** A few rows (≤ the subgroup size), up to MLP_MAX_LAYERS layers of at most MLP_MAX_WIDTH, and a fixed subgroup size. */
  mlpFusable(m: number, dims: number[]): boolean {
    const sg = this.fixedSubgroupSize();
    const layers = dims.length - 1;
    return sg > 0 && m <= sg && layers <= MLP_MAX_LAYERS && Math.max(...dims) <= MLP_MAX_WIDTH && 2 * layers + 2 <= this.device.limits.maxStorageBuffersPerShaderStage;
  }

  mlpForward(x: unknown, layers: Array<[unknown, unknown]>, out: unknown, m: number, dims: number[], acts: Activation[]): void {
    const L = dims.length - 1;
    const sg = this.fixedSubgroupSize();
    const xb = this.aligned(x, 0, m * dims[0]);
    const ob = this.aligned(out, 0, m * dims[L]);
    const binds: Binding[] = [xb.binding];
    layers.forEach(([w, b], l) => binds.push(this.slice(w, 0, dims[l] * dims[l + 1]), this.slice(b, 0, dims[l + 1])));
    binds.push(ob.binding);
    let flops = 0;
    for (let l = 0; l < L; l++) flops += 2 * m * dims[l] * dims[l + 1];
    this.run(mlpKey(dims, acts, sg), () => mlpKernel(dims, acts, sg), binds, new Params(4).u32(m).u32(xb.shift).u32(ob.shift).bytes, [m, 1, 1], flops);
  }

  denseGradientsUnsupported(p: DenseGradParams, sampleWeights: boolean, classWeights: boolean): string | undefined {
    const lim = this.device.limits;
    const L = p.dims.length - 1;
    const widest = Math.max(...p.dims);
    const sg = this.fixedSubgroupSize();
    if (!sg) return 'this adapter (the fused kernel needs subgroups of a fixed size)';
    if (L > DENSE_MAX_LAYERS) return `${L} layers (the fused kernel takes at most ${DENSE_MAX_LAYERS})`;
    if (widest > DENSE_MAX_WIDTH) return `a layer of width ${widest} (the fused kernel takes at most ${DENSE_MAX_WIDTH})`;
    const weights = p.dims.slice(0, -1).reduce((a, d, l) => a + d * p.dims[l + 1], 0);
    if (weights > DENSE_MAX_WEIGHTS) return `${weights} weights (the fused kernel holds them in registers and takes at most ${DENSE_MAX_WEIGHTS})`;
    const storage = 3 + 2 * L + (sampleWeights ? 1 : 0) + (classWeights ? 1 : 0);
    if (storage > lim.maxStorageBuffersPerShaderStage) return `${storage} storage buffers (the device allows ${lim.maxStorageBuffersPerShaderStage} per stage)`;
    const maxElems = this.maxBindingBytes / 4;
    const k = p.dims[L];
    if (p.n * p.dims[0] > maxElems || p.n * k > maxElems) return `a batch of ${p.n} rows past the binding limit of ${this.maxBindingBytes} bytes`;
    return undefined;
  }

  /**
   * Workgroups kernel A aims for: fewer on a software adapter, where each workgroup's cost of
   * loading every weight and writing a set of partials is paid on the CPU cores that also run
   * the rows. 32→64→2, batch 1024, lavapipe on 2 cores, in-memory fit, s per 1M rows: 16 groups
   * 1.30, 8 1.15, 4 1.07, 2 1.08 (bench/NOTES.md, models). A constant, not a function of the
   * core count: the partials' summation order, and so the last bits of the weights, must not
   * depend on the machine.
   */
  private get denseGroups(): number {
    return this.info.isSoftware ? DENSE_SOFTWARE_GROUPS : DENSE_TARGET_GROUPS;
  }

  /** Rows per workgroup of the fused kernel: a multiple of the subgroup size, about denseGroups workgroups. */
  private denseRows(n: number, sg: number): number {
    return sg * Math.ceil(n / (sg * this.denseGroups));
  }

  /** Kernel A (forward, loss, backward, per-workgroup partials), then kernel B (their sum), into the current batch. */
  denseGradients(buf: DenseGradBuffers, p: DenseGradParams): boolean {
    const { n, dims } = p;
    const L = dims.length - 1;
    const sg = this.fixedSubgroupSize();
    const rows = this.denseRows(n, sg);
    const groups = Math.ceil(n / rows);
    const stride = denseLayout(dims, sg).stride;
    const shape = { dims, acts: p.acts, loss: p.loss, sampleWeights: !!buf.sampleWeights, classWeights: !!buf.classWeights };
    const part = this.alloc(groups * stride);
    const k = dims[L];
    const binds: Binding[] = [this.slice(buf.x, 0, n * dims[0]), this.slice(buf.targets, 0, p.loss === 'softmaxCrossEntropy' ? n : n * k)];
    if (buf.sampleWeights) binds.push(this.slice(buf.sampleWeights, 0, n));
    if (buf.classWeights) binds.push(this.slice(buf.classWeights, 0, k));
    let weights = 0;
    buf.layers.forEach(([w, b], l) => {
      binds.push(this.slice(w, 0, dims[l] * dims[l + 1]), this.slice(b, 0, dims[l + 1]));
      weights += dims[l] * dims[l + 1];
    });
    binds.push(this.slice(part, 0, groups * stride));
    const paramsA = new Params(4).u32(n).u32(rows).f32(p.huberDelta).u32(0).bytes;
    this.run(denseGradKey(shape, sg), () => denseGradKernel(shape, sg), binds, paramsA, [groups, 1, 1], 6 * n * weights);
    const sums: Binding[] = [this.slice(part, 0, groups * stride)];
    for (let l = 0; l < L; l++) sums.push(this.slice(buf.dW[l], 0, dims[l] * dims[l + 1]), this.slice(buf.db[l], 0, dims[l + 1]));
    sums.push(this.slice(buf.loss, 0, 1));
    // Adam inside kernel B when its 3 more bindings fit; else the caller steps each tensor after it.
    const fits = !!buf.adam && 2 * L + 5 <= this.device.limits.maxStorageBuffersPerShaderStage;
    const u = fits ? buf.adam : undefined;
    const adam = u && { offsetsW: u.offsetsW, offsetsB: u.offsetsB, decoupled: u.p.decoupled };
    let paramsB = new Params(4).u32(groups).bytes;
    if (u) {
      // the whole parameter buffer: offsets are absolute (they are multiples of 64, as views' are)
      const size = (u.params as WebGpuStorage).bytes / 4;
      sums.push(this.slice(u.params, 0, size), this.slice(u.m, 0, size), this.slice(u.v, 0, size));
      const a = u.p;
      paramsB = new Params(12).u32(groups).u32(0).u32(0).u32(0).f32(a.lr).f32(a.beta1).f32(a.beta2).f32(a.eps).f32(a.weightDecay).f32(1 - a.beta1 ** a.step).f32(1 - a.beta2 ** a.step).f32(0).bytes;
    }
    this.run(denseGradSumKey(dims, sg, p.accumulateLoss, adam), () => denseGradSumKernel(dims, sg, p.accumulateLoss, adam), sums, paramsB, [Math.ceil(stride / 4 / DENSE_SUM_WG), 1, 1], 2 * groups * stride);
    // The queue orders the buffer's next use after these dispatches.
    this.free(part);
    return fits;
  }

  dispatch(kernel: CustomKernel, inputs: unknown[], outputs: unknown[]): void {
    const binds = [...inputs, ...outputs].map((s) => this.slice(s, 0, (s as WebGpuStorage).bytes / 4));
    // A custom kernel's bindings must match its declarations: check before the layout hides a mismatch.
    const declared = (kernel.code.match(/var<storage/g) ?? []).length;
    if (declared !== binds.length) throw new GpuError('BAD_ARGUMENT', `kernel '${kernel.key}' declares ${declared} storage bindings, got ${inputs.length} inputs and ${outputs.length} outputs`, 'dispatch');
    const [x, y = 1, z = 1] = kernel.workgroups;
    this.run(`custom:${kernel.key}`, () => kernel.code, binds, kernel.params, [x, y, z], 0, kernel.entryPoint);
  }

  /** Runs a raw pipeline over raw buffers (ceiling measurements, autotuning). */
  dispatchRaw(key: string, code: () => string, buffers: GPUBuffer[], params: ArrayBuffer | undefined, groups: [number, number, number], cost = 0): void {
    this.run(key, code, buffers.map((buffer) => ({ buffer })), params, groups, cost);
  }

  // ---- submission ---------------------------------------------------------------------

  flush(): void {
    if (!this.encoder) {
      this.closeScope();
      return;
    }
    this.endPass();
    // Only slots first used in this batch are written: repeated params reuse their slot.
    for (const c of this.uniformChunks) {
      if (c.dirtyEnd > c.dirtyStart) this.device.queue.writeBuffer(c.buffer, c.dirtyStart, c.cpu.buffer, c.dirtyStart, c.dirtyEnd - c.dirtyStart);
      c.dirtyStart = UNIFORM_CHUNK;
      c.dirtyEnd = 0;
    }
    if (this.uniformSlots.size >= UNIFORM_MAX_SLOTS) this.resetUniforms();
    this.device.queue.submit([this.encoder.finish()]);
    this.waiter.submitted(this.batchCost, this.batchTopKey, this.batchTopCost, this.batchCompiles);
    this.batchCompiles = false;
    this.batchCost = 0;
    this.batchTopKey = '';
    this.batchTopCost = 0;
    this.submits++;
    this.encoder = null;
    this.closeScope();
  }

  async sync(): Promise<void> {
    this.flush();
    if (!this.lost) {
      await this.waiter.beforeMap();
      try {
        await this.device.queue.onSubmittedWorkDone();
      } finally {
        this.waiter.done();
      }
    }
    await this.checkErrors();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      this.encoder = null;
      this.pass = null;
      this.pool.destroy();
      this.readPool.destroy();
      for (const c of this.uniformChunks) c.buffer.destroy();
      this.device.destroy();
    } catch {
      // already gone
    }
  }

  /** Simulates a device loss (tests); the owning Gpu re-acquires a device. */
  loseDevice(): void {
    this.device.destroy();
  }

  get isLost(): boolean {
    return !!this.lost;
  }

  // ---- internals ----------------------------------------------------------------------

  private enc(): GPUCommandEncoder {
    if (!this.encoder) {
      this.checkAlive();
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private checkAlive(): void {
    if (this.lost) throw new GpuError('DEVICE_LOST', `the device was lost (${this.lost.reason}: ${this.lost.message}); await gpu.ready() for a new one`);
    if (this.destroyed) throw new GpuError('DESTROYED', 'the Gpu was destroyed');
  }

  /**
   * Error scopes cost a device round trip each (60–190 µs a batch on lavapipe), so a batch opens
   * them only when it does something that can newly fail: compile a pipeline, create a buffer,
   * run user WGSL. Steady-state batches (cached pipelines, pooled buffers) run unscoped; an error
   * there still arrives, through the device's uncaptured-error event, and is raised at the next
   * read or sync.
   */
  private openScope(): void {
    this.checkAlive();
    if (this.scopeOpen) return;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.scopeOpen = true;
  }

  private closeScope(): void {
    if (!this.scopeOpen) return;
    this.scopeOpen = false;
    const distinct = [...new Set(this.batchOps)];
    const ops = distinct.length ? distinct.join(', ') : 'allocation or upload';
    this.batchOps = [];
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    this.scopeResults.push(
      Promise.all([validation, oom]).then(
        ([v, o]) => (v ? toGpuError(v, ops) : o ? toGpuError(o, ops) : null),
        () => null,
      ),
    );
  }

  async checkErrors(): Promise<void> {
    this.closeScope();
    const pending = this.scopeResults;
    this.scopeResults = [];
    const errs = (await Promise.all(pending)).filter((e): e is GpuError => !!e);
    errs.push(...this.uncaptured.splice(0));
    if (errs.length) throw errs[0];
  }

  /** The bind group of the uniform slot holding these bytes (one bind group per slot, made once). */
  private uniformSlot(bytes: ArrayBuffer): GPUBindGroup {
    if (bytes.byteLength > UNIFORM_SLOT) throw new GpuError('BAD_ARGUMENT', `a kernel's params must fit ${UNIFORM_SLOT} bytes, got ${bytes.byteLength}`, 'dispatch');
    // The bytes themselves as the key (two per UTF-16 unit): ~1 µs where number formatting took ~10.
    const key = String.fromCharCode.apply(null, new Uint16Array(bytes, 0, bytes.byteLength >> 1) as unknown as number[]);
    const hit = this.uniformSlots.get(key);
    if (hit) return hit;
    let c = this.uniformChunks[this.uniformChunk];
    if (c && c.used + UNIFORM_SLOT > UNIFORM_CHUNK) {
      this.uniformChunk++;
      c = this.uniformChunks[this.uniformChunk];
    }
    if (!c) {
      this.openScope();
      const buffer = this.device.createBuffer({ size: UNIFORM_CHUNK, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      c = { buffer, cpu: new Uint8Array(UNIFORM_CHUNK), used: 0, groups: [], dirtyStart: UNIFORM_CHUNK, dirtyEnd: 0 };
      this.uniformChunks.push(c);
    }
    const offset = c.used;
    c.cpu.fill(0, offset, offset + UNIFORM_SLOT);
    c.cpu.set(new Uint8Array(bytes), offset);
    c.used = offset + UNIFORM_SLOT;
    c.dirtyStart = Math.min(c.dirtyStart, offset);
    c.dirtyEnd = Math.max(c.dirtyEnd, offset + UNIFORM_SLOT);
    const i = offset / UNIFORM_SLOT;
    const group = (c.groups[i] ??= this.device.createBindGroup({ layout: this.cache.uniformLayout, entries: [{ binding: 0, resource: { buffer: c.buffer, offset, size: UNIFORM_SLOT } }] }));
    this.uniformSlots.set(key, group);
    return group;
  }

  /** Forgets every uniform slot; only at a submit boundary, where no recorded command refers to one. */
  private resetUniforms(): void {
    this.uniformSlots.clear();
    for (const c of this.uniformChunks) c.used = 0;
    this.uniformChunk = 0;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) this.bufferIds.set(b, (id = this.nextBufferId++));
    return id;
  }

  /** The group-0 bind group for these ranges, from the cache when the same buffers were bound before. */
  private storageGroup(layout: GPUBindGroupLayout, signature: string, binds: Binding[]): GPUBindGroup {
    let key = signature;
    for (const b of binds) key += `|${this.bufferId(b.buffer)}:${b.offset ?? 0}:${b.size ?? -1}`;
    let g = this.bindGroups.get(key);
    if (!g) {
      if (this.bindGroups.size >= 4096) this.bindGroups.clear();
      g = this.device.createBindGroup({ layout, entries: binds.map((b, i) => ({ binding: i, resource: b })) });
      this.bindGroups.set(key, g);
    }
    return g;
  }

  private run(key: string, code: () => string, binds: Binding[], params: ArrayBuffer | undefined, groups: [number, number, number] | [number, number], cost: number, entryPoint?: string): void {
    this.checkAlive();
    if (!this.cache.has(key)) {
      this.openScope();
      this.batchCompiles = true;
    } else if (key.startsWith('custom:')) this.openScope();
    const cp = this.cache.get(key, code, entryPoint);
    checkUsage(key, cp.signature, binds);
    const group = this.storageGroup(cp.storageLayout, cp.signature, binds);
    const uniform = cp.hasUniform ? this.uniformSlot(params ?? new ArrayBuffer(16)) : undefined;
    this.enc();
    if (!this.pass) {
      this.pass = this.encoder!.beginComputePass();
      this.passPipeline = undefined;
    }
    // setPipeline is a native call of several µs: skip it when the pipeline is unchanged.
    if (this.passPipeline !== cp.pipeline) this.pass.setPipeline(cp.pipeline);
    this.passPipeline = cp.pipeline;
    this.pass.setBindGroup(0, group);
    if (uniform) this.pass.setBindGroup(1, uniform);
    this.pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    this.dispatches++;
    this.batchCost += cost;
    if (cost > this.batchTopCost) {
      this.batchTopCost = cost;
      this.batchTopKey = key;
    }
    this.batchOps.push(key.split(':')[0]);
  }

  /** A binding of `n` elements of `s` from element `base` (base·4 must be 256-aligned when non-zero). */
  private slice(s: unknown, base: number, n: number): Binding {
    const st = s as WebGpuStorage;
    return { buffer: st.buffer, offset: st.offset + base * 4, size: Math.max(4, n * 4) };
  }

  private chunked1d(size: number, fn: (base: number, n: number) => void): void {
    const maxElems = Math.floor(this.maxBindingBytes / 4 / 64) * 64;
    for (let base = 0; base < size; base += maxElems) fn(base, Math.min(maxElems, size - base));
  }

  /** A binding of `n` elements from element `base`, starting at the 256-byte boundary at or below it; `shift` is base's offset inside it. */
  private aligned(s: unknown, base: number, n: number): { binding: Binding; shift: number } {
    const start = Math.floor(base / 64) * 64;
    const shift = base - start;
    return { binding: this.slice(s, start, n + shift), shift };
  }

  private chunkedRows(rows: number, cols: number, op: string, fn: (r0: number, n: number) => void): void {
    const maxElems = this.maxBindingBytes / 4;
    if (rows * cols <= maxElems) return fn(0, rows);
    const per = Math.floor((maxElems - 64) / cols);
    if (per < 1) throw this.tooLarge(op, 'a', rows, cols);
    for (let r0 = 0; r0 < rows; r0 += per) fn(r0, Math.min(per, rows - r0));
  }

  private checkFits(op: string, arg: string, elems: number): void {
    if (elems * 4 > this.maxBindingBytes) throw new GpuError('BAD_ARGUMENT', `${arg} of ${elems} elements exceeds the binding limit of ${this.maxBindingBytes} bytes for this op; split it`, op);
  }

  private tooLarge(op: string, arg: string, r: number, c: number): GpuError {
    return new GpuError('BAD_ARGUMENT', `${arg} [${r}, ${c}] cannot be chunked under the binding limit of ${this.maxBindingBytes} bytes`, op);
  }
}

/**
 * WebGPU tracks usage per buffer, not per range: one dispatch may not read a buffer that it also
 * writes, even where the ranges differ (views of one base). Say so by name before Dawn's
 * validation error would, at submit, without the op.
 */
function checkUsage(key: string, signature: string, binds: Binding[]): void {
  for (let i = 0; i < signature.length; i++) {
    if (signature[i] !== 'w') continue;
    for (let j = 0; j < signature.length; j++) {
      if (signature[j] === 'r' && binds[j].buffer === binds[i].buffer) {
        throw new GpuError('BAD_ARGUMENT', `${key.split(':')[0]} would read and write the same buffer in one dispatch (an input and an output are views of one tensor, or the same tensor); WebGPU forbids this: give the output its own tensor`, key.split(':')[0]);
      }
    }
  }
}

export function toGpuError(e: GPUError, ops: string): GpuError {
  const isOom = (e as { constructor?: { name?: string } }).constructor?.name === 'GPUOutOfMemoryError' || /out of memory|OutOfMemory/i.test(e.message);
  return new GpuError(isOom ? 'OUT_OF_MEMORY' : 'VALIDATION', `${isOom ? 'out of memory' : 'WebGPU validation error'} in [${ops}]: ${e.message}`);
}

/**
 * Installs Dawn's WebGPU globals (GPUBufferUsage, …) and `navigator.gpu` on globalThis, sharing
 * Gantry's Dawn instance, so that browser-style WebGPU libraries (tfjs-backend-webgpu) run in
 * Node on the same adapter. Call it before importing such a library.
 */
export function installWebGpuGlobals(): GPU {
  const gpu = dawn();
  Object.assign(globalThis, webgpuGlobals);
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (!nav?.gpu) Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu, userAgent: 'node' }, configurable: true, writable: true });
  return gpu;
}
