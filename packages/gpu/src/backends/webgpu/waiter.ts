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
/** What one read or sync waits for: the work submitted before it (cumulative units). */
export interface WaitTicket {
  upTo: number;
}

export class Waiter {
  private samples: number[] = [];
  private bySignature = new Map<string, number[]>();
  /** Units submitted, and units known complete, since this Waiter was made. */
  private submittedUnits = 0;
  private doneUnits = 0;
  /** When the device started on the work past doneUnits. */
  private since = 0;
  private signature = '';
  private signatureUnits = 0;
  private tainted = false;

  constructor(
    private readonly fraction = 0.9,
    private readonly minSleepMs = 1,
    private readonly window = 32,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Records a submit of `units` of work whose costliest kernel is `signature`. `compiles` marks a
   * batch that runs a pipeline for the first time: lavapipe compiles it then, so its time says
   * nothing about the rate.
   */
  submitted(units: number, signature = '', signatureUnits = 0, compiles = false): void {
    if (this.submittedUnits === this.doneUnits) {
      this.since = this.now();
      this.signature = '';
      this.signatureUnits = 0;
      this.tainted = false;
    }
    this.submittedUnits += units;
    this.tainted ||= compiles;
    if (signatureUnits > this.signatureUnits) {
      this.signature = signature;
      this.signatureUnits = signatureUnits;
    }
  }

  /**
   * The work submitted so far, which a read or sync issued now waits for. Reads may overlap with
   * later submits (a training loop reads its loss while it queues the next steps): a ticket
   * counts only what came before it, so later work neither lengthens its prediction nor skews
   * the rate it teaches.
   */
  ticket(): WaitTicket {
    return { upTo: this.submittedUnits };
  }

  private outstanding(t: WaitTicket): number {
    return Math.max(0, t.upTo - this.doneUnits);
  }

  private key(units: number): string {
    return `${this.signature}|${Math.round(Math.log2(Math.max(1, units)))}`;
  }

  /** ns per unit for a wait on `units`: the fastest recent sample for its signature, else of all (0 before any). */
  estimateNsPerUnit(units = this.submittedUnits - this.doneUnits): number {
    const own = this.bySignature.get(this.key(units));
    if (own?.length) return Math.min(...own);
    return this.samples.length ? Math.min(...this.samples) : 0;
  }

  /** How long to sleep before polling for `t`: most of its predicted remaining time, or 0. */
  sleepMs(t: WaitTicket): number {
    const units = this.outstanding(t);
    const rate = units ? this.estimateNsPerUnit(units) : 0;
    if (rate === 0) return 0;
    const remaining = ((units * rate) / 1e6) * this.fraction - (this.now() - this.since);
    return remaining >= this.minSleepMs ? remaining : 0;
  }

  /** Sleeps until the work before `t` is predicted to be nearly done. */
  async beforeMap(t: WaitTicket = this.ticket()): Promise<void> {
    const ms = this.sleepMs(t);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Called when the polled wait for `t` returned: learns the rate from its work. Small batches
   * say more about latency than about speed, and work that sat unawaited (the host busy
   * elsewhere) only gives an upper bound, which a min over samples ignores safely. A ticket
   * older than one already done teaches nothing.
   */
  done(t: WaitTicket = this.ticket()): void {
    const units = t.upTo - this.doneUnits;
    if (units <= 0) return;
    const elapsedNs = (this.now() - this.since) * 1e6;
    if (units > 1e6 && elapsedNs > 2e6 && !this.tainted) {
      const rate = elapsedNs / units;
      const key = this.key(units);
      let own = this.bySignature.get(key);
      if (!own) this.bySignature.set(key, (own = []));
      for (const list of [this.samples, own]) {
        list.push(rate);
        if (list.length > this.window) list.shift();
      }
    }
    this.doneUnits = t.upTo;
    // the device goes on with what was submitted after t from now
    this.since = this.now();
  }
}
