/** WGSL snippets shared by the kernels: the same formulas as backends/cpu/math.ts, in f32. */
import type { Activation } from '../../../backend.js';

export const WG = 256;

/**
 * A 1-D launch over `n` items, folded into 2-D when it exceeds maxComputeWorkgroupsPerDimension.
 * The kernel recovers the flat index with `flatIndex`.
 */
export function grid1d(n: number, perGroup = WG, maxDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(n / perGroup));
  if (groups <= maxDim) return [groups, 1];
  const y = Math.ceil(groups / maxDim);
  return [Math.ceil(groups / y), y];
}

export const flatIndex = /* wgsl */ `
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;
}`;

// erfc(|x|) with relative error < 1.2e-7 (Numerical Recipes' Chebyshev fit), so that GELU keeps its
// digits for large negative inputs, where 1 + erf(x) would cancel. erf is not a WGSL builtin.
export const mathFns = /* wgsl */ `
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}
// Φ(x) = ½·erfc(−x/√2), from the side where it does not cancel.
fn phi_f(x: f32) -> f32 {
  let c = 0.5 * erfc_pos(abs(x) * 0.70710678118654752);
  return select(c, 1.0 - c, x >= 0.0);
}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// tanh through exp overflows to NaN on some drivers past |x| ~ 44: clamp where f32 tanh is ±1 already.
fn tanh_f(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
// σ' = e^−|z| / (1 + e^−|z|)² and tanh' = sech² = 4e^−2|z| / (1 + e^−2|z|)²: no 1 − t² cancellation
// where f32 rounds σ or tanh to ±1.
fn sigmoid_grad_f(z: f32) -> f32 { let e = exp(-abs(z)); return e / ((1.0 + e) * (1.0 + e)); }
fn tanh_grad_f(z: f32) -> f32 { let e = exp(-2.0 * abs(z)); return 4.0 * e / ((1.0 + e) * (1.0 + e)); }
// log(1 + e) for e ≥ 0. WGSL promises log only to 2^−21 absolute on [0.5, 2], which near 1 leaves no relative
// digits (and defeats Goldberg's log(u)·e/(u − 1)), so small e take 2·atanh(t), t = e/(2 + e) ≤ 0.2, as a series.
fn log1p_f(e: f32) -> f32 {
  if (e < 0.5) {
    let t = e / (2.0 + e);
    let t2 = t * t;
    return 2.0 * t * (1.0 + t2 * (0.33333333 + t2 * (0.2 + t2 * (0.14285714 + t2 * (0.11111111 + t2 * 0.09090909)))));
  }
  return log(1.0 + e);
}
fn gelu_f(x: f32) -> f32 { return x * phi_f(x); }
fn gelu_grad_f(x: f32) -> f32 { return phi_f(x) + x * exp(-0.5 * x * x) * 0.39894228040143268; }`;

/** Activation codes for kernels that pick the activation at run time (one pipeline for all). */
export const ACTIVATION_CODE: Record<Activation, number> = { none: 0, relu: 1, sigmoid: 2, tanh: 3, gelu: 4 };

export const applyActivationFn = /* wgsl */ `
fn apply_act(z: f32, act: u32) -> f32 {
  switch act {
    case 1u: { return max(z, 0.0); }
    case 2u: { return sigmoid_f(z); }
    case 3u: { return tanh_f(z); }
    case 4u: { return gelu_f(z); }
    default: { return z; }
  }
}`;

export function activationExpr(act: Activation, v: string): string {
  switch (act) {
    case 'none':
      return v;
    case 'relu':
      return `max(${v}, 0.0)`;
    case 'sigmoid':
      return `sigmoid_f(${v})`;
    case 'tanh':
      return `tanh_f(${v})`;
    case 'gelu':
      return `gelu_f(${v})`;
  }
}

export function activationGradExpr(act: Activation, z: string): string {
  switch (act) {
    case 'none':
      return '1.0';
    case 'relu':
      return `select(0.0, 1.0, ${z} > 0.0)`;
    case 'sigmoid':
      return `sigmoid_grad_f(${z})`;
    case 'tanh':
      return `tanh_grad_f(${z})`;
    case 'gelu':
      return `gelu_grad_f(${z})`;
  }
}

/** Uniform block builder: u32 and f32 fields packed in order, 4 bytes each. */
export class Params {
  private readonly buf: ArrayBuffer;
  private readonly u: Uint32Array;
  private readonly f: Float32Array;
  private i = 0;
  constructor(fields: number) {
    this.buf = new ArrayBuffer(Math.max(16, Math.ceil(fields / 4) * 16));
    this.u = new Uint32Array(this.buf);
    this.f = new Float32Array(this.buf);
  }
  u32(v: number): this {
    this.u[this.i++] = v >>> 0;
    return this;
  }
  f32(v: number): this {
    this.f[this.i++] = v;
    return this;
  }
  get bytes(): ArrayBuffer {
    return this.buf;
  }
}
