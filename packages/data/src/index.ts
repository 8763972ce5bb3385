/**
 * @gantry/data: streaming data loading on Apache Arrow that never holds the dataset in memory.
 * Sources yield Arrow record batches incrementally; the DataLoader turns them into shuffled,
 * sharded, prefetched row-major f32 batches, optionally in worker threads.
 */
export { DataError, type DataErrorCode, type DataErrorInfo } from './errors.js';
export {
  type Source,
  type ScanOptions,
  type Shard,
  type SourceDescriptor,
  type BadRow,
  ScanStats,
  UnitSource,
  registerSourceKind,
  sourceFromDescriptor,
  diagnostics,
} from './source.js';
export { arrowSource, writeArrow, type WriteResult, type BatchInput } from './arrow.js';
export { parquetSource, writeParquet, type WriteParquetOptions } from './parquet.js';
export { csvSource, jsonlSource, type CsvOptions, type TextSourceOptions, type ColumnTypeName } from './text.js';
export {
  synthetic,
  type ClassificationOptions,
  type ClassificationMeta,
  type RegressionOptions,
  type DriftingOptions,
  type DriftChange,
} from './synthetic.js';
export { Batch, type BatchInit } from './batch.js';
export {
  DataLoader,
  type DataLoaderOptions,
  type LoaderInfo,
  type LoaderStats,
  type BatchTransformFn,
  type TransformSpec,
} from './loader.js';
export { columnKind, toF32, type ColumnKind } from './schema.js';
export { Rng, mixSeed } from './rng.js';
export { resolvePaths, expandGlob } from './glob.js';

import type { Schema } from 'apache-arrow';
import type { Source } from './source.js';
/** The schema of a source (same as `source.schema()`). */
export function schemaOf(source: Source): Promise<Schema> {
  return source.schema();
}
/** The number of rows of a source when cheap to know (file metadata, synthetic size), else undefined. */
export function numRows(source: Source): Promise<number | undefined> {
  return source.numRows();
}

/** The apache-arrow module this package uses (same instance: its classes pass `instanceof`). */
export * as arrow from 'apache-arrow';
