import { FeatureError } from '../errors.js';

/** Declarations of transforms: plain, JSON-serialisable objects. */
export type TransformSpec =
  | StandardScaleSpec
  | MinMaxScaleSpec
  | RobustScaleSpec
  | ImputeSpec
  | ClipSpec
  | Log1pSpec
  | BucketizeSpec
  | OneHotSpec
  | HashSpec
  | IndexSpec;

/** (x − mean) / std, population std (scikit-learn `StandardScaler`); std 0 → scale 1. */
export interface StandardScaleSpec {
  type: 'standardScale';
  withMean?: boolean;
  withStd?: boolean;
}
/** (x − min) / (max − min) · (hi − lo) + lo (scikit-learn `MinMaxScaler`); range 0 → scale 1. */
export interface MinMaxScaleSpec {
  type: 'minMaxScale';
  range?: [number, number];
}
/** (x − median) / (q_hi − q_lo) (scikit-learn `RobustScaler`), quantiles from a KLL sketch. */
export interface RobustScaleSpec {
  type: 'robustScale';
  /** Percentiles, default [25, 75]. */
  quantileRange?: [number, number];
  withCentering?: boolean;
  withScaling?: boolean;
  /** KLL k (default 200). */
  k?: number;
}
/**
 * Fills missing values (null / NaN): 'mean', 'median' (KLL), 'mostFrequent' (ties: smallest) or
 * 'constant' (`value`). On a categorical column: 'mostFrequent' or 'constant' with a string.
 */
export interface ImputeSpec {
  type: 'impute';
  strategy: 'mean' | 'median' | 'mostFrequent' | 'constant';
  value?: number | string;
  k?: number;
}
/** min(max(x, min), max); either bound may be left out. */
export interface ClipSpec {
  type: 'clip';
  min?: number;
  max?: number;
}
/** ln(1 + x); needs x > −1. */
export interface Log1pSpec {
  type: 'log1p';
}
/**
 * Bucket index = number of boundaries ≤ x (NumPy `digitize`). Boundaries are given, or the
 * i/buckets quantiles (i = 1..buckets−1) from a KLL sketch, deduplicated.
 */
export interface BucketizeSpec {
  type: 'bucketize';
  buckets?: number;
  boundaries?: number[];
  k?: number;
}
/**
 * One column per category for the `topK` most frequent categories (ties: by value), in sorted
 * order, then one 'other' column for every other value, unseen ones and missing ones included.
 */
export interface OneHotSpec {
  type: 'oneHot';
  topK?: number;
  /** Distinct values counted exactly before switching to a Count-Min sketch (default 10000). */
  maxExact?: number;
}
/**
 * Signed feature hashing, scikit-learn's `FeatureHasher` convention: h = murmur3_x86_32(utf8(s),
 * seed 0) as int32, column |h| mod nFeatures, value sign(h) (+1 for h ≥ 0) when `alternateSign`.
 * s is the value (`input: 'value'`, FeatureHasher(input_type='string')) or `column=value`
 * (`input: 'pair'`, input_type='dict'). Missing values give a zero row.
 */
export interface HashSpec {
  type: 'hash';
  nFeatures: number;
  alternateSign?: boolean;
  input?: 'value' | 'pair';
}
/**
 * Category → integer index by descending frequency (ties: by value) for the `topK` most frequent;
 * every other value, unseen and missing ones included, maps to topK' (the number of categories).
 */
export interface IndexSpec {
  type: 'index';
  topK?: number;
  maxExact?: number;
}

export type TransformType = TransformSpec['type'];

export const TRANSFORM_TYPES: readonly TransformType[] = ['standardScale', 'minMaxScale', 'robustScale', 'impute', 'clip', 'log1p', 'bucketize', 'oneHot', 'hash', 'index'];

/** A fitted numeric step: plain data, the unit of the CPU path, the WGSL kernel and ONNX export. */
export type NumericStep =
  /** missing (NaN) → value; others unchanged. */
  | { op: 'impute'; value: number }
  /** y = (x − center) / scale + offset. */
  | { op: 'affine'; center: number; scale: number; offset: number }
  /** y = min(max(x, min), max); null: unbounded. */
  | { op: 'clip'; min: number | null; max: number | null }
  | { op: 'log1p' }
  /** y = number of boundaries ≤ x. */
  | { op: 'bucketize'; boundaries: number[] };

/** A fitted categorical step. */
export type CategoricalStep =
  | { op: 'imputeCategory'; value: string }
  /** Columns: categories (sorted), then 'other'. */
  | { op: 'oneHot'; categories: string[] }
  /** Index of categories[i] is i; anything else categories.length. */
  | { op: 'index'; categories: string[] }
  | { op: 'hash'; nFeatures: number; alternateSign: boolean; input: 'value' | 'pair' };

export type FittedStep = NumericStep | CategoricalStep;

/** Where an error happened: the column and the transform (for messages). */
export interface Where {
  column?: string;
  transform?: string;
}

export function at(w: Where): string {
  const parts: string[] = [];
  if (w.column !== undefined) parts.push(`column '${w.column}'`);
  if (w.transform !== undefined) parts.push(`transform '${w.transform}'`);
  return parts.length ? parts.join(', ') : 'transform';
}

export function bad(w: Where, msg: string): never {
  throw new FeatureError('BAD_OPTION', `${at(w)}: ${msg}`, w);
}

export function checkKeys(spec: object, allowed: string[], w: Where): void {
  for (const k of Object.keys(spec)) if (k !== 'type' && !allowed.includes(k)) bad(w, `unknown option '${k}' (allowed: ${allowed.join(', ') || 'none'})`);
}

export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
