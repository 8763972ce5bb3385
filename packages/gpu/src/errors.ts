/** What went wrong, as a stable code a caller can branch on. */
export type GpuErrorCode =
  | 'SHAPE_MISMATCH' // operand shapes do not fit the op
  | 'BAD_ARGUMENT' // an option or argument outside its allowed values
  | 'UNSUPPORTED' // valid input this backend cannot run (a fused kernel past its limits): fall back
  | 'DISPOSED' // a tensor used after dispose()
  | 'WRONG_GPU' // a tensor from another Gpu instance
  | 'NO_ADAPTER' // backend 'webgpu' asked for and no adapter exists
  | 'VALIDATION' // WebGPU validation error caught by an error scope
  | 'OUT_OF_MEMORY' // WebGPU out-of-memory error caught by an error scope
  | 'DEVICE_LOST' // the device was lost and could not be re-acquired
  | 'DESTROYED'; // the Gpu was destroyed

/**
 * The one error type of @gantry/gpu. `op` names the operation ('matmul', 'tensor', ...) and
 * the message names the argument and the shapes involved.
 */
export class GpuError extends Error {
  override readonly name = 'GpuError';
  constructor(
    readonly code: GpuErrorCode,
    message: string,
    readonly op?: string,
  ) {
    super(op ? `${op}: ${message}` : message);
  }
}
