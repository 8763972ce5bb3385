/**
 * Loss kernels: loss and gradient in ONE dispatch. A single workgroup strides over the rows,
 * writes the gradient as it goes and reduces the loss in workgroup memory — no second pass and
 * no float atomics (WGSL has none).
 */
import { mathFns, WG } from './common.js';

const reduceTail = (expr: string) => /* wgsl */ `
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { partial[lid.x] += partial[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { loss[0] = ${expr}; }`;

/**
 * Bindings shared by the loss kernels: two inputs, an optional weight input, then the loss
 * (one value) and the gradient, then the uniform block; and the workgroup scratch for the reduction.
 */
function lossBindings(params: string, a: string, b: string, weight?: string): string {
  const w = weight ? 1 : 0;
  return [
    `struct P { ${params} }`,
    `@group(0) @binding(0) var<storage, read> ${a}: array<f32>;`,
    `@group(0) @binding(1) var<storage, read> ${b}: array<f32>;`,
    weight ? `@group(0) @binding(2) var<storage, read> ${weight}: array<f32>;` : '',
    `@group(0) @binding(${2 + w}) var<storage, read_write> loss: array<f32>;`,
    `@group(0) @binding(${3 + w}) var<storage, read_write> grad: array<f32>;`,
    `@group(0) @binding(${4 + w}) var<uniform> p: P;`,
    `var<workgroup> partial: array<f32, ${WG}>;`,
  ].join('\n');
}

/** Softmax cross-entropy with integer labels (stored as f32) and optional class weights (PyTorch's weighted mean). */
export function softmaxCrossEntropyKernel(weighted: boolean): string {
  return /* wgsl */ `${mathFns}
${lossBindings('rows: u32, cols: u32, pad0: u32, pad1: u32', 'logits', 'labels', weighted ? 'cw' : undefined)}
var<workgroup> wsum_shared: f32;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  ${
    weighted
      ? `// Σ w[y]: each invocation sums its rows, then one tree reduction.
  var ws = 0.0;
  for (var r = lid.x; r < p.rows; r += ${WG}u) { ws += cw[u32(labels[r])]; }
  partial[lid.x] = ws;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { partial[lid.x] += partial[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { wsum_shared = partial[0]; }
  workgroupBarrier();
  let wsum = wsum_shared;
  workgroupBarrier();`
      : 'let wsum = f32(p.rows);'
  }
  var acc = 0.0;
  for (var r = lid.x; r < p.rows; r += ${WG}u) {
    let off = r * p.cols;
    let y = u32(labels[r]);
    let wy = ${weighted ? 'cw[y]' : '1.0'};
    // log Σ e^(z−mx) = log1p(Σ over the columns other than the first maximum), and the loss as
    // (mx − z_y) + that: no cancellation when the loss is small (a confident right answer).
    var mx = logits[off];
    var jm = 0u;
    for (var j = 1u; j < p.cols; j++) { if (logits[off + j] > mx) { mx = logits[off + j]; jm = j; } }
    var e = 0.0;
    for (var j = 0u; j < p.cols; j++) { if (j != jm) { e += exp(logits[off + j] - mx); } }
    let lse1 = log1p_f(e);
    let lse = mx + lse1;
    acc += wy * ((mx - logits[off + y]) + lse1);
    let scale = wy / wsum;
    // The label's p_y − 1 as −Σ_{j≠y} p_j: no cancellation where p_y rounds near 1.
    var others = 0.0;
    for (var j = 0u; j < p.cols; j++) {
      if (j != y) {
        let pj = exp(logits[off + j] - lse);
        others += pj;
        grad[off + j] = scale * pj;
      }
    }
    grad[off + y] = -scale * others;
  }
  ${reduceTail('partial[0] / wsum')}
}`;
}

/** Binary cross-entropy on logits: mean of w·(max(z,0) − z·t + log(1 + e^−|z|)), grad w·(σ(z) − t)/n. */
export function binaryCrossEntropyKernel(weighted: boolean): string {
  return /* wgsl */ `${mathFns}
${lossBindings('n: u32, pad0: u32, pad1: u32, pad2: u32', 'z', 't', weighted ? 'w' : undefined)}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = 0.0;
  let inv = 1.0 / f32(p.n);
  for (var i = lid.x; i < p.n; i += ${WG}u) {
    let zi = z[i];
    let wi = ${weighted ? 'w[i]' : '1.0'};
    let ti = t[i];
    // e = e^−|z| and σ(−|z|) are small and exact where σ(z) would round to 1 in f32.
    let e = exp(-abs(zi));
    acc += wi * (max(zi, 0.0) - zi * ti + log1p_f(e));
    let s_small = e / (1.0 + e);
    grad[i] = wi * select(s_small - ti, (1.0 - ti) - s_small, zi >= 0.0) * inv;
  }
  ${reduceTail('partial[0] * inv')}
}`;
}

export function meanSquaredErrorKernel(): string {
  return /* wgsl */ `
${lossBindings('n: u32, pad0: u32, pad1: u32, pad2: u32', 'pred', 't')}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = 0.0;
  let inv = 1.0 / f32(p.n);
  for (var i = lid.x; i < p.n; i += ${WG}u) {
    let d = pred[i] - t[i];
    acc += d * d;
    grad[i] = 2.0 * d * inv;
  }
  ${reduceTail('partial[0] * inv')}
}`;
}
