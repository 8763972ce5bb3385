/** Machine-readable reasons a monitor call refused its input. */
export type MonitorErrorCode =
  | 'EMPTY_WINDOW'
  | 'LENGTH_MISMATCH'
  | 'INVALID_VALUE'
  | 'INVALID_OPTION'
  | 'SCHEMA_MISMATCH'
  | 'SINGLE_CLASS'
  | 'ALL_NULL'
  | 'UNKNOWN_COLUMN'
  | 'VERSION_EXISTS'
  | 'CORRUPT_DATASET'
  | 'NOT_FOUND';

/**
 * The one error type of `@gantry/monitor`: a `code` to branch on and a message that names the
 * function, the column or field, and what was allowed.
 */
export class MonitorError extends Error {
  readonly code: MonitorErrorCode;
  constructor(code: MonitorErrorCode, message: string) {
    super(message);
    this.name = 'MonitorError';
    this.code = code;
  }
}
