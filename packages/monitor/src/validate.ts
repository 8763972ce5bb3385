import { MonitorError } from './errors.js';

/** Array-like of numbers accepted everywhere (plain arrays or typed arrays). */
export type NumArray = ArrayLike<number>;

export function requireNonEmpty(fn: string, name: string, xs: ArrayLike<unknown>): void {
  if (xs.length === 0) throw new MonitorError('EMPTY_WINDOW', `${fn}: '${name}' is empty; at least one value is required`);
}

export function requireSameLength(fn: string, a: string, xa: ArrayLike<unknown>, b: string, xb: ArrayLike<unknown>): void {
  if (xa.length !== xb.length) {
    throw new MonitorError('LENGTH_MISMATCH', `${fn}: '${a}' has ${xa.length} values but '${b}' has ${xb.length}; they must have the same length`);
  }
}

/** Throws on NaN / ±Infinity so that no metric silently becomes NaN. */
export function requireFinite(fn: string, name: string, xs: NumArray): void {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MonitorError('INVALID_VALUE', `${fn}: '${name}[${i}]' is ${String(v)}; only finite numbers are allowed`);
    }
  }
}

export function requireProbabilities(fn: string, name: string, xs: NumArray): void {
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new MonitorError('INVALID_VALUE', `${fn}: '${name}[${i}]' is ${String(v)}; probabilities must lie in [0, 1]`);
    }
  }
}

export function requireOption(fn: string, name: string, ok: boolean, expected: string, got: unknown): void {
  if (!ok) throw new MonitorError('INVALID_OPTION', `${fn}: option '${name}' must be ${expected}, got ${JSON.stringify(got)}`);
}
