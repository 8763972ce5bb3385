/**
 * A whole MLP forward pass in ONE dispatch, for serving a few rows. On lavapipe every dispatch
 * costs ~100–150 µs of fixed overhead (a bare submit + readback is ~80 µs), which dominates a
 * single-row forward through three layers; fusing them leaves one.
 *
 * One workgroup (64 lanes) per row keeps the row's activations in workgroup memory between
 * layers (ping-pong buffers). Each lane owns 4 output columns (a vec4 of the weight row) — or one
 * column where the width is not a multiple of 4 — and the activations are shared by
 * subgroupBroadcast: a lane loads one of every 8 inputs and the subgroup exchanges them, so the
 * weights are the only per-lane loads. Loops are uniform (subgroup operations require it);
 * lanes past the width compute on clamped indices and do not store.
 * Dimensions and activations are compiled in; weights are [d_l, d_{l+1}] row-major.
 */
import type { Activation } from '../../../backend.js';
import { activationExpr, mathFns } from './common.js';

export const MLP_WG = 64;
/** Widest layer held in workgroup memory (two buffers of this many floats: 8 KiB each). */
export const MLP_MAX_WIDTH = 2048;
/** Most layers: two bindings each, plus input, output (maxStorageBuffersPerShaderStage ≥ 8). */
export const MLP_MAX_LAYERS = 3;

export function mlpKey(dims: number[], acts: Activation[], sg: number): string {
  return `mlp:${dims.join('x')}:${acts.join(',')}:g${sg}`;
}

export function mlpKernel(dims: number[], acts: Activation[], sg: number): string {
  const L = dims.length - 1;
  const vec = dims.slice(1).map((d) => d % 4 === 0);
  const binds: string[] = ['@group(0) @binding(0) var<storage, read> x: array<f32>;'];
  for (let l = 0; l < L; l++) {
    binds.push(`@group(0) @binding(${1 + 2 * l}) var<storage, read> w${l}: array<${vec[l] ? 'vec4<f32>' : 'f32'}>;`);
    binds.push(`@group(0) @binding(${2 + 2 * l}) var<storage, read> b${l}: array<f32>;`);
  }
  binds.push(`@group(0) @binding(${1 + 2 * L}) var<storage, read_write> o: array<f32>;`);
  binds.push('struct P { m: u32, x_off: u32, o_off: u32, pad: u32 }');
  binds.push(`@group(0) @binding(${2 + 2 * L}) var<uniform> p: P;`);
  const maxW = Math.max(...dims.slice(0, L), sg);
  const B: string[] = [];
  B.push('  let row = min(wid.x, p.m - 1u);');
  B.push(`  for (var i = t; i < ${dims[0]}u; i += ${MLP_WG}u) { h0[i] = x[p.x_off + row * ${dims[0]}u + i]; }`);
  B.push('  workgroupBarrier();');
  for (let l = 0; l < L; l++) {
    const src = `h${l % 2}`;
    const last = l === L - 1;
    const dst = `h${(l + 1) % 2}`;
    const din = dims[l];
    const dout = dims[l + 1];
    const blocks = Math.floor(din / sg);
    const tail = din - blocks * sg;
    const width = vec[l] ? dout / 4 : dout; // vec4 groups or columns
    const accT = vec[l] ? 'vec4<f32>' : 'f32';
    const wAt = (k: string) => (vec[l] ? `w${l}[(${k}) * ${dout / 4}u + cc]` : `w${l}[(${k}) * ${dout}u + cc]`);
    const fmaLine = (k: string, s: number) => `        acc = fma(${accT}(subgroupBroadcast(hv, ${s}u)), ${wAt(k)}, acc);`;
    B.push(`  for (var cbase = 0u; cbase < ${width}u; cbase += ${MLP_WG}u) {`);
    B.push('    let c = cbase + t;');
    B.push(`    let cc = min(c, ${width - 1}u);`);
    B.push(vec[l] ? `    var acc = vec4<f32>(b${l}[cc * 4u], b${l}[cc * 4u + 1u], b${l}[cc * 4u + 2u], b${l}[cc * 4u + 3u]);` : `    var acc = b${l}[cc];`);
    if (blocks > 0) {
      B.push(`    for (var k0 = 0u; k0 < ${blocks * sg}u; k0 += ${sg}u) {`);
      B.push(`      let hv = ${src}[k0 + sgid];`);
      for (let s = 0; s < sg; s++) B.push(fmaLine(`k0 + ${s}u`, s).replace(/^ {8}/, '      '));
      B.push('    }');
    }
    if (tail > 0) {
      B.push('    {');
      B.push(`      let hv = ${src}[min(${blocks * sg}u + sgid, ${din - 1}u)];`);
      for (let s = 0; s < tail; s++) B.push(fmaLine(`${blocks * sg + s}u`, s).replace(/^ {8}/, '      '));
      B.push('    }');
    }
    B.push(`    if (c < ${width}u) {`);
    const store = (col: string, v: string) => (last ? `o[p.o_off + row * ${dout}u + ${col}] = ${activationExpr(acts[l], v)};` : `${dst}[${col}] = ${activationExpr(acts[l], v)};`);
    if (vec[l]) for (let e = 0; e < 4; e++) B.push(`      ${store(`c * 4u + ${e}u`, `acc[${e}]`)}`);
    else B.push(`      ${store('c', 'acc')}`);
    B.push('    }');
    B.push('  }');
    if (!last) B.push('  workgroupBarrier();');
  }
  return `enable subgroups;
${mathFns}
${binds.join('\n')}
var<workgroup> h0: array<f32, ${maxW}>;
var<workgroup> h1: array<f32, ${maxW}>;
@compute @workgroup_size(${MLP_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(subgroup_invocation_id) sgid: u32) {
  let t = lid.x;
${B.join('\n')}
}`;
}
