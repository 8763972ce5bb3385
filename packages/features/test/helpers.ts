/** Test helpers: a seeded generator and naive oracles. */
import { mulberry32 } from '../src/util/rng.js';

/** The package's mulberry32, seed 0 taken as 1. */
export const rng = (seed: number): (() => number) => mulberry32(seed >>> 0 || 1);

export function normal(r: () => number): number {
  const u = Math.max(r(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** |a − b| ≤ tol · max(1, |b|). */
export function close(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/** NumPy's default ('linear') quantile of sorted values. */
export function npQuantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
