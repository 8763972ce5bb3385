/**
 * The hand-off between one loader worker and the main thread: a ring of batch slots in shared
 * memory. The worker writes a batch's x and y into the next free slot and publishes it; the
 * main thread, when its consumer asks for a batch, copies the slot out (into an array the
 * consumer recycled, or a fresh one) and frees the slot. The slots are also the backpressure:
 * a worker is at most `slots` batches ahead, and waits for a free slot (or its run's
 * cancellation) beyond that.
 *
 * Why not a message per batch (buffers transferred): measured here, receiving one cost the main
 * thread 40–70 µs (its event loop wakes, the message is deserialised, and the transferred
 * buffers' memory is collected later), and the worker ~37 µs to post it. A 64 KB copy out of a
 * slot costs 6 µs (recycled array) to 17 µs (fresh), and the main thread is never woken while
 * its consumer works (bench/NOTES.md, "data").
 *
 * Anything else (batches with passthrough columns or a transform's other shapes, epoch ends
 * with their stats and tail) still goes by message; it takes a slot too, a marker, so that the
 * main thread sees every item in the worker's order.
 */

export interface SlotRingInit {
  buffer: SharedArrayBuffer;
  slots: number;
  /** f32 capacity of each slot's x and y. */
  xCap: number;
  yCap: number;
}

// control words (Int32)
const WRITTEN = 0; // items published by the worker, ever
const READ = 1; // items the main thread has freed, ever
const CANCELLED = 2; // the highest run id the main thread has cancelled
const W_SIGNAL = 3; // bumped on every free and cancel: what a waiting worker waits on
const W_WAITING = 4; // while the worker waits: the free slots it waits for (0: not waiting)
const R_WAITING = 5; // main-thread waits under way (a count: a stale wait may end after a new one began)
const CTL_BYTES = 64;

// slot header (Int32)
const H_RUN = 0;
const H_KIND = 1;
const H_N = 2;
const H_XLEN = 3;
const H_YLEN = 4;
const HDR_BYTES = 64;

export const SLOT_BATCH = 1;
/** The item is the worker's next message (already posted). */
export const SLOT_MESSAGE = 2;

const align = (v: number) => Math.ceil(v / 64) * 64;
const slotBytes = (xCap: number, yCap: number) => align(HDR_BYTES + 4 * xCap + 4 * yCap);

export function createSlotRing(slots: number, xCap: number, yCap: number): SlotRingInit {
  return { buffer: new SharedArrayBuffer(CTL_BYTES + slots * slotBytes(xCap, yCap)), slots, xCap, yCap };
}

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

class SlotRing {
  protected readonly ctl: Int32Array;
  protected readonly f32: Float32Array;
  protected readonly i32: Int32Array;
  protected readonly stride: number;

  constructor(readonly init: SlotRingInit) {
    this.ctl = new Int32Array(init.buffer, 0, CTL_BYTES / 4);
    this.f32 = new Float32Array(init.buffer);
    this.i32 = new Int32Array(init.buffer);
    this.stride = slotBytes(init.xCap, init.yCap) / 4;
  }

  /** Word offset of item `seq`'s slot. */
  protected slot(seq: number): number {
    return CTL_BYTES / 4 + (seq % this.init.slots) * this.stride;
  }
}

/** The worker's end. */
export class SlotWriter extends SlotRing {
  // a persistent worker gets the ring again with each run: continue its count
  private written = Atomics.load(this.ctl, WRITTEN);

  /**
   * Resolves once a slot is free; false once run `run` is cancelled. Waits with
   * Atomics.waitAsync, not a blocking wait: the worker's event loop keeps turning (its
   * messages, V8's idle-time garbage collection).
   */
  async acquire(run: number): Promise<boolean> {
    const { ctl } = this;
    const slots = this.init.slots;
    for (;;) {
      const signal = Atomics.load(ctl, W_SIGNAL);
      if (Atomics.load(ctl, CANCELLED) >= run) return false;
      if (this.written - Atomics.load(ctl, READ) < slots) return true;
      // Full: wait until half the ring is free, then fill it in one go. One wake-up per
      // slots/2 batches instead of one per batch (each costs both threads ~10–50 µs here).
      Atomics.store(ctl, W_WAITING, Math.max(1, slots >> 1));
      // re-check after announcing the wait: a free in between either bumped W_SIGNAL (the wait
      // returns at once) or saw W_WAITING and will notify
      if (Atomics.load(ctl, W_SIGNAL) === signal) {
        const w = waitAsync(ctl, W_SIGNAL, signal);
        if (w.async) await w.value;
      }
      Atomics.store(ctl, W_WAITING, 0);
    }
  }

  /** Whether a batch of these arrays fits a slot. */
  fits(x: Float32Array, y: Float32Array): boolean {
    return x.length <= this.init.xCap && y.length <= this.init.yCap;
  }

  /** Writes a batch into the acquired slot and publishes it. */
  publishBatch(run: number, n: number, x: Float32Array, y: Float32Array): void {
    const o = this.slot(this.written);
    const { i32 } = this;
    i32[o + H_RUN] = run;
    i32[o + H_KIND] = SLOT_BATCH;
    i32[o + H_N] = n;
    i32[o + H_XLEN] = x.length;
    i32[o + H_YLEN] = y.length;
    const xo = o + HDR_BYTES / 4;
    this.f32.set(x, xo);
    this.f32.set(y, xo + this.init.xCap);
    this.publish();
  }

  /** Publishes a marker for the message just posted. */
  publishMessage(run: number): void {
    const o = this.slot(this.written);
    this.i32[o + H_RUN] = run;
    this.i32[o + H_KIND] = SLOT_MESSAGE;
    this.publish();
  }

  private publish(): void {
    this.written++;
    Atomics.store(this.ctl, WRITTEN, this.written);
    if (Atomics.load(this.ctl, R_WAITING)) Atomics.notify(this.ctl, WRITTEN);
  }
}

export interface SlotItem {
  run: number;
  kind: number;
  n: number;
}

/** The main thread's end. */
export class SlotReader extends SlotRing {
  private read = Atomics.load(this.ctl, READ);

  /** The next published item's header, if there is one. */
  peek(): SlotItem | undefined {
    if (Atomics.load(this.ctl, WRITTEN) === this.read) return undefined;
    const o = this.slot(this.read);
    return { run: this.i32[o + H_RUN], kind: this.i32[o + H_KIND], n: this.i32[o + H_N] };
  }

  /** The next item's x and y, as views of its slot (valid until `free`). */
  views(): { x: Float32Array; y: Float32Array } {
    const o = this.slot(this.read);
    const xo = o + HDR_BYTES / 4;
    const x = this.f32.subarray(xo, xo + this.i32[o + H_XLEN]);
    const y = this.f32.subarray(xo + this.init.xCap, xo + this.init.xCap + this.i32[o + H_YLEN]);
    return { x, y };
  }

  /**
   * Frees the next item's slot. The worker's wake-up, if it waits, is deferred to `flush()`
   * unless the ring is about to run dry: a futex wake costs the caller 10–300 µs on this VM,
   * and the caller is the consumer's thread between two of its steps.
   */
  free(): void {
    this.read++;
    Atomics.store(this.ctl, READ, this.read);
    Atomics.add(this.ctl, W_SIGNAL, 1);
    if (Atomics.load(this.ctl, WRITTEN) - this.read <= 1) this.flush();
  }

  /** Wakes the worker if it waits and enough slots are free (see `free`). */
  flush(): void {
    const { ctl } = this;
    const need = Atomics.load(ctl, W_WAITING);
    if (need && this.init.slots - (Atomics.load(ctl, WRITTEN) - this.read) >= need) Atomics.notify(ctl, W_SIGNAL);
  }

  /** Frees every published item's slot. */
  drain(): void {
    while (this.peek()) this.free();
  }

  /** Makes the worker stop run `run` at its next batch (it wakes if waiting). */
  cancel(run: number): void {
    Atomics.store(this.ctl, CANCELLED, run);
    Atomics.add(this.ctl, W_SIGNAL, 1);
    Atomics.notify(this.ctl, W_SIGNAL);
  }

  /**
   * Resolves when an item may have been published since `peek` found none (or at once if one
   * has). `wake()` resolves it too.
   */
  async wait(): Promise<void> {
    const { ctl } = this;
    this.flush();
    Atomics.add(ctl, R_WAITING, 1);
    try {
      if (Atomics.load(ctl, WRITTEN) !== this.read) return;
      const w = waitAsync(ctl, WRITTEN, this.read);
      if (w.async) await w.value;
    } finally {
      Atomics.sub(ctl, R_WAITING, 1);
    }
  }

  /** Resolves a pending `wait` (a message arrived, the pool failed or closed). */
  wake(): void {
    Atomics.notify(this.ctl, WRITTEN);
  }
}
