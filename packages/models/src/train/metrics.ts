import type { Head, Loss } from '../core/network.js';

/**
 * Host metrics over model outputs (`k` values per row, the head's output: a value, P(class 1)
 * or class probabilities) against labels, in f64.
 */
export function accuracy(out: ArrayLike<number>, y: ArrayLike<number>, head: Head, k: number): number {
  let hit = 0;
  for (let r = 0; r < y.length; r++) hit += predictedClass(out, r, head, k) === y[r] ? 1 : 0;
  return hit / y.length;
}

export function predictedClass(out: ArrayLike<number>, r: number, head: Head, k: number): number {
  if (head === 'sigmoid') return out[r] >= 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < k; c++) if (out[r * k + c] > out[r * k + best]) best = c;
  return best;
}

export function mse(out: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (out[i] - y[i]) ** 2;
  return s / y.length;
}

export function r2(out: ArrayLike<number>, y: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (out[i] - y[i]) ** 2;
    sst += (y[i] - mean) ** 2;
  }
  return sst === 0 ? (ssr === 0 ? 1 : 0) : 1 - ssr / sst;
}

/** The training loss (unweighted mean) recomputed on the host from the head's outputs. */
export function hostLoss(out: ArrayLike<number>, y: ArrayLike<number>, loss: Loss, k: number, huberDelta = 1): number {
  const n = y.length;
  let s = 0;
  const eps = 1e-12;
  for (let r = 0; r < n; r++) {
    if (loss === 'mse') s += (out[r] - y[r]) ** 2;
    else if (loss === 'huber') {
      const d = Math.abs(out[r] - y[r]);
      s += d <= huberDelta ? 0.5 * d * d : huberDelta * (d - 0.5 * huberDelta);
    } else if (loss === 'bce') {
      const p = Math.min(Math.max(out[r], eps), 1 - eps);
      s -= y[r] * Math.log(p) + (1 - y[r]) * Math.log(1 - p);
    } else s -= Math.log(Math.max(out[r * k + y[r]], eps));
  }
  return s / n;
}
