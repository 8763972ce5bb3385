import { requireOption } from '../validate.js';

export interface DdmOptions {
  /** Samples before change can be detected (River: 30). */
  warmStart?: number;
  /** Warning at p + s > p_min + 2.0·s_min (River default). */
  warningThreshold?: number;
  /** Drift at p + s > p_min + 3.0·s_min (River default). */
  driftThreshold?: number;
}

/**
 * DDM, the Drift Detection Method (Gama, Medas, Castillo & Rodrigues 2004, "Learning with Drift
 * Detection"), as River's `drift.binary.DDM`: input 1 = error, 0 = correct; the error rate p
 * and s = √(p(1−p)/n) are compared with their minimum. Resets itself after a drift.
 */
export class DDM {
  readonly warmStart: number;
  readonly warningThreshold: number;
  readonly driftThreshold: number;
  private n = 0;
  private mean = 0;
  private pMin = Infinity;
  private sMin = Infinity;
  private psMin = Infinity;
  warningDetected = false;
  driftDetected = false;

  constructor(options: DdmOptions = {}) {
    this.warmStart = options.warmStart ?? 30;
    this.warningThreshold = options.warningThreshold ?? 2.0;
    this.driftThreshold = options.driftThreshold ?? 3.0;
    requireOption('DDM', 'driftThreshold', this.driftThreshold >= this.warningThreshold, `≥ warningThreshold (${this.warningThreshold})`, this.driftThreshold);
  }

  private reset(): void {
    this.n = 0;
    this.mean = 0;
    this.pMin = this.sMin = this.psMin = Infinity;
    this.warningDetected = false;
    this.driftDetected = false;
  }

  /** `x`: true/1 for an error, false/0 for a correct prediction. */
  update(x: boolean | number): this {
    const v = typeof x === 'boolean' ? (x ? 1 : 0) : x;
    requireOption('DDM.update', 'x', v === 0 || v === 1, '0/1 or a boolean', x);
    if (this.driftDetected) this.reset();
    this.n++;
    this.mean += (v - this.mean) / this.n;
    const p = this.mean;
    const s = Math.sqrt((p * (1 - p)) / this.n);
    if (this.n > this.warmStart) {
      if (p + s <= this.psMin) {
        this.pMin = p;
        this.sMin = s;
        this.psMin = p + s;
      }
      this.warningDetected = p + s > this.pMin + this.warningThreshold * this.sMin;
      if (p + s > this.pMin + this.driftThreshold * this.sMin) {
        this.driftDetected = true;
        this.warningDetected = false;
      }
    }
    return this;
  }
}
