import { GpuError } from './errors.js';
import { fmtShape, numel, type Shape } from './shape.js';
import type { Gpu } from './gpu.js';

/**
 * An f32 tensor that lives on its Gpu's backend (a pooled GPUBuffer on `webgpu`, a Float32Array
 * on `cpu`). Ops on the same Gpu chain without reading back; `read()` is the only readback.
 */
export class Tensor {
  /** Backend storage; undefined once disposed. */
  storage: unknown;
  readonly size: number;
  private disposed = false;

  constructor(
    readonly gpu: Gpu,
    readonly shape: Shape,
    storage: unknown,
    /** The tensor whose memory this one views (`gpu.view`); it lives only as long as that one. */
    readonly base?: Tensor,
    /** Where a view starts in `base`, in elements. */
    readonly offset = 0,
  ) {
    this.storage = storage;
    this.size = numel(shape);
  }

  get isDisposed(): boolean {
    return this.disposed || !!this.base?.isDisposed;
  }

  /** Copies the tensor to the host (waits for all queued work that produces it). */
  read(): Promise<Float32Array> {
    return this.gpu.read(this);
  }

  /** Returns the storage to the pool. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gpu._release(this);
    // views live no longer than their base
    if (this.views) for (const v of this.views) v.dispose();
    this.views = undefined;
  }

  /** @internal the views made of this tensor (gpu.view), disposed with it. */
  views?: Set<Tensor>;

  /** Marks this tensor to survive the enclosing `gpu.scope` (like tf.keep). */
  keep(): this {
    this.gpu._keep(this);
    return this;
  }

  toString(): string {
    return `Tensor${fmtShape(this.shape)}${this.disposed ? ' (disposed)' : ''}`;
  }

  /** @internal throws a typed error when the tensor cannot be used by `op`. */
  _check(op: string, arg: string, gpu: Gpu): void {
    if (this.disposed) throw new GpuError('DISPOSED', `${arg} ${fmtShape(this.shape)} was disposed`, op);
    if (this.base?.isDisposed) throw new GpuError('DISPOSED', `${arg} ${fmtShape(this.shape)} is a view of a tensor that was disposed`, op);
    if (this.gpu !== gpu) throw new GpuError('WRONG_GPU', `${arg} ${fmtShape(this.shape)} belongs to another Gpu`, op);
  }
}
