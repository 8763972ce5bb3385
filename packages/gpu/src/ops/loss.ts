import { GpuError } from '../errors.js';
import type { Gpu } from '../gpu.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { live, matrix, sameShape } from './validate.js';

/** A loss value (shape [1], stays on the device) and the gradient w.r.t. the model's output. */
export interface LossResult {
  loss: Tensor;
  grad: Tensor;
}

/**
 * Softmax cross-entropy of logits [rows, classes] against integer labels [rows] (class indices
 * stored as f32), mean over rows; with `classWeights` [classes], PyTorch's weighted mean
 * Σ w[y]·ℓ / Σ w[y]. Loss and gradient come from one kernel.
 */
export function softmaxCrossEntropy(gpu: Gpu, logits: Tensor, labels: Tensor, classWeights?: Tensor, grad?: Tensor): LossResult {
  const op = 'softmaxCrossEntropy';
  live(gpu, op, { logits, labels, classWeights, grad });
  if (logits.shape.length !== 2) throw new GpuError('SHAPE_MISMATCH', `logits ${fmtShape(logits.shape)} must be [rows, classes]`, op);
  const [rows, cols] = matrix(op, logits, 'logits');
  if (labels.size !== rows) throw new GpuError('SHAPE_MISMATCH', `labels ${fmtShape(labels.shape)} must hold one label per row (${rows})`, op);
  if (classWeights && classWeights.size !== cols) throw new GpuError('SHAPE_MISMATCH', `classWeights ${fmtShape(classWeights.shape)} must hold one weight per class (${cols})`, op);
  const loss = gpu.empty([1]);
  const g = grad ?? gpu.empty(logits.shape);
  if (grad) sameShape(op, logits, grad, 'logits', 'grad');
  gpu._backend.softmaxCrossEntropy(logits.storage, labels.storage, classWeights?.storage, loss.storage, g.storage, rows, cols);
  return { loss, grad: g };
}

/** Binary cross-entropy on logits (numerically stable), mean of w·ℓ over elements (PyTorch's BCEWithLogitsLoss). */
export function binaryCrossEntropy(gpu: Gpu, logits: Tensor, targets: Tensor, weights?: Tensor, grad?: Tensor): LossResult {
  const op = 'binaryCrossEntropy';
  live(gpu, op, { logits, targets, weights, grad });
  if (targets.size !== logits.size) throw new GpuError('SHAPE_MISMATCH', `targets ${fmtShape(targets.shape)} must have as many elements as logits ${fmtShape(logits.shape)}`, op);
  if (weights && weights.size !== logits.size) throw new GpuError('SHAPE_MISMATCH', `weights ${fmtShape(weights.shape)} must have as many elements as logits ${fmtShape(logits.shape)}`, op);
  const loss = gpu.empty([1]);
  const g = grad ?? gpu.empty(logits.shape);
  if (grad) sameShape(op, logits, grad, 'logits', 'grad');
  gpu._backend.binaryCrossEntropy(logits.storage, targets.storage, weights?.storage, loss.storage, g.storage, logits.size);
  return { loss, grad: g };
}

/** Mean squared error mean((pred − targets)²) and its gradient 2(pred − targets)/n. */
export function meanSquaredError(gpu: Gpu, pred: Tensor, targets: Tensor, grad?: Tensor): LossResult {
  const op = 'meanSquaredError';
  live(gpu, op, { pred, targets, grad });
  if (targets.size !== pred.size) throw new GpuError('SHAPE_MISMATCH', `targets ${fmtShape(targets.shape)} must have as many elements as pred ${fmtShape(pred.shape)}`, op);
  const loss = gpu.empty([1]);
  const g = grad ?? gpu.empty(pred.shape);
  if (grad) sameShape(op, pred, grad, 'pred', 'grad');
  gpu._backend.meanSquaredError(pred.storage, targets.storage, loss.storage, g.storage, pred.size);
  return { loss, grad: g };
}
