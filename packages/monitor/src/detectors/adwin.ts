import { requireOption } from '../validate.js';

const MAX_BUCKETS = 5;

/** A row of the exponential histogram: up to MAX_BUCKETS + 1 buckets of 2^row items each. */
class BucketRow {
  total = new Float64Array(MAX_BUCKETS + 1);
  variance = new Float64Array(MAX_BUCKETS + 1);
  size = 0;
  insert(total: number, variance: number): void {
    this.total[this.size] = total;
    this.variance[this.size] = variance;
    this.size++;
  }
  compress(k: number): void {
    const len = this.total.length;
    for (let i = k; i < len; i++) {
      this.total[i - k] = this.total[i];
      this.variance[i - k] = this.variance[i];
    }
    for (let i = len - k; i < len; i++) {
      this.total[i] = 0;
      this.variance[i] = 0;
    }
    this.size -= k;
  }
}

export interface AdwinOptions {
  /** Confidence δ (River default 0.002). */
  delta?: number;
  /** Check for change every `clock` updates (River: 32). */
  clock?: number;
  /** Minimum length of each sub-window (River: 5). */
  minWindowLength?: number;
  /** Updates before the first check (River: 10). */
  gracePeriod?: number;
}

/**
 * ADWIN, adaptive windowing (Bifet & Gavaldà 2007, "Learning from Time-Changing Data with
 * Adaptive Windowing"), ported line by line from River's `drift.ADWIN` (adwin_c.pyx) with its
 * defaults: δ = 0.002, clock 32, 5 buckets per row, minimum sub-window 5, grace period 10.
 * `update(x)` returns `this`; `driftDetected` is true on the update where the window was cut.
 */
export class ADWIN {
  readonly delta: number;
  readonly clock: number;
  readonly minWindowLength: number;
  readonly gracePeriod: number;
  private rows: BucketRow[] = [new BucketRow()];
  private total = 0;
  private variance = 0;
  /** Items in the current window. */
  width = 0;
  private tick = 0;
  nDetections = 0;
  driftDetected = false;

  constructor(options: AdwinOptions = {}) {
    this.delta = options.delta ?? 0.002;
    this.clock = options.clock ?? 32;
    this.minWindowLength = options.minWindowLength ?? 5;
    this.gracePeriod = options.gracePeriod ?? 10;
    requireOption('ADWIN', 'delta', this.delta > 0 && this.delta < 1, 'in (0, 1)', this.delta);
    requireOption('ADWIN', 'clock', Number.isInteger(this.clock) && this.clock >= 1, 'an integer ≥ 1', this.clock);
  }

  /** Mean of the current window. */
  get estimation(): number {
    return this.width > 0 ? this.total / this.width : 0;
  }

  update(x: number): this {
    requireOption('ADWIN.update', 'x', Number.isFinite(x), 'a finite number', x);
    this.insert(x);
    this.driftDetected = this.detectChange();
    return this;
  }

  private insert(value: number): void {
    this.rows[0].insert(value, 0);
    this.width += 1;
    if (this.width > 1) {
      const d = value - this.total / (this.width - 1);
      this.variance += ((this.width - 1) * d * d) / this.width;
    }
    this.total += value;
    this.compressBuckets();
  }

  private compressBuckets(): void {
    let idx = 0;
    let row: BucketRow | undefined = this.rows[0];
    while (row) {
      if (row.size === MAX_BUCKETS + 1) {
        let next = this.rows[idx + 1];
        if (!next) {
          next = new BucketRow();
          this.rows.push(next);
        }
        const n1 = 2 ** idx;
        const mu1 = row.total[0] / n1;
        const mu2 = row.total[1] / n1;
        const temp = (n1 * n1 * (mu1 - mu2) * (mu1 - mu2)) / (n1 + n1);
        next.insert(row.total[0] + row.total[1], row.variance[0] + row.variance[1] + temp);
        row.compress(2);
        if (next.size <= MAX_BUCKETS) break;
      } else break;
      row = this.rows[idx + 1];
      idx++;
    }
  }

  private deleteElement(): number {
    const idx = this.rows.length - 1;
    const row = this.rows[idx];
    const n = 2 ** idx;
    const u = row.total[0];
    const mu = u / n;
    const v = row.variance[0];
    this.width -= n;
    this.total -= u;
    const muWindow = this.total / this.width;
    this.variance -= v + (n * this.width * (mu - muWindow) * (mu - muWindow)) / (n + this.width);
    row.compress(1);
    if (row.size === 0) this.rows.pop();
    return n;
  }

  private evaluateCut(n0: number, n1: number, deltaMean: number): boolean {
    const deltaPrime = Math.log((2 * Math.log(this.width)) / this.delta);
    const mRecip = 1 / (n0 - this.minWindowLength + 1) + 1 / (n1 - this.minWindowLength + 1);
    const eps = Math.sqrt(2 * mRecip * (this.variance / this.width) * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
    return Math.abs(deltaMean) > eps;
  }

  private detectChange(): boolean {
    let changed = false;
    this.tick++;
    if (this.tick % this.clock === 0 && this.width > this.gracePeriod) {
      let reduce = true;
      while (reduce) {
        reduce = false;
        let exit = false;
        let n0 = 0;
        let n1 = this.width;
        let u0 = 0;
        let u1 = this.total;
        for (let idx = this.rows.length - 1; idx >= 0 && !exit; idx--) {
          const row = this.rows[idx];
          for (let k = 0; k < row.size - 1; k++) {
            const n2 = 2 ** idx;
            n0 += n2;
            n1 -= n2;
            u0 += row.total[k];
            u1 -= row.total[k];
            if (idx === 0 && k === row.size - 1) {
              exit = true;
              break;
            }
            if (n1 >= this.minWindowLength && n0 >= this.minWindowLength && this.evaluateCut(n0, n1, u0 / n0 - u1 / n1)) {
              reduce = true;
              changed = true;
              if (this.width > 0) {
                n0 -= this.deleteElement();
                exit = true;
                break;
              }
            }
          }
        }
      }
    }
    if (changed) this.nDetections++;
    return changed;
  }
}
