/**
 * The backpressure between one loader worker and the main thread, in shared memory: the worker
 * may be at most `limit` batches ahead of what the main thread's consumer has taken. A worker
 * that is that far ahead waits until a batch is taken or its run is cancelled.
 *
 * Why not credit messages: a message to the worker costs it a turn of its event loop per batch,
 * and a blocked wait needs no polling. Why the batch itself still goes by message, buffers
 * transferred: measured here, copying batches through shared memory instead cost the main
 * thread ~35 µs a batch and the overlap ratio worsened (1.46–1.68 vs 1.27–1.34; bench/NOTES.md).
 */

export interface CreditInit {
  control: SharedArrayBuffer;
  limit: number;
}

// control words
const TAKEN = 0; // batches the main thread has taken (or dropped), ever
const CANCELLED = 1; // the highest run id the main thread has cancelled
const SIGNAL = 2; // bumped on every take and cancel: what a blocked worker waits on
const WAITING = 3; // 1 while the worker is (about to be) blocked: only then is a wake-up needed

export function createCredits(limit: number): CreditInit {
  return { control: new SharedArrayBuffer(16), limit };
}

/** The worker's end. */
export class CreditWriter {
  private readonly ctl: Int32Array;
  private sent = 0;

  constructor(readonly init: CreditInit) {
    this.ctl = new Int32Array(init.control);
  }

  /**
   * Resolves once another batch may be sent; false once run `run` is cancelled. Waits with
   * Atomics.waitAsync, not a blocking wait: the worker's event loop keeps turning, so V8's idle
   * tasks (garbage collection among them) still run while it is ahead.
   */
  async acquire(run: number): Promise<boolean> {
    const { ctl } = this;
    for (;;) {
      const signal = Atomics.load(ctl, SIGNAL);
      if (Atomics.load(ctl, CANCELLED) >= run) return false;
      if (this.sent - Atomics.load(ctl, TAKEN) < this.init.limit) {
        this.sent++;
        return true;
      }
      Atomics.store(ctl, WAITING, 1);
      // re-check after announcing the wait: a take in between either bumped SIGNAL (the wait
      // returns at once) or saw WAITING and will notify
      if (Atomics.load(ctl, SIGNAL) === signal) {
        const w = waitAsync(ctl, SIGNAL, signal);
        if (w.async) await w.value;
      }
      Atomics.store(ctl, WAITING, 0);
    }
  }
}

const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/** The main thread's end: one `taken()` for every batch the worker sent. */
export class CreditReader {
  private readonly ctl: Int32Array;

  constructor(readonly init: CreditInit) {
    this.ctl = new Int32Array(init.control);
  }

  taken(): void {
    Atomics.add(this.ctl, TAKEN, 1);
    this.signal();
  }

  /** Makes the worker stop run `run` at its next batch (it wakes if blocked). */
  cancel(run: number): void {
    Atomics.store(this.ctl, CANCELLED, run);
    this.signal();
  }

  private signal(): void {
    Atomics.add(this.ctl, SIGNAL, 1);
    // a futex wake costs ~10 µs here; skip it while the worker is busy
    if (Atomics.load(this.ctl, WAITING)) Atomics.notify(this.ctl, SIGNAL);
  }
}
