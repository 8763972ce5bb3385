/**
 * @gantry/features — streaming feature engineering, the same in training and serving: mergeable
 * statistics and sketches, transforms fitted in one pass, and the FeaturePipeline that runs on the
 * CPU (batches and single JSON rows) or as one fused WGSL kernel on @gantry/gpu.
 */
export { FeatureError, type FeatureErrorCode } from './errors.js';
export { RunningStats, type RunningStatsState, type NumericValues } from './stats/welford.js';
export { Ewma, type EwmaState } from './stats/ewma.js';
export { WindowedAggregate, type WindowedState, type WindowResult } from './stats/windowed.js';
export { HyperLogLog, type HllState } from './sketches/hll.js';
export { KllSketch, type KllState } from './sketches/kll.js';
export { CountMinSketch, type CountMinState } from './sketches/count-min.js';
export { FrequentItems, type FrequentItemsState } from './sketches/frequent.js';
export { murmur3, murmur3String, hash64 } from './hash/murmur3.js';
export { Transform, FittedTransform } from './transforms/transform.js';
export type {
  TransformSpec,
  TransformType,
  StandardScaleSpec,
  MinMaxScaleSpec,
  RobustScaleSpec,
  ImputeSpec,
  ClipSpec,
  Log1pSpec,
  BucketizeSpec,
  OneHotSpec,
  HashSpec,
  IndexSpec,
  NumericStep,
  CategoricalStep,
  FittedStep,
} from './transforms/spec.js';
export { TRANSFORM_TYPES } from './transforms/spec.js';
export { FeaturePipeline, PipelineFitter, PIPELINE_VERSION, PIPELINE_FORMAT, type PipelineJSON, type FittedColumnJSON, type FitSource, type FitOptions, type PipelineFitterState } from './pipeline/pipeline.js';
export type { ColumnSpec } from './pipeline/chain.js';
export type { NumericPlan, NumericPlanOutput } from './pipeline/plan.js';
export { GpuFeatures, runPlan } from './pipeline/gpu.js';
export { generateKernel } from './pipeline/wgsl.js';
export { toColumnBatch, type BatchInput, type ColumnBatch, type ColumnData, type ColumnKind, type LoaderBatchLike, type PlainColumns } from './columns.js';
