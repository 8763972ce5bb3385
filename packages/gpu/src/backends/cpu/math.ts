/** Scalar math shared by the CPU kernels, in f64. The WGSL kernels implement the same formulas in f32. */

/** erf by its Maclaurin series, accurate to ~1e-15 absolute for |x| < 2 in f64. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * erfc with relative accuracy everywhere: 1 − series below 2, and beyond it the continued
 * fraction erfc(x) = e^−x² / (√π (x + ½/(x + 1/(x + (3/2)/(x + …))))), evaluated backwards.
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  let t = x;
  for (let n = 80; n >= 1; n--) t = x + n / 2 / t;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * t);
}

export function erf(x: number): number {
  return Math.abs(x) < 2 ? erfSeries(x) : Math.sign(x) * (1 - erfc(Math.abs(x)));
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** GELU as PyTorch's default (exact, erf-based): x·Φ(x). */
export function gelu(x: number): number {
  return 0.5 * x * erfc(-x / Math.SQRT2);
}

export function geluGrad(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

import type { Activation } from '../../backend.js';

export function activate(act: Activation, x: number): number {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return x > 0 ? x : 0;
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'gelu':
      return gelu(x);
  }
}

/** f'(z) for the pre-activation z. */
export function activationDerivative(act: Activation, z: number): number {
  switch (act) {
    case 'none':
      return 1;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'sigmoid': {
      const s = sigmoid(z);
      return s * (1 - s);
    }
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'gelu':
      return geluGrad(z);
  }
}
