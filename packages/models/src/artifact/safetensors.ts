import { ModelError } from '../errors.js';

/** One f32 tensor to store. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Encodes tensors in the safetensors layout: an 8-byte little-endian header length N, N bytes
 * of JSON `{ name: { dtype: "F32", shape, data_offsets: [begin, end] }, "__metadata__": {...} }`
 * (offsets from the first byte after the header; header padded with spaces to 8 bytes), then
 * the little-endian f32 data, tensors in order.
 */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new ModelError('BAD_OPTION', `tensor name ${JSON.stringify(t.name)} is reserved or repeated`);
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, p += 4) view.setFloat32(p, t.data[i], true);
  }
  return out;
}

/**
 * Decodes a safetensors buffer, checking every header entry: dtype F32, integer shapes whose
 * product matches the byte range, ranges inside the data and neither overlapping nor leaving
 * gaps. Throws CORRUPT_ARTIFACT (INCOMPATIBLE_ARTIFACT for another dtype) naming the tensor.
 */
export function decodeSafetensors(buf: Uint8Array, file = 'safetensors'): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const bad = (msg: string) => new ModelError('CORRUPT_ARTIFACT', `${file}: ${msg}`);
  if (buf.length < 8) throw bad(`file has ${buf.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(buf.length - 8) || n64 > 100_000_000n) throw bad(`header length ${n64} exceeds the file's ${buf.length - 8} bytes after the length`);
  const n = Number(n64);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  const ranges: [number, number, string][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Object.values(v).some((x) => typeof x !== 'string')) throw bad('__metadata__ must map strings to strings');
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw bad(`tensor ${name}: entry must be an object`);
    if (e.dtype !== 'F32') throw new ModelError('INCOMPATIBLE_ARTIFACT', `${file}: tensor ${name} has dtype ${JSON.stringify(e.dtype)}; this version reads 'F32' only`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`tensor ${name}: shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets as number[];
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[1] < off[0]) throw bad(`tensor ${name}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
    if (off[1] > dataLen) throw bad(`tensor ${name}: data_offsets end ${off[1]} is past the ${dataLen} data bytes (truncated file?)`);
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if ((off[1] - off[0]) !== count * 4) throw bad(`tensor ${name}: shape [${(e.shape as number[]).join(', ')}] needs ${count * 4} bytes, data_offsets span ${off[1] - off[0]}`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + off[0] + 4 * i, true);
    tensors.set(name, { name, shape: e.shape as number[], data });
    ranges.push([off[0], off[1], name]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [b, e, name] of ranges) {
    if (b !== end) throw bad(`tensor ${name}: data starts at ${b}, expected ${end} (tensors must be contiguous, without overlap or gaps)`);
    end = e;
  }
  if (end !== dataLen) throw bad(`${dataLen - end} bytes after the last tensor`);
  return { tensors, metadata };
}
