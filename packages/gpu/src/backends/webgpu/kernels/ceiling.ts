/** Kernels that measure an adapter's ceilings: pure FMA throughput and pure copy bandwidth. */
import { WG } from './common.js';

/** Each invocation runs `iters` rounds of 8 independent vec4 FMA chains: 64 FMAs (128 flops) per round, no memory traffic in the loop. */
export function fmaKernel(): string {
  return /* wgsl */ `
struct P { iters: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> o: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = f32(gid.x) * 1e-7;
  var x0 = vec4<f32>(s, s + 1e-3, s + 2e-3, s + 3e-3);
  var x1 = x0 + 0.1; var x2 = x0 + 0.2; var x3 = x0 + 0.3;
  var x4 = x0 + 0.4; var x5 = x0 + 0.5; var x6 = x0 + 0.6; var x7 = x0 + 0.7;
  let m = vec4<f32>(0.9999);
  let c = vec4<f32>(1e-4);
  for (var i = 0u; i < p.iters; i++) {
    x0 = fma(x0, m, c); x1 = fma(x1, m, c); x2 = fma(x2, m, c); x3 = fma(x3, m, c);
    x4 = fma(x4, m, c); x5 = fma(x5, m, c); x6 = fma(x6, m, c); x7 = fma(x7, m, c);
  }
  o[gid.x] = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
}`;
}

/** Copies vec4s: one read and one write of 16 bytes per invocation. */
export function copyKernel(): string {
  return /* wgsl */ `
struct P { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> o: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;
  if (i >= p.n) { return; }
  o[i] = a[i];
}`;
}
