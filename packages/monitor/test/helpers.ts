import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reference values produced by fixtures/make_fixtures.py (SciPy 1.10, scikit-learn 1.2). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ref: any = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/reference.json', import.meta.url)), 'utf8'));

export function relErr(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/** Deterministic normal sampler (Box–Muller on mulberry32). */
export function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() + 1e-300)) * Math.cos(2 * Math.PI * u());
}
