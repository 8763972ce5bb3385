/**
 * @gantry/gpu — the GPU compute core: a WebGPU device (Dawn) or the CPU reference backend,
 * f32 tensors, fused WGSL kernels, pooled buffers and cached pipelines.
 */
export { createGpu, Gpu, VALID_BACKENDS, VIEW_ALIGN, viewLayout, type BackendName, type GpuInfo, type GpuOptions } from './gpu.js';
export { Tensor } from './tensor.js';
export { GpuError, type GpuErrorCode } from './errors.js';
export { numel, type Shape } from './shape.js';
export { ACTIVATIONS, BINARY_OPS, DENSE_LOSSES, type Activation, type BinaryOp, type CustomKernel, type DenseLoss, type ReduceOp, type UnaryOp } from './backend.js';
export type { MatmulOptions } from './ops/matmul.js';
export type { MlpLayer } from './ops/mlp.js';
export type { DenseGradientsOptions, DenseGradientsOutput, DenseGradientsQuery } from './ops/dense-gradients.js';
export type { LossResult } from './ops/loss.js';
export type { AdamOptions, SgdOptions } from './ops/optimizer.js';
export type { AdapterInfo } from './backends/webgpu/webgpu-backend.js';
export { CpuBackend } from './backends/cpu/cpu-backend.js';
export { WebGpuBackend, dawn as dawnInstance, installWebGpuGlobals } from './backends/webgpu/webgpu-backend.js';
export { fmaKernel, copyKernel } from './backends/webgpu/kernels/ceiling.js';
export { MATMUL_CANDIDATES, type MatmulTile } from './backends/webgpu/kernels/matmul.js';
