/**
 * MurmurHash3_x86_32 (Austin Appleby, public domain; smhasher `MurmurHash3.cpp`) over bytes,
 * 32-bit integer math only. This is the hash of scikit-learn's `murmurhash3_32` and
 * `FeatureHasher`: seed 0 on the UTF-8 bytes of the feature string, read as a signed int32.
 */
export function murmur3(bytes: Uint8Array, len: number = bytes.length, seed = 0): number {
  let h = seed >>> 0;
  const nblocks = len >> 2;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let i = 0;
  for (let b = 0; b < nblocks; b++, i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= bytes[i + 2] << 16;
    // falls through
    case 2:
      k ^= bytes[i + 1] << 8;
    // falls through
    case 1:
      k ^= bytes[i];
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= len;
  return fmix32(h) | 0;
}

/** The murmur3 finaliser (avalanche of a 32-bit word). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3 of two 32-bit words (the 8 bytes of a float64), without a byte buffer. */
export function murmur3Words(lo: number, hi: number, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  let k = Math.imul(lo, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  k = Math.imul(hi, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 8;
  return fmix32(h) | 0;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** UTF-8 bytes of `s` in a shared scratch buffer; returns the byte length. */
function utf8(s: string): number {
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(s.length * 3 + 16);
  return encoder.encodeInto(s, scratch).written;
}

/** murmur3_x86_32 of the UTF-8 bytes of `s`, as scikit-learn's `murmurhash3_32(s, seed)` (signed). */
export function murmur3String(s: string, seed = 0): number {
  const n = utf8(s);
  return murmur3(scratch, n, seed);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The second seed of the 64-bit hash (the high word uses seed 0, the low word this one). */
export const SEED2 = 0x9747b28c;

/**
 * A 64-bit hash as two 32-bit words [hi, lo]: murmur3_x86_32 of the value's bytes with seed 0 and
 * with seed 0x9747b28c (two independent 32-bit hashes). Numbers hash their float64 bytes (-0 and 0
 * alike); strings their UTF-8 bytes. Used by HyperLogLog (needs more than 32 bits) and Count-Min.
 */
export function hash64(v: string | number, out: Uint32Array): void {
  if (typeof v === 'number') {
    f64[0] = v === 0 ? 0 : v;
    out[0] = murmur3Words(u32[0], u32[1], 0) >>> 0;
    out[1] = murmur3Words(u32[0], u32[1], SEED2) >>> 0;
  } else {
    const n = utf8(v);
    out[0] = murmur3(scratch, n, 0) >>> 0;
    out[1] = murmur3(scratch, n, SEED2) >>> 0;
  }
}
