import { mulberry32 } from '../drift/energy.js';

/**
 * Row-level reservoir sampling (Vitter 1985, Algorithm R): decides, for each row of the stream,
 * which slot of a fixed-size sample it replaces (or −1). One decision per row is shared by all
 * columns of a profile, so the per-column samples stay row-aligned (the multivariate energy test
 * needs whole rows). While rows ≤ capacity the sample is the whole window, in order.
 */
export class RowReservoir {
  readonly capacity: number;
  seen = 0;
  private rnd: () => number;
  readonly seed: number;

  constructor(capacity: number, seed = 0xc0ffee) {
    this.capacity = capacity;
    this.seed = seed;
    this.rnd = mulberry32(seed);
  }

  /** The slot for the next row, or −1 when the row is not sampled. */
  next(): number {
    const t = this.seen++;
    if (t < this.capacity) return t;
    const j = Math.floor(this.rnd() * (t + 1));
    return j < this.capacity ? j : -1;
  }

  /** Number of filled slots. */
  get filled(): number {
    return Math.min(this.seen, this.capacity);
  }

  /** True while the sample holds every row seen. */
  get complete(): boolean {
    return this.seen <= this.capacity;
  }
}
