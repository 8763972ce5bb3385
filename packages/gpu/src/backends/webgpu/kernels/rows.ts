/** Per-row and per-column kernels: one invocation owns one row (or column) and loops along it. */
import type { ReduceOp } from '../../../backend.js';
import { flatIndex, WG } from './common.js';

/** `a_off` / `o_off`: element offsets inside the bound ranges (bindings start 256-byte aligned, row chunks need not). */
const P = 'struct P { rows: u32, cols: u32, a_off: u32, o_off: u32 }';

/** One invocation per row `r` (or column, for axis-0 reductions) over `outer` of them; `body` runs once `r` is in range. */
function perRow(outer: string, body: string): string {
  return /* wgsl */ `${flatIndex}
${P}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = flat_index(wid, nwg, lid);
  if (r >= ${outer}) { return; }
${body}
}`;
}

export function softmaxRowsKernel(): string {
  return perRow(
    'p.rows',
    `  let off = p.a_off + r * p.cols;
  var mx = a[off];
  for (var j = 1u; j < p.cols; j++) { mx = max(mx, a[off + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.cols; j++) { s += exp(a[off + j] - mx); }
  let inv = 1.0 / s;
  let ooff = p.o_off + r * p.cols;
  for (var j = 0u; j < p.cols; j++) { o[ooff + j] = exp(a[off + j] - mx) * inv; }`,
  );
}

export function argmaxRowsKernel(): string {
  return perRow(
    'p.rows',
    `  let off = p.a_off + r * p.cols;
  var best = 0u;
  var bv = a[off];
  for (var j = 1u; j < p.cols; j++) {
    let v = a[off + j];
    if (v > bv) { bv = v; best = j; }
  }
  o[p.o_off + r] = f32(best);`,
  );
}

/**
 * Sum, mean or population variance along an axis. Variance uses Welford's update per
 * invocation, which stays accurate where the two-pass sum of squares would cancel.
 */
export function reduceKernel(op: ReduceOp, axis: 0 | 1): string {
  // axis 1: invocation per row, stride 1; axis 0: invocation per column, stride cols.
  const outer = axis === 1 ? 'p.rows' : 'p.cols';
  const len = axis === 1 ? 'p.cols' : 'p.rows';
  const at = axis === 1 ? 'a[p.a_off + r * p.cols + t]' : 'a[p.a_off + t * p.cols + r]';
  const body =
    op === 'variance'
      ? `var mean = 0.0; var m2 = 0.0;
  for (var t = 0u; t < ${len}; t++) {
    let x = ${at};
    let d = x - mean;
    mean += d / f32(t + 1u);
    m2 += d * (x - mean);
  }
  o[p.o_off + r] = m2 / f32(${len});`
      : `var s = 0.0;
  var c = 0.0; // Kahan compensation: long rows lose digits otherwise.
  for (var t = 0u; t < ${len}; t++) {
    let y = ${at} - c;
    let u = s + y;
    c = (u - s) - y;
    s = u;
  }
  o[p.o_off + r] = ${op === 'mean' ? `s / f32(${len})` : 's'};`;
  return perRow(outer, `  ${body}`);
}
