import type { NumericStep } from '../transforms/spec.js';
import type { NumericPlan } from './plan.js';

/** Rows per workgroup of the fused kernel. */
export const WORKGROUP = 64;

/** An f32 WGSL literal that parses back to exactly Math.fround(x) (9 significant digits). */
export function f32(x: number): string {
  const v = Math.fround(x);
  if (!Number.isFinite(v)) throw new Error(`cannot write ${x} as a WGSL f32 literal`);
  if (v === 0) return '0.0f';
  return `${v.toPrecision(9)}f`;
}

/** x ≈ hi + lo with hi = fround(x), lo = fround(x − hi): float64-accurate centres on float32 hardware. */
function split(x: number): [number, number] {
  const hi = Math.fround(x);
  return [hi, Math.fround(x - hi)];
}

function stepCode(s: NumericStep, k: number[]): string {
  switch (s.op) {
    case 'impute':
      return ''; // a finite value is left unchanged; missing values take the precomputed constant
    case 'affine': {
      // constants come from a buffer, not literals: a compiler may reassociate (v − hi) − lo
      // into v − (hi + lo) when hi and lo are compile-time constants, losing lo
      const [ch, cl] = split(s.center);
      const i = k.length;
      k.push(ch, cl, Math.fround(s.scale), Math.fround(s.offset));
      return `v = ((v - k[${i}u]) - k[${i + 1}u]) / k[${i + 2}u] + k[${i + 3}u];`;
    }
    case 'clip': {
      const lines: string[] = [];
      if (s.min !== null) lines.push(`v = max(v, ${f32(s.min)});`);
      if (s.max !== null) lines.push(`v = min(v, ${f32(s.max)});`);
      return lines.join(' ');
    }
    case 'log1p':
      return 'v = log1p_(v);';
    case 'bucketize': {
      const b = s.boundaries;
      if (b.length <= 8) return `v = ${b.map((t) => `select(0.0f, 1.0f, v >= ${f32(t)})`).join(' + ')};`;
      return `{ const B = array<f32, ${b.length}>(${b.map(f32).join(', ')}); var c = 0.0f; for (var k = 0u; k < ${b.length}u; k++) { c += select(0.0f, 1.0f, v >= B[k]); } v = c; }`;
    }
  }
}

/**
 * Generates the fused kernel of a numeric plan: one invocation per row computes every numeric
 * output of that row (impute, affine, clip, log1p, bucketize with the fitted constants written as
 * f32 literals, the affine constants from a small constant buffer) and copies the row's categorical
 * block (computed on the CPU) after them. Bindings: 0 = raw inputs [n, inputs], 1 = constants,
 * 2 = categorical block [n, cw] when cw > 0, then the output [n, width], then the uniform
 * { rows, threads per grid row }. Affine centres are split into float32 hi + lo parts, so
 * (x − hi) − lo keeps float64-like accuracy of the centring. The launch is folded into 2-D
 * when n / 64 exceeds 65535 workgroups.
 */
export function generateKernel(plan: NumericPlan): { code: string; constants: Float32Array } {
  const nin = plan.inputs.length;
  const cw = plan.categorical.width;
  const width = plan.width;
  const L: string[] = [];
  let b = 0;
  L.push(`@group(0) @binding(${b++}) var<storage, read> x: array<f32>;`);
  L.push(`@group(0) @binding(${b++}) var<storage, read> k: array<f32>;`);
  if (cw > 0) L.push(`@group(0) @binding(${b++}) var<storage, read> cat: array<f32>;`);
  L.push(`@group(0) @binding(${b++}) var<storage, read_write> y: array<f32>;`);
  L.push('struct Params { rows: u32, stride: u32, pad0: u32, pad1: u32 }');
  L.push(`@group(0) @binding(${b++}) var<uniform> params: Params;`);
  L.push('fn is_missing(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }');
  // ln(1+v): for −0.5 ≤ v ≤ 1, 2·atanh(s) with s = v/(2+v), |s| ≤ 1/3 (series to s^19, error < 1e-9);
  // elsewhere log(1 + v), where log is accurate to a few ulp.
  L.push(`fn log1p_(v: f32) -> f32 {
  if (v >= -0.5f && v <= 1.0f) {
    let s = v / (2.0f + v);
    let z = s * s;
    var p = 1.0f / 19.0f;
    p = p * z + 1.0f / 17.0f; p = p * z + 1.0f / 15.0f; p = p * z + 1.0f / 13.0f; p = p * z + 1.0f / 11.0f;
    p = p * z + 1.0f / 9.0f; p = p * z + 1.0f / 7.0f; p = p * z + 1.0f / 5.0f; p = p * z + 1.0f / 3.0f;
    return 2.0f * s * (p * z + 1.0f);
  }
  return log(1.0f + v);
}`);
  L.push(`@compute @workgroup_size(${WORKGROUP})`);
  L.push('fn main(@builtin(global_invocation_id) g: vec3<u32>) {');
  L.push('  let row = g.x + g.y * params.stride;');
  L.push('  if (row >= params.rows) { return; }');
  L.push(`  let xi = row * ${nin}u;`);
  L.push(`  let yo = row * ${width}u;`);
  const k: number[] = [];
  plan.outputs.forEach((o, j) => {
    const body = o.steps.map((st) => stepCode(st, k)).filter((s) => s !== '').join(' ');
    const miss = o.missing === null ? '' : ` v = ${f32(o.missing)};`;
    L.push(`  { var v = x[xi + ${o.input}u]; if (is_missing(v)) {${miss} } else { ${body} } y[yo + ${j}u] = v; }`);
  });
  if (nin > 0 && plan.outputs.length === 0) L.push('  _ = x[xi];');
  if (k.length === 0) {
    k.push(0);
    L.push('  _ = k[0];');
  }
  if (cw > 0) L.push(`  for (var k = 0u; k < ${cw}u; k++) { y[yo + ${plan.categorical.offset}u + k] = cat[row * ${cw}u + k]; }`);
  L.push('}');
  return { code: L.join('\n'), constants: Float32Array.from(k) };
}
