import { requireOption } from '../validate.js';

export interface PageHinkleyOptions {
  /** Samples before change can be detected (River: 30). */
  minInstances?: number;
  /** Magnitude of changes tolerated (River: 0.005). */
  delta?: number;
  /** Detection threshold λ (River: 50). */
  threshold?: number;
  /** Forgetting factor of the cumulative sums (River: 1 − 1e-4). */
  alpha?: number;
  /** Detect increases, decreases or both (River: 'both'). */
  mode?: 'up' | 'down' | 'both';
}

/**
 * Page–Hinkley test (Page 1954, "Continuous Inspection Schemes"), as River's
 * `drift.PageHinkley` (v0.21+): cumulative deviations from the running mean, minus/plus δ,
 * with forgetting factor α, tested against λ in both directions. Resets itself after a drift.
 */
export class PageHinkley {
  readonly minInstances: number;
  readonly delta: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly mode: 'up' | 'down' | 'both';
  private n = 0;
  private mean = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = Infinity;
  private maxDecrease = -1;
  driftDetected = false;

  constructor(options: PageHinkleyOptions = {}) {
    this.minInstances = options.minInstances ?? 30;
    this.delta = options.delta ?? 0.005;
    this.threshold = options.threshold ?? 50;
    this.alpha = options.alpha ?? 1 - 0.0001;
    this.mode = options.mode ?? 'both';
    requireOption('PageHinkley', 'mode', ['up', 'down', 'both'].includes(this.mode), "'up', 'down' or 'both'", this.mode);
  }

  private reset(): void {
    this.n = 0;
    this.mean = 0;
    this.sumIncrease = this.sumDecrease = 0;
    this.minIncrease = Infinity;
    this.maxDecrease = -1;
    this.driftDetected = false;
  }

  update(x: number): this {
    requireOption('PageHinkley.update', 'x', Number.isFinite(x), 'a finite number', x);
    if (this.driftDetected) this.reset();
    this.n++;
    this.mean += (x - this.mean) / this.n;
    const dev = x - this.mean;
    this.sumIncrease = this.alpha * this.sumIncrease + dev - this.delta;
    this.sumDecrease = this.alpha * this.sumDecrease + dev + this.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    if (this.n >= this.minInstances) {
      const up = this.sumIncrease - this.minIncrease > this.threshold;
      const down = this.maxDecrease - this.sumDecrease > this.threshold;
      this.driftDetected = this.mode === 'up' ? up : this.mode === 'down' ? down : up || down;
    }
    return this;
  }
}
