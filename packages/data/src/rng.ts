/**
 * Seeded pseudo-random numbers. `Rng` is sfc32 (a small, fast generator with a 128-bit state);
 * `hash32`/`rowRng` give counter-based streams, so that the content of row r of a synthetic
 * source depends only on (seed, r), whatever the batching, the sharding or the worker.
 */
export function hash32(a: number, b = 0): number {
  // murmur3 fmix on a combined word; good avalanche, cheap.
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes a seed and any number of integers into a 32-bit seed. Integers up to 2^53 are exact. */
export function mixSeed(seed: number, ...xs: number[]): number {
  let h = hash32(seed >>> 0, Math.floor(seed / 4294967296));
  for (const x of xs) {
    h = hash32(h, x >>> 0);
    h = hash32(h, Math.floor(x / 4294967296));
  }
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;

  constructor(seed: number, stream = 0) {
    this.a = hash32(seed >>> 0, 1 + stream);
    this.b = hash32(Math.floor(seed / 4294967296) >>> 0, 2 + stream);
    this.c = hash32(seed >>> 0, 3 + stream * 7);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Re-seeds in place (no allocation), for per-row streams. */
  reseed(s0: number, s1: number): this {
    this.a = s0 >>> 0;
    this.b = s1 >>> 0;
    this.c = (s0 ^ 0x9e3779b9) >>> 0;
    this.d = 1;
    this.spare = NaN;
    for (let i = 0; i < 8; i++) this.u32();
    return this;
  }

  /** The generator's 4-word state (sfc32 a, b, c, d) as signed 32-bit integers. */
  getState(): [number, number, number, number] {
    return [this.a | 0, this.b | 0, this.c | 0, this.d | 0];
  }

  setState(s: ArrayLike<number>): this {
    this.a = s[0] | 0;
    this.b = s[1] | 0;
    this.c = s[2] | 0;
    this.d = s[3] | 0;
    this.spare = NaN;
    return this;
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() * 2.3283064365386963e-10;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spare === this.spare) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u = this.next();
    if (u < 1e-300) u = 1e-300;
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[] | Int32Array | Uint32Array): typeof xs {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }
}
