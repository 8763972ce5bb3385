import type { Tensor } from '../tensor.js';
import type { Gpu } from '../gpu.js';
import { GpuError } from '../errors.js';
import { asMatrix, fmtShape } from '../shape.js';

/** Checks that each argument is a live tensor of this Gpu; returns their storages. */
export function live(gpu: Gpu, op: string, args: Record<string, Tensor | undefined>): void {
  for (const [name, t] of Object.entries(args)) {
    if (t === undefined) continue;
    if (!t || typeof (t as Tensor)._check !== 'function') throw new GpuError('BAD_ARGUMENT', `${name} must be a Tensor, got ${typeof t}`, op);
    t._check(op, name, gpu);
    gpu._checkStorage(t, op, name);
  }
}

export function sameShape(op: string, a: Tensor, b: Tensor, an = 'a', bn = 'b'): void {
  if (a.size !== b.size || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new GpuError('SHAPE_MISMATCH', `${an} ${fmtShape(a.shape)} and ${bn} ${fmtShape(b.shape)} must have the same shape`, op);
  }
}

export function matrix(op: string, t: Tensor, name: string): [number, number] {
  return asMatrix(t.shape, op, name);
}

export function finiteNumber(op: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new GpuError('BAD_ARGUMENT', `${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` ≤ ${max}` : ''}, got ${String(v)}`, op);
  }
  return v;
}

export function oneOf<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new GpuError('BAD_ARGUMENT', `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`, op);
  return v as T;
}
