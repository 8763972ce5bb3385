/**
 * The one error type of @gantry/data. Every failure caused by the data (a missing column, a value
 * that cannot convert, a truncated or corrupt file, a malformed row) is a `DataError` that names
 * the file, the row and the column where they are known.
 */
export type DataErrorCode =
  | 'MISSING_COLUMN' // a requested column (feature or label) is not in the schema
  | 'TYPE' // a column's type cannot be converted to what was asked
  | 'CORRUPT' // a file is not what it claims to be (bad magic, bad metadata, bad body)
  | 'TRUNCATED' // a file ends before its metadata says it should
  | 'BAD_ROW' // a row-level problem in a text source (field count, unparsable value, bad JSON)
  | 'SCHEMA' // files of one source disagree about their schema
  | 'IO' // the file system failed (missing file, permission)
  | 'WORKER' // a worker thread died without reporting an error of its own
  | 'ARGUMENT'; // an option is invalid

export interface DataErrorInfo {
  file?: string;
  /** 0-based data row within the file (text sources) or within the source's unit (binary sources). */
  row?: number;
  /** 1-based line in the file (text sources). */
  line?: number;
  column?: string;
  cause?: unknown;
}

export class DataError extends Error {
  override readonly name = 'DataError';
  readonly code: DataErrorCode;
  readonly file?: string;
  readonly row?: number;
  readonly line?: number;
  readonly column?: string;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(code: DataErrorCode, detail: string, info: DataErrorInfo = {}) {
    super(formatMessage(detail, info), info.cause !== undefined ? { cause: info.cause } : undefined);
    this.code = code;
    this.detail = detail;
    if (info.file !== undefined) this.file = info.file;
    if (info.row !== undefined) this.row = info.row;
    if (info.line !== undefined) this.line = info.line;
    if (info.column !== undefined) this.column = info.column;
  }

  /** A structured-cloneable form, for crossing a worker boundary. */
  toJSON(): SerializedDataError {
    return { __dataError: true, code: this.code, detail: this.detail, file: this.file, row: this.row, line: this.line, column: this.column, stack: this.stack };
  }

  static fromJSON(j: SerializedDataError): DataError {
    const e = new DataError(j.code, j.detail, { file: j.file, row: j.row, line: j.line, column: j.column });
    if (j.stack) e.stack = j.stack;
    return e;
  }
}

export interface SerializedDataError {
  __dataError: true;
  code: DataErrorCode;
  detail: string;
  file?: string;
  row?: number;
  line?: number;
  column?: string;
  stack?: string;
}

function formatMessage(detail: string, info: DataErrorInfo): string {
  const where: string[] = [];
  if (info.file !== undefined) where.push(`file ${info.file}${info.line !== undefined ? `:${info.line}` : ''}`);
  if (info.row !== undefined) where.push(`row ${info.row}`);
  if (info.column !== undefined) where.push(`column '${info.column}'`);
  return where.length ? `${detail} (${where.join(', ')})` : detail;
}

/** Wraps anything thrown by a third-party reader into a DataError with the given location. */
export function wrapError(e: unknown, code: DataErrorCode, detail: string, info: DataErrorInfo = {}): DataError {
  if (e instanceof DataError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') return new DataError('IO', `no such file`, { ...info, cause: e });
  if (typeof (e as NodeJS.ErrnoException)?.code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!)) {
    return new DataError('IO', `${detail}: ${msg}`, { ...info, cause: e });
  }
  return new DataError(code, `${detail}: ${msg}`, { ...info, cause: e });
}

/** Serializes any error for postMessage; DataErrors keep their fields. */
export function serializeError(e: unknown): SerializedDataError | { message: string; stack?: string; name?: string } {
  if (e instanceof DataError) return e.toJSON();
  if (e instanceof Error) return { message: e.message, stack: e.stack, name: e.name };
  return { message: String(e) };
}

export function deserializeError(j: unknown): Error {
  if (j && typeof j === 'object' && (j as SerializedDataError).__dataError) return DataError.fromJSON(j as SerializedDataError);
  const o = j as { message?: string; stack?: string; name?: string };
  const e = new Error(o?.message ?? String(j));
  if (o?.stack) e.stack = o.stack;
  if (o?.name) e.name = o.name;
  return e;
}
