/**
 * @gantry/models — linear, logistic, softmax and MLP models trained and served on @gantry/gpu;
 * artifacts (model.json + safetensors), ONNX export, and a versioned model repository.
 */
export { ModelError, type ModelErrorCode } from './errors.js';
export { Model, type ModelKind, type Task, type ClassWeight, type PredictInput } from './models/model.js';
export { LinearRegression, type LinearRegressionOptions } from './models/linear.js';
export { LogisticRegression, type LogisticRegressionOptions } from './models/logistic.js';
export { SoftmaxRegression, type SoftmaxRegressionOptions } from './models/softmax.js';
export { MLP, type MLPOptions } from './models/mlp.js';
export { HIDDEN_ACTIVATIONS, hostForward, type HiddenActivation, type Head, type Loss, type NetworkSpec, type NetworkWeights } from './core/network.js';
export type { FitOptions, FitResult, Progress, EpochRecord } from './train/trainer.js';
export type { ArrayData, BatchLike, TrainingData } from './train/data.js';
export type { OptimizerOptions } from './train/optimizers.js';
export type { Schedule } from './train/schedules.js';
export { makeSchedule } from './train/schedules.js';
export type { EarlyStoppingOptions, ValidationMetric } from './train/early-stopping.js';
export { fromFeaturePipeline, numericStepsFromPlan, type FeaturePipelineLike, type GantryFeaturePipeline, type NumericPipeline, type NumericStep, type PipelineFromJSON } from './pipeline.js';
export { saveModel, loadModel, FORMAT, FORMAT_VERSION, type LoadOptions, type ModelJson } from './artifact/model-json.js';
export { encodeSafetensors, decodeSafetensors, type NamedTensor } from './artifact/safetensors.js';
export { exportOnnx, type OnnxExport, type OnnxExportOptions } from './onnx/export.js';
export { ModelRepository, type PutOptions, type VersionInfo } from './repository/repository.js';
export { VERSION } from './version.js';
