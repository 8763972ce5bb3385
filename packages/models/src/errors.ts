/** What went wrong, as a stable code a caller can branch on. */
export type ModelErrorCode =
  | 'BAD_OPTION' // an option outside its allowed values
  | 'BAD_DATA' // training or prediction data that cannot be used (labels out of range, NaN, empty)
  | 'SHAPE_MISMATCH' // data whose width does not match the model
  | 'NOT_FITTED' // predict / save before fit
  | 'CORRUPT_ARTIFACT' // an artifact that fails its checks (hash, header, sizes)
  | 'INCOMPATIBLE_ARTIFACT' // an artifact from an unknown format version or kind
  | 'NOT_FOUND' // a model, version or alias that does not exist
  | 'CONFLICT' // a repository operation refused because of another object (an alias on a version)
  | 'NOT_SUPPORTED'; // a feature this build cannot do (e.g. an ONNX export of a non-numeric pipeline step)

/** The one error type of @gantry/models; the message names the field and the allowed values. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** @internal */
export function badOption(field: string, expected: string, got: unknown): ModelError {
  return new ModelError('BAD_OPTION', `${field} must be ${expected}, got ${fmt(got)}`);
}

/** @internal */
export function fmt(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return typeof v;
  }
}

/** @internal checks a number option. */
export function num(field: string, v: unknown, opts: { min?: number; max?: number; int?: boolean; exclusiveMin?: boolean } = {}): number {
  const { min = -Infinity, max = Infinity, int = false, exclusiveMin = false } = opts;
  const ok = typeof v === 'number' && Number.isFinite(v) && (exclusiveMin ? v > min : v >= min) && v <= max && (!int || Number.isInteger(v));
  if (!ok) {
    const parts = [int ? 'an integer' : 'a finite number'];
    if (min > -Infinity) parts.push(`${exclusiveMin ? '>' : '≥'} ${min}`);
    if (max < Infinity) parts.push(`≤ ${max}`);
    throw badOption(field, parts.join(' '), v);
  }
  return v as number;
}

/** @internal checks a string option against its allowed values. */
export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw badOption(field, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  return v as T;
}
