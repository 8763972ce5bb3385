/**
 * Waiting for the device without burning a core. dawn.node resolves GPU promises by polling
 * the device from the main thread; on lavapipe that poller competes with the driver's own
 * threads for the same two cores. The waiter predicts how long the submitted work takes (units
 * of work: flops + bytes, times ns per unit) and sleeps on a timer for most of that time before
 * the caller starts the polled wait.
 *
 * Kernels differ in efficiency (a well-tiled matmul runs several times more units per second
 * than a skinny one), so rates are learnt per batch signature (the costliest kernel and the
 * size class of the batch). Oversleeping costs latency and polling only CPU, so a prediction is
 * a lower bound: the fastest recent rate of that signature, else the fastest of all.
 */
export class Waiter {
  private samples: number[] = [];
  private bySignature = new Map<string, number[]>();
  private pendingUnits = 0;
  private since = 0;
  private signature = '';
  private signatureUnits = 0;
  private tainted = false;

  constructor(
    private readonly fraction = 0.9,
    private readonly minSleepMs = 1,
    private readonly window = 32,
  ) {}

  /**
   * Records a submit of `units` of work whose costliest kernel is `signature`. `compiles` marks a
   * batch that runs a pipeline for the first time: lavapipe compiles it then, so its time says
   * nothing about the rate.
   */
  submitted(units: number, signature = '', signatureUnits = 0, compiles = false): void {
    if (this.pendingUnits === 0) {
      this.since = performance.now();
      this.signature = '';
      this.signatureUnits = 0;
      this.tainted = false;
    }
    this.pendingUnits += units;
    this.tainted ||= compiles;
    if (signatureUnits > this.signatureUnits) {
      this.signature = signature;
      this.signatureUnits = signatureUnits;
    }
  }

  private key(): string {
    return `${this.signature}|${Math.round(Math.log2(Math.max(1, this.pendingUnits)))}`;
  }

  /** ns per unit used for predictions: the fastest recent sample for this signature, else of all (0 before any). */
  get estimateNsPerUnit(): number {
    const own = this.bySignature.get(this.key());
    if (own?.length) return Math.min(...own);
    return this.samples.length ? Math.min(...this.samples) : 0;
  }

  /** Sleeps until the submitted work is predicted to be nearly done. */
  async beforeMap(): Promise<void> {
    const rate = this.estimateNsPerUnit;
    if (rate === 0 || this.pendingUnits === 0) return;
    const predictedMs = (this.pendingUnits * rate) / 1e6;
    const remaining = predictedMs * this.fraction - (performance.now() - this.since);
    if (remaining >= this.minSleepMs) await new Promise((r) => setTimeout(r, remaining));
  }

  /**
   * Called when the polled wait returned: learns the rate from this batch. Small batches say
   * more about latency than about speed, and a batch that sat unawaited (the host busy
   * elsewhere) only gives an upper bound, which a min over samples ignores safely.
   */
  done(): void {
    const elapsedNs = (performance.now() - this.since) * 1e6;
    if (this.pendingUnits > 1e6 && elapsedNs > 2e6 && !this.tainted) {
      const rate = elapsedNs / this.pendingUnits;
      const key = this.key();
      let own = this.bySignature.get(key);
      if (!own) this.bySignature.set(key, (own = []));
      for (const list of [this.samples, own]) {
        list.push(rate);
        if (list.length > this.window) list.shift();
      }
    }
    this.pendingUnits = 0;
  }
}
