import { FeatureError } from '../errors.js';
import { hash64 } from '../hash/murmur3.js';
import { decodeBytes, encodeBytes } from '../util/codec.js';

/** Serialised {@link HyperLogLog}: the registers as base64 bytes. */
export interface HllState {
  p: number;
  registers: string;
}

const h = new Uint32Array(2);

/**
 * HyperLogLog distinct count (Flajolet, Fusy, Gandouet & Meunier 2007, "HyperLogLog: the analysis
 * of a near-optimal cardinality estimation algorithm"), with the 64-bit hash of Heule, Nunkesser &
 * Hall 2013 ("HyperLogLog in practice", HLL++: no large-range correction needed). Each value is
 * hashed to 64 bits (`hash64`: murmur3_x86_32 with two seeds); the top `p` bits pick one of
 * m = 2^p registers, which keeps the maximum ρ (position of the first 1-bit) of the remaining
 * 64 − p bits. The estimate is Ertl's (2017, "New cardinality estimation algorithms for
 * HyperLogLog sketches", the "improved raw estimator" of §3), which has no bias over the whole
 * range and so replaces HLL++'s empirical bias tables and its linear-counting switch.
 *
 * Relative standard error ≈ 1.04 / √m: p = 12 (4096 registers) → 1.63%, as Apache DataSketches
 * documents for lgK = 12. Memory: m bytes. Merge: register-wise max (exactly the sketch of the
 * union).
 *
 * @example
 * const s = new HyperLogLog({ p: 12 }).update(['a', 'b', 'a', 'c']);
 * Math.round(s.estimate()); // 3
 */
export class HyperLogLog {
  readonly p: number;
  readonly m: number;
  private reg: Uint8Array;

  constructor(opts: { p?: number } = {}) {
    const p = opts.p ?? 12;
    if (!Number.isInteger(p) || p < 4 || p > 18) throw new FeatureError('BAD_OPTION', `HyperLogLog: p must be an integer in [4, 18], got ${String(p)}`);
    this.p = p;
    this.m = 1 << p;
    this.reg = new Uint8Array(this.m);
  }

  /** The relative standard error 1.04 / √m of this precision. */
  get relativeStandardError(): number {
    return 1.04 / Math.sqrt(this.m);
  }

  /** Adds values (strings or numbers; null/undefined/NaN are skipped). Returns this. */
  update(values: ArrayLike<string | number | null | undefined>): this {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || v !== v) continue;
      this.add(v);
    }
    return this;
  }

  /** Adds one value. */
  add(v: string | number): void {
    hash64(v, h);
    const p = this.p;
    const idx = h[0] >>> (32 - p);
    // the remaining 64 − p bits: the low (32 − p) bits of the high word, then the low word.
    const rest = (h[0] << p) >>> 0; // top (32 − p) bits are the rest of the high word
    let rho: number;
    if (rest !== 0) rho = Math.clz32(rest) + 1;
    else rho = 32 - p + (h[1] !== 0 ? Math.clz32(h[1]) + 1 : 33);
    if (rho > this.reg[idx]) this.reg[idx] = rho;
  }

  /** Register-wise max: the sketch of the union. */
  merge(other: HyperLogLog): this {
    if (other.p !== this.p) throw new FeatureError('INCOMPATIBLE', `HyperLogLog.merge: precision differs (${this.p} vs ${other.p})`);
    const a = this.reg;
    const b = other.reg;
    for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
    return this;
  }

  /** The distinct-count estimate (Ertl 2017, improved raw estimator). */
  estimate(): number {
    const m = this.m;
    const q = 64 - this.p;
    const c = new Float64Array(q + 2);
    for (let i = 0; i < m; i++) c[this.reg[i]]++;
    let z = m * tau(1 - c[q + 1] / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + c[k]);
    z += m * sigma(c[0] / m);
    return (m * m) / (2 * Math.LN2) / z;
  }

  toJSON(): HllState {
    return { p: this.p, registers: encodeBytes(this.reg) };
  }

  static fromJSON(s: HllState): HyperLogLog {
    const out = new HyperLogLog({ p: s.p });
    const r = decodeBytes(s.registers);
    if (r.length !== out.m) throw new FeatureError('BAD_STATE', `HyperLogLog.fromJSON: expected ${out.m} registers, got ${r.length}`);
    out.reg = r;
    return out;
  }
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let prev: number;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z !== prev);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let prev: number;
  do {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z !== prev);
  return z / 3;
}
