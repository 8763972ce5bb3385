/**
 * Float32Arrays handed back by a consumer that is done with a batch (`DataLoader.recycle`), for
 * the loader to fill again instead of allocating. A fresh 128 KB array per batch costs the
 * consumer's thread garbage collection (V8 collects to release their memory) and page faults;
 * a consumer that uploads each batch at once (a training loop) needs none of them.
 */
/** Whether `a` owns its whole (non-shared) buffer, so that it can be reused or moved. */
export function ownsBuffer(a: Float32Array | undefined): a is Float32Array {
  return !!a && a.length > 0 && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer;
}

export class BufferRecycler {
  private free = new Map<number, Float32Array[]>();

  constructor(private readonly perLength = 8) {}

  /** Keeps `a` for reuse when it owns its whole buffer (not a view into a larger one). */
  give(a: Float32Array | undefined): void {
    if (!ownsBuffer(a)) return;
    let list = this.free.get(a.length);
    if (!list) this.free.set(a.length, (list = []));
    if (list.length < this.perLength && !list.includes(a)) list.push(a);
  }

  /** A copy of `src`, into a recycled array of its length when there is one. */
  copy(src: Float32Array): Float32Array {
    const a = this.free.get(src.length)?.pop();
    if (!a) return src.slice();
    a.set(src);
    return a;
  }
}
