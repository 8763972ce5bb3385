/** Compact, exact encodings of typed arrays inside JSON (base64 of the little-endian bytes). */
export function encodeBytes(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
export function decodeBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
export function encodeF64(a: Float64Array): string {
  return encodeBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}
export function decodeF64(s: string): Float64Array {
  const b = decodeBytes(s);
  const out = new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}
export function encodeU32(a: Uint32Array): string {
  return encodeBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}
export function decodeU32(s: string): Uint32Array {
  const b = decodeBytes(s);
  const out = new Uint32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
/** JSON cannot hold ±Infinity or NaN: numbers are written as-is, non-finite ones as strings. */
export function num(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}
export function unnum(x: number | string): number {
  return typeof x === 'number' ? x : Number(x);
}
