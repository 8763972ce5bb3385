/** Machine-readable reasons a features call refused its input. */
export type FeatureErrorCode =
  | 'UNKNOWN_COLUMN'
  | 'WRONG_TYPE'
  | 'NON_FINITE'
  | 'SCHEMA_MISMATCH'
  | 'NOT_FITTED'
  | 'BAD_OPTION'
  | 'BAD_STATE'
  | 'INCOMPATIBLE';

/**
 * The one error type of `@gantry/features`: a `code` to branch on, and a message that names the
 * column, the transform and what was allowed. `column` and `transform` are set when known.
 */
export class FeatureError extends Error {
  readonly code: FeatureErrorCode;
  readonly column?: string;
  readonly transform?: string;
  constructor(code: FeatureErrorCode, message: string, where: { column?: string; transform?: string } = {}) {
    super(message);
    this.name = 'FeatureError';
    this.code = code;
    if (where.column !== undefined) this.column = where.column;
    if (where.transform !== undefined) this.transform = where.transform;
  }
}

/** Throws BAD_OPTION unless `ok`. */
export function checkOption(ok: boolean, what: string, message: string): void {
  if (!ok) throw new FeatureError('BAD_OPTION', `${what}: ${message}`);
}
