/**
 * Waiting for the device without burning a core. dawn.node resolves GPU promises by polling
 * the device from the main thread; on lavapipe that poller competes with the driver's own
 * threads for the same two cores. The waiter predicts how long the submitted work takes (units
 * of work: flops + bytes, times ns per unit) and sleeps on a timer for most of that time before
 * the caller starts the polled wait.
 *
 * Oversleeping costs latency, polling only CPU, so the prediction is a lower bound: the rate is
 * the fastest one seen over the recent samples (kernels differ in efficiency: a well-tiled
 * matmul runs several times more units per second than a skinny one).
 */
export class Waiter {
  private samples: number[] = [];
  private pendingUnits = 0;
  private since = 0;

  constructor(
    private readonly fraction = 0.85,
    private readonly minSleepMs = 1,
    private readonly window = 32,
  ) {}

  submitted(units: number): void {
    if (this.pendingUnits === 0) this.since = performance.now();
    this.pendingUnits += units;
  }

  /** ns per unit used for predictions: the fastest recent sample (0 before any). */
  get estimateNsPerUnit(): number {
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
    if (this.pendingUnits > 1e6 && elapsedNs > 2e6) {
      this.samples.push(elapsedNs / this.pendingUnits);
      if (this.samples.length > this.window) this.samples.shift();
    }
    this.pendingUnits = 0;
  }
}
