/** Element-wise kernels: one invocation per element, launched over a (possibly chunked) range. */
import type { Activation, BinaryOp, Broadcast, UnaryOp } from '../../../backend.js';
import { activationExpr, activationGradExpr, flatIndex, mathFns, WG } from './common.js';

const BINARY_EXPR: Record<BinaryOp, (a: string, b: string) => string> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  max: (a, b) => `max(${a}, ${b})`,
  min: (a, b) => `min(${a}, ${b})`,
};

const UNARY_EXPR: Record<UnaryOp, (x: string) => string> = {
  scale: (x) => `${x} * p.alpha`,
  addScalar: (x) => `${x} + p.alpha`,
  neg: (x) => `-${x}`,
  abs: (x) => `abs(${x})`,
  exp: (x) => `exp(${x})`,
  log: (x) => `log(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  square: (x) => `${x} * ${x}`,
  relu: (x) => activationExpr('relu', x),
  sigmoid: (x) => activationExpr('sigmoid', x),
  tanh: (x) => activationExpr('tanh', x),
  gelu: (x) => activationExpr('gelu', x),
};

/**
 * One invocation per element of a (possibly chunked) range: `storage` lists the bindings in order
 * as [name, 'read' | 'read_write'], the uniform block `P` comes last, and `body` runs with the
 * element index `i` already bounds-checked.
 */
function perElement(params: string, storage: Array<[string, 'read' | 'read_write']>, body: string): string {
  const binds = storage.map(([name, access], k) => `@group(0) @binding(${k}) var<storage, ${access}> ${name}: array<f32>;`).join('\n');
  return /* wgsl */ `${mathFns}
${flatIndex}
struct P { ${params} }
${binds}
@group(0) @binding(${storage.length}) var<uniform> p: P;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid);
  if (i >= p.n) { return; }
  ${body}
}`;
}

/** Params of the plain element-wise kernels: n (elements in this chunk), base (global index of its first element), cols, alpha. */
const EW = 'n: u32, base: u32, cols: u32, alpha: f32';

export function unaryKernel(op: UnaryOp): string {
  return perElement(EW, [['a', 'read'], ['o', 'read_write']], `let x = a[i];\n  o[i] = ${UNARY_EXPR[op]('x')};`);
}

/** b is indexed by the global element index: whole (full), its column (row), its row (col), or b[0] (scalar). */
export function binaryKernel(op: BinaryOp, bc: Broadcast): string {
  const bIndex = bc === 'full' ? 'i' : bc === 'row' ? '(p.base + i) % p.cols' : bc === 'col' ? '(p.base + i) / p.cols' : '0u';
  return perElement(EW, [['a', 'read'], ['b', 'read'], ['o', 'read_write']], `o[i] = ${BINARY_EXPR[op]('a[i]', `b[${bIndex}]`)};`);
}

export function activationGradKernel(act: Activation): string {
  return perElement(EW, [['dy', 'read'], ['z', 'read'], ['o', 'read_write']], `let zi = z[i];\n  o[i] = dy[i] * ${activationGradExpr(act, 'zi')};`);
}

export function fillKernel(): string {
  return perElement(EW, [['o', 'read_write']], 'o[i] = p.alpha;');
}

/** SGD with momentum and weight decay (PyTorch's semantics: dampening 0, optional Nesterov). */
export function sgdKernel(momentum: boolean, nesterov: boolean): string {
  const update = !momentum
    ? 'w[i] = wi - p.lr * g;'
    : `let vi = p.momentum * v[i] + g;
  v[i] = vi;
  w[i] = wi - p.lr * ${nesterov ? '(g + p.momentum * vi)' : 'vi'};`;
  const storage: Array<[string, 'read' | 'read_write']> = [['w', 'read_write'], ['grad', 'read']];
  if (momentum) storage.push(['v', 'read_write']);
  return perElement('n: u32, base: u32, lr: f32, momentum: f32, wd: f32', storage, `let wi = w[i];\n  let g = grad[i] + p.wd * wi;\n  ${update}`);
}

/** Adam / AdamW (PyTorch's semantics); bias corrections bc1 = 1 − β1^t, bc2 = 1 − β2^t come in the params. */
export function adamKernel(decoupled: boolean): string {
  return perElement(
    'n: u32, base: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32',
    [['w', 'read_write'], ['grad', 'read'], ['m', 'read_write'], ['v', 'read_write']],
    `var wi = w[i];
  var g = grad[i];
  ${decoupled ? 'wi = wi * (1.0 - p.lr * p.wd);' : 'g = g + p.wd * wi;'}
  let mi = p.b1 * m[i] + (1.0 - p.b1) * g;
  let vi = p.b2 * v[i] + (1.0 - p.b2) * g * g;
  m[i] = mi;
  v[i] = vi;
  w[i] = wi - p.lr * (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps);`,
  );
}
