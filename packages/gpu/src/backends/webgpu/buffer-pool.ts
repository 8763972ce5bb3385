/**
 * Pools GPUBuffers by size class so a training loop allocates nothing after its first step.
 * Size classes are powers of two split in quarters (at most 25% waste); released buffers wait
 * in a free list per class and are destroyed when the pool exceeds its byte budget.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  const p = 2 ** Math.floor(Math.log2(b));
  if (p === b) return b;
  const q = p / 4;
  return Math.min(2 * p, Math.ceil(b / q) * q);
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private freeBytes = 0;
  /** Buffers currently handed out, and their bytes (for gpu.memory()). */
  liveBuffers = 0;
  liveBytes = 0;

  constructor(
    private device: GPUDevice,
    private usage: number,
    private maxFreeBytes = 512 * 1024 * 1024,
  ) {}

  /** Whether acquire(bytes) would reuse a pooled buffer rather than create one. */
  hasFree(bytes: number): boolean {
    return (this.free.get(sizeClass(bytes))?.length ?? 0) > 0;
  }

  acquire(bytes: number): GPUBuffer {
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    let buf = list?.pop();
    if (buf) this.freeBytes -= cls;
    else buf = this.device.createBuffer({ size: cls, usage: this.usage });
    this.liveBuffers++;
    this.liveBytes += cls;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const cls = buf.size;
    this.liveBuffers--;
    this.liveBytes -= cls;
    if (this.freeBytes + cls > this.maxFreeBytes) {
      buf.destroy();
      return;
    }
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(buf);
    this.freeBytes += cls;
  }

  get pooledBytes(): number {
    return this.freeBytes;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeBytes = 0;
  }
}
