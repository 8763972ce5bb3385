/**
 * Waiting for the device without burning a core. dawn.node resolves GPU promises by polling
 * the device from the main thread; on lavapipe that poller competes with the driver's own
 * threads for the same two cores. The waiter keeps an estimate of the device's speed (ns per
 * unit of submitted work: flops + bytes) and sleeps on a timer for most of the expected time
 * before the caller starts the polled wait.
 */
export class Waiter {
  private nsPerUnit = 0;
  private pendingUnits = 0;
  private since = 0;
  /** Fraction of the predicted time slept before polling. */
  constructor(private readonly fraction = 0.85, private readonly minSleepMs = 1) {}

  submitted(units: number): void {
    if (this.pendingUnits === 0) this.since = performance.now();
    this.pendingUnits += units;
  }

  /** Sleeps until the submitted work is predicted to be nearly done. */
  async beforeMap(): Promise<void> {
    if (this.nsPerUnit === 0 || this.pendingUnits === 0) return;
    const predictedMs = (this.pendingUnits * this.nsPerUnit) / 1e6;
    const remaining = predictedMs * this.fraction - (performance.now() - this.since);
    if (remaining >= this.minSleepMs) await new Promise((r) => setTimeout(r, remaining));
  }

  /** Called when the polled wait returned: learns the speed from this batch. */
  done(): void {
    const elapsedNs = (performance.now() - this.since) * 1e6;
    // Small batches say more about latency than about speed.
    if (this.pendingUnits > 1e6 && elapsedNs > 2e6) {
      const sample = elapsedNs / this.pendingUnits;
      this.nsPerUnit = this.nsPerUnit === 0 ? sample : 0.7 * this.nsPerUnit + 0.3 * sample;
    }
    this.pendingUnits = 0;
  }

  get estimateNsPerUnit(): number {
    return this.nsPerUnit;
  }
}
