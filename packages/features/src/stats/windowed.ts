import { FeatureError } from '../errors.js';
import { num, unnum } from '../util/codec.js';
import type { NumericValues } from './welford.js';

/** The aggregates of one window. */
export interface WindowResult {
  count: number;
  sum: number;
  /** NaN when the window is empty. */
  mean: number;
  /** +Infinity when empty. */
  min: number;
  /** −Infinity when empty. */
  max: number;
  /** The window is [start, end) in the stream's time unit. */
  start: number;
  end: number;
}

/** Serialised {@link WindowedAggregate}: the occupied tiles as [tile index, count, sum, min, max]. */
export interface WindowedState {
  window: number;
  tile: number;
  head: number | null;
  late: number;
  tiles: [number, number, number, number | string, number | string][];
}

/**
 * Count, sum, mean, min and max over a sliding time window, computed from tiles (the "panes" of
 * Li et al. 2005, "No pane, no gain: efficient evaluation of sliding-window aggregates over data
 * streams"): time is cut into tiles of width `tile`, a window of width `window` is the last
 * `window / tile` tiles, and each tile keeps (count, sum, min, max) of its values. When time
 * advances, expired tiles are subtracted from the running count and sum (O(1) per tile) instead of
 * recomputing the window; min and max are combined from the ≤ window/tile live tiles. Memory is
 * O(window / tile) whatever the rate. Values older than the window (relative to the newest time
 * seen) are dropped and counted in `late`.
 *
 * Merge: tile-wise (count and sum add, min/max combine) after aligning both to the newer head —
 * equal to updating with the union of both streams in time order.
 *
 * @example
 * const w = new WindowedAggregate({ window: 10, tile: 1 });
 * w.update([1, 2, 3], [0, 5, 12]).result(); // { count: 2, sum: 5, mean: 2.5, min: 2, max: 3, start: 3, end: 13 }
 */
export class WindowedAggregate {
  readonly window: number;
  readonly tile: number;
  /** Tiles per window. */
  readonly tiles: number;
  /** Values dropped because their time was already outside the window. */
  late = 0;
  private head: number | null = null;
  private ids: Float64Array;
  private counts: Float64Array;
  private sums: Float64Array;
  private mins: Float64Array;
  private maxs: Float64Array;
  private count = 0;
  private sum = 0;

  constructor(opts: { window: number; tile: number }) {
    const { window, tile } = opts ?? ({} as { window: number; tile: number });
    if (!(typeof tile === 'number' && tile > 0 && Number.isFinite(tile))) throw new FeatureError('BAD_OPTION', `WindowedAggregate: tile must be a positive number, got ${String(tile)}`);
    const k = window / tile;
    if (!(typeof window === 'number' && Number.isInteger(k) && k >= 1 && k <= 1 << 20)) {
      throw new FeatureError('BAD_OPTION', `WindowedAggregate: window must be a positive multiple of tile (at most 2^20 tiles), got window ${String(window)} and tile ${tile}`);
    }
    this.window = window;
    this.tile = tile;
    this.tiles = k;
    this.ids = new Float64Array(k).fill(-Infinity);
    this.counts = new Float64Array(k);
    this.sums = new Float64Array(k);
    this.mins = new Float64Array(k).fill(Infinity);
    this.maxs = new Float64Array(k).fill(-Infinity);
  }

  private slot(id: number): number {
    const k = this.tiles;
    return ((id % k) + k) % k;
  }

  /** Moves the head to tile `id`, evicting the tiles that leave the window. */
  private advance(id: number): void {
    if (this.head !== null && id <= this.head) return;
    const k = this.tiles;
    const from = this.head === null ? id - k + 1 : Math.max(this.head + 1, id - k + 1);
    for (let t = from; t <= id; t++) {
      const s = this.slot(t);
      if (this.ids[s] !== -Infinity) {
        this.count -= this.counts[s];
        this.sum -= this.sums[s];
      }
      this.ids[s] = t;
      this.counts[s] = 0;
      this.sums[s] = 0;
      this.mins[s] = Infinity;
      this.maxs[s] = -Infinity;
    }
    if (this.head !== null && id - this.head >= k) {
      // every tile was replaced: the running totals restart from zero (no float residue).
      this.count = 0;
      this.sum = 0;
    }
    this.head = id;
  }

  /** Adds values with their times (same length; missing values are skipped). Returns this. */
  update(values: NumericValues, times: ArrayLike<number>): this {
    if (!times || times.length !== values.length) throw new FeatureError('BAD_OPTION', `WindowedAggregate.update: times must have one entry per value (${values.length}), got ${times?.length}`);
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      if (x === null || x === undefined || x !== x) continue;
      const t = times[i];
      if (!Number.isFinite(t)) throw new FeatureError('NON_FINITE', `WindowedAggregate.update: time ${t} at index ${i} is not finite`);
      if (!Number.isFinite(x)) throw new FeatureError('NON_FINITE', `WindowedAggregate.update: value ${x} at index ${i} is not finite`);
      const id = Math.floor(t / this.tile);
      if (this.head === null || id > this.head) this.advance(id);
      else if (id <= this.head - this.tiles) {
        this.late++;
        continue;
      }
      this.add(this.slot(id), 1, x, x, x);
    }
    return this;
  }

  private add(s: number, c: number, sum: number, mn: number, mx: number): void {
    this.counts[s] += c;
    this.sums[s] += sum;
    if (mn < this.mins[s]) this.mins[s] = mn;
    if (mx > this.maxs[s]) this.maxs[s] = mx;
    this.count += c;
    this.sum += sum;
  }

  /** Moves the window forward to end at time `now` (expiring old tiles) without adding values. */
  advanceTo(now: number): this {
    this.advance(Math.floor(now / this.tile));
    return this;
  }

  /** The aggregates over the window that ends with the newest tile. */
  result(): WindowResult {
    let mn = Infinity;
    let mx = -Infinity;
    for (let s = 0; s < this.tiles; s++) {
      if (this.counts[s] === 0) continue;
      if (this.mins[s] < mn) mn = this.mins[s];
      if (this.maxs[s] > mx) mx = this.maxs[s];
    }
    const end = this.head === null ? 0 : (this.head + 1) * this.tile;
    return { count: this.count, sum: this.sum, mean: this.count ? this.sum / this.count : NaN, min: mn, max: mx, start: end - this.window, end };
  }

  /** Folds in `other` (same window and tile): tile-wise, after aligning both to the newer head. */
  merge(other: WindowedAggregate): this {
    if (other.window !== this.window || other.tile !== this.tile) {
      throw new FeatureError('INCOMPATIBLE', `WindowedAggregate.merge: window/tile differ (${this.window}/${this.tile} vs ${other.window}/${other.tile})`);
    }
    this.late += other.late;
    if (other.head === null) return this;
    this.advance(other.head);
    const lo = (this.head as number) - this.tiles;
    for (let s = 0; s < other.tiles; s++) {
      const id = other.ids[s];
      if (id === -Infinity || id <= lo || other.counts[s] === 0) continue;
      this.add(this.slot(id), other.counts[s], other.sums[s], other.mins[s], other.maxs[s]);
    }
    return this;
  }

  toJSON(): WindowedState {
    const tiles: WindowedState['tiles'] = [];
    for (let s = 0; s < this.tiles; s++) {
      if (this.ids[s] !== -Infinity && this.counts[s] > 0) tiles.push([this.ids[s], this.counts[s], this.sums[s], num(this.mins[s]), num(this.maxs[s])]);
    }
    tiles.sort((a, b) => a[0] - b[0]);
    return { window: this.window, tile: this.tile, head: this.head, late: this.late, tiles };
  }

  static fromJSON(st: WindowedState): WindowedAggregate {
    const w = new WindowedAggregate({ window: st.window, tile: st.tile });
    w.late = st.late;
    if (st.head !== null) {
      w.advance(st.head);
      for (const [id, c, sum, mn, mx] of st.tiles) w.add(w.slot(id), c, sum, unnum(mn), unnum(mx));
    }
    return w;
  }
}
