import type { NumericStep } from '../transforms/spec.js';

/**
 * The numeric part of a fitted pipeline as plain data — what the WGSL kernel is generated from and
 * what an ONNX exporter needs. Output column j (0 ≤ j < outputs.length) of the feature matrix is
 * `outputs[j]` applied to input column `outputs[j].input` of the raw numeric matrix whose columns
 * are `inputs`; the categorical outputs follow at `categorical.offset`.
 */
export interface NumericPlan {
  /** Raw numeric input columns, in the order of the matrix the GPU path takes. */
  inputs: string[];
  outputs: NumericPlanOutput[];
  /** The CPU-computed categorical block: names, first output column, width. */
  categorical: { names: string[]; offset: number; width: number };
  /** Total output width. */
  width: number;
}

export interface NumericPlanOutput {
  name: string;
  /** Index into `inputs`. */
  input: number;
  /**
   * Steps in order: 'impute' (NaN → value), 'affine' (y = (x − center) / scale + offset),
   * 'clip' (null = unbounded), 'log1p', 'bucketize' (y = count of boundaries ≤ x).
   */
  steps: NumericStep[];
  /**
   * The output for a missing (NaN) input, float32-rounded: the chain applied to NaN when it has
   * an impute step (a constant), null when it has none (the CPU path rejects missing values then).
   */
  missing: number | null;
}
