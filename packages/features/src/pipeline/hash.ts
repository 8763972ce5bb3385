import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: the canonical form a content hash is taken of. */
export function canonicalJson(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(x as object)
    .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** SHA-256 of the canonical JSON, first 16 hex digits. */
export function contentHash(x: unknown): string {
  return createHash('sha256').update(canonicalJson(x)).digest('hex').slice(0, 16);
}
