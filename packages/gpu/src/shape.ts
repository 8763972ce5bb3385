import { GpuError } from './errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Validates that `shape` is a list of positive integers (0-sized tensors are not supported on the device). */
export function checkShape(shape: unknown, op: string, arg = 'shape'): Shape {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 4) {
    throw new GpuError('BAD_ARGUMENT', `${arg} must be an array of 1 to 4 positive integers, got ${JSON.stringify(shape)}`, op);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d <= 0) {
      throw new GpuError('BAD_ARGUMENT', `${arg} must be an array of 1 to 4 positive integers, got ${JSON.stringify(shape)}`, op);
    }
  }
  return Object.freeze([...shape]) as Shape;
}

/** Views a tensor of rank 1 or 2 as [rows, cols]; rank 1 is a single row. */
export function asMatrix(shape: Shape, op: string, arg: string): [number, number] {
  if (shape.length === 1) return [1, shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  throw new GpuError('SHAPE_MISMATCH', `${arg} must be rank 1 or 2, got ${fmtShape(shape)}`, op);
}
