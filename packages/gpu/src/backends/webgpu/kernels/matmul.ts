/**
 * Matmul kernels, out = act(alpha·op(A)·op(B) + bias [+ out when accumulating]).
 *
 * Two families, chosen per adapter by the autotuner (see ../autotune.ts):
 * - `register`: no workgroup memory. Each invocation holds a TM×TN block of accumulators;
 *   the TM rows are shared by the whole workgroup row so A loads are uniform (llvmpipe turns
 *   them into one scalar load + broadcast), and the TN columns are strided by the workgroup
 *   width so that neighbouring lanes read neighbouring B elements. On lavapipe a storage load
 *   costs about 20 FMAs, so each loaded value is reused as often as registers allow.
 * - `shared`: the classic workgroup-memory tiling (BM×BN output tile, BK-deep slabs staged in
 *   workgroup memory), which wins on discrete GPUs where workgroup memory is on-chip.
 * Loads clamp their indices instead of branching, so control flow stays uniform; only the
 * final stores are guarded.
 */
import type { Activation } from '../../../backend.js';
import { applyActivationFn, mathFns } from './common.js';

export interface RegisterTile {
  family: 'register';
  tm: number;
  tn: number;
  wgx: number;
  wgy: number;
}
export interface SharedTile {
  family: 'shared';
  /** Output tile edge per workgroup (BM = BN), 16×16 invocations, each (bm/16)² outputs. */
  bm: number;
  bk: number;
}
/**
 * `subgroup`: for adapters with a fixed subgroup size `sg` (lavapipe: 8). Lane ℓ loads A rows
 * ℓ, ℓ+sg, … as vec4s along k and shares them with the other lanes by subgroupBroadcast, so
 * every element of A is loaded once per subgroup instead of once per lane; each lane owns
 * `cv` vec4 column groups of B. Needs k a multiple of 4, and n (B) or m (Aᵀ) too: see tileSupports.
 */
export interface SubgroupTile {
  family: 'subgroup';
  sg: number;
  /** Rows per subgroup = sg·ra. */
  ra: number;
  /** vec4 column groups per lane: columns per subgroup = 4·sg·cv. */
  cv: number;
  /** Subgroups per workgroup, stacked along rows. */
  wgs: number;
}
/**
 * `skinny`: for outputs of at most 16 columns (a logistic or linear head, the last layer of a
 * classifier): one invocation per output row holding all `nc` accumulators, so no lane idles on
 * columns that do not exist (a 2-D tile over 10 columns wastes most of its lanes).
 */
export interface SkinnyTile {
  family: 'skinny';
  /** Output columns, compiled in (1..16). */
  nc: number;
  /** Fixed subgroup size to share B's row by subgroupBroadcast (each lane loads nc/sg of it), or 0. */
  sg: number;
}
/**
 * `wide`: for a few rows (m ≤ 8: serving one request, a small batch). A 2-D tile would compute
 * 16–24 rows of which all but m are thrown away; here each lane owns 4 consecutive output
 * columns and the m rows' A values are shared across the subgroup by subgroupBroadcast, so every
 * element of B is loaded once and every lane does useful work.
 */
export interface WideTile {
  family: 'wide';
  sg: number;
  /** Rows, compiled in (1..sg). */
  mr: number;
  /** B is [k, n] with n a multiple of 4: load it as vec4s. */
  vec4b: boolean;
}
export type MatmulTile = RegisterTile | SharedTile | SubgroupTile | SkinnyTile | WideTile;

/** The skinny tile serves any product with n ≤ SKINNY_MAX_N. */
export const SKINNY_MAX_N = 16;

/**
 * What a compiled matmul pipeline is specialised on. Bias and activation are run-time flags in
 * the uniform block: lavapipe takes up to a second to compile one of these kernels, so one
 * pipeline serves every epilogue.
 */
export interface MatmulVariant {
  tile: MatmulTile;
  transposeA: boolean;
  transposeB: boolean;
}

export function tileKey(t: MatmulTile): string {
  if (t.family === 'register') return `r${t.tm}x${t.tn}w${t.wgx}x${t.wgy}`;
  if (t.family === 'subgroup') return `g${t.sg}r${t.ra}c${t.cv}w${t.wgs}`;
  if (t.family === 'skinny') return `k${t.nc}g${t.sg}`;
  if (t.family === 'wide') return `w${t.mr}g${t.sg}${t.vec4b ? 'v' : ''}`;
  return `s${t.bm}k${t.bk}`;
}

export function matmulKey(v: MatmulVariant): string {
  return `matmul:${tileKey(v.tile)}:${v.transposeA ? 'T' : 'N'}${v.transposeB ? 'T' : 'N'}`;
}

/** Workgroups to launch for an m×n output. */
export function matmulGrid(t: MatmulTile, m: number, n: number): [number, number] {
  if (t.family === 'register') return [Math.ceil(n / (t.wgx * t.tn)), Math.ceil(m / (t.wgy * t.tm))];
  if (t.family === 'subgroup') return [Math.ceil(m / (t.sg * t.ra * t.wgs)), Math.ceil(n / (4 * t.sg * t.cv))];
  if (t.family === 'skinny') return [Math.ceil(m / 64), 1];
  if (t.family === 'wide') return [Math.ceil(n / (4 * t.sg)), 1];
  return [Math.ceil(n / t.bm), Math.ceil(m / t.bm)];
}

const aAt = (transposeA: boolean, i: string, kk: string) => (transposeA ? `a[p.a_off + (${kk}) * p.m + ${i}]` : `a[p.a_off + ${i} * p.k + ${kk}]`);
const bAt = (transposeB: boolean, kk: string, j: string) => (transposeB ? `b[p.b_off + ${j} * p.k + ${kk}]` : `b[p.b_off + (${kk}) * p.n + ${j}]`);

/** Uniform block of every matmul kernel; `act` is an ACTIVATION_CODE. */
/**
 * Uniform block of every matmul kernel; `act` is an ACTIVATION_CODE. `a_off`, `b_off`, `o_off` are
 * element offsets inside the bound ranges (bindings start on 256-byte boundaries, chunks need not).
 */
export const MATMUL_PARAMS = 'struct P { m: u32, n: u32, k: u32, accumulate: u32, alpha: f32, has_bias: u32, act: u32, a_off: u32, b_off: u32, o_off: u32, pad0: u32, pad1: u32 }';

function bindings(vec4: boolean): string {
  const t = vec4 ? 'array<vec4<f32>>' : 'array<f32>';
  return [
    MATMUL_PARAMS,
    `@group(0) @binding(0) var<storage, read> ${vec4 ? 'a4' : 'a'}: ${t};`,
    `@group(0) @binding(1) var<storage, read> ${vec4 ? 'b4' : 'b'}: ${t};`,
    '@group(0) @binding(2) var<storage, read> bias: array<f32>;',
    '@group(0) @binding(3) var<storage, read_write> o: array<f32>;',
    '@group(0) @binding(4) var<uniform> p: P;',
    applyActivationFn,
  ].join('\n');
}

function epilogue(acc: string, row: string, col: string): string {
  return `{
      let idx = p.o_off + ${row} * p.n + ${col};
      var z = p.alpha * ${acc};
      if (p.has_bias != 0u) { z += bias[${col}]; }
      if (p.accumulate != 0u) { z += o[idx]; }
      o[idx] = apply_act(z, p.act);
    }`;
}

export function matmulKernel(v: MatmulVariant): string {
  if (v.tile.family === 'register') return registerKernel(v, v.tile);
  if (v.tile.family === 'subgroup') return subgroupKernel(v, v.tile);
  if (v.tile.family === 'skinny') return skinnyKernel(v, v.tile);
  if (v.tile.family === 'wide') return wideKernel(v, v.tile);
  return sharedKernel(v, v.tile);
}

/** Whether a tile can run this product (the subgroup tiles need vec4-aligned k and n, no transposes). */
export function tileSupports(t: MatmulTile, transposeA: boolean, transposeB: boolean, m: number, n: number, k: number): boolean {
  if (t.family === 'skinny') return n === t.nc;
  if (t.family === 'wide') return m === t.mr && (!t.vec4b || (!transposeB && n % 4 === 0));
  if (t.family !== 'subgroup') return true;
  // vec4 loads along k (A, or Bᵀ), along n (B) and along m (Aᵀ) need those sizes to be multiples of 4.
  return k % 4 === 0 && (transposeB || n % 4 === 0) && (!transposeA || (m % 4 === 0 && t.ra <= 4));
}

/** Rows of output one workgroup covers (for the dispatch-size limit). */
export function tileRows(t: MatmulTile): number {
  return t.family === 'register' ? t.tm * t.wgy : t.family === 'subgroup' ? t.sg * t.ra * t.wgs : t.family === 'skinny' ? 64 : t.family === 'wide' ? t.mr : t.bm;
}

function subgroupKernel(v: MatmulVariant, t: SubgroupTile): string {
  const S = t.sg;
  const RA = [...Array(t.ra).keys()];
  const CV = [...Array(t.cv).keys()];
  const rows = S * t.ra;
  const groups = rows / 4; // vec4 row groups, for a transposed A
  const L: string[] = [];
  L.push(`  let lane = sgid;`);
  // Row blocks vary fastest across workgroups so that consecutive workgroups share one
  // B column panel (it stays in cache) while A panels stream through.
  L.push(`  let row0 = (wid.x * ${t.wgs}u + lid.y) * ${rows}u;`);
  L.push(`  let c4base = wid.y * ${S * t.cv}u + lane;`);
  L.push('  let k4n = p.k / 4u; let n4 = (p.n + 3u) / 4u;');
  L.push('  let rmax = p.m - 1u; let cmax = p.n - 1u;');
  if (!v.transposeA) {
    // A [m, k]: lane ℓ loads rows ℓ, ℓ+S, … as vec4s along k.
    for (const q of RA) L.push(`  let arow${q} = p.a_off / 4u + min(row0 + ${q * S}u + lane, rmax) * k4n;`);
  } else {
    // Aᵀ stored [k, m]: lane ℓ < rows/4 loads the vec4 of rows 4ℓ..4ℓ+3 for each k.
    L.push(`  let m4 = p.m / 4u;`);
    L.push(`  let agrp = p.a_off / 4u + min(row0 / 4u + min(lane, ${groups - 1}u), m4 - 1u);`);
  }
  if (!v.transposeB) {
    for (const c of CV) L.push(`  let bcol${c} = min(c4base + ${c * S}u, n4 - 1u);`);
  } else {
    // Bᵀ stored [n, k]: each of the lane's 4 columns is a row of Bᵀ, loaded as vec4s along k.
    for (const c of CV) for (let e = 0; e < 4; e++) L.push(`  let brow${c}_${e} = p.b_off / 4u + min((c4base + ${c * S}u) * 4u + ${e}u, cmax) * k4n;`);
  }
  for (let r = 0; r < rows; r++) for (const c of CV) L.push(`  var acc${r}_${c} = vec4<f32>(0.0);`);
  L.push('  for (var k4 = 0u; k4 < k4n; k4++) {');
  if (!v.transposeA) for (const q of RA) L.push(`    let av${q} = a4[arow${q} + k4];`);
  else for (let kk = 0; kk < 4; kk++) L.push(`    let at${kk} = a4[agrp + (k4 * 4u + ${kk}u) * m4];`);
  if (!v.transposeB) {
    for (let kk = 0; kk < 4; kk++) for (const c of CV) L.push(`    let b${kk}_${c} = b4[p.b_off / 4u + (k4 * 4u + ${kk}u) * (p.n / 4u) + bcol${c}];`);
  } else {
    for (const c of CV) for (let e = 0; e < 4; e++) L.push(`    let bt${c}_${e} = b4[brow${c}_${e} + k4];`);
    for (let kk = 0; kk < 4; kk++) {
      const comp = 'xyzw'[kk];
      for (const c of CV) L.push(`    let b${kk}_${c} = vec4<f32>(bt${c}_0.${comp}, bt${c}_1.${comp}, bt${c}_2.${comp}, bt${c}_3.${comp});`);
    }
  }
  for (let kk = 0; kk < 4; kk++) {
    const comp = 'xyzw'[kk];
    for (let r = 0; r < rows; r++) {
      // Row r's A value for this k, broadcast from the lane that loaded it.
      const a = !v.transposeA ? `subgroupBroadcast(av${Math.floor(r / S)}.${comp}, ${r % S}u)` : `subgroupBroadcast(at${kk}.${'xyzw'[r % 4]}, ${Math.floor(r / 4)}u)`;
      L.push(`    { let a = ${a};`);
      for (const c of CV) L.push(`      acc${r}_${c} = fma(vec4<f32>(a), b${kk}_${c}, acc${r}_${c});`);
      L.push('    }');
    }
  }
  L.push('  }');
  // One epilogue in a loop over the accumulators: unrolled epilogues multiply compile time.
  const nacc = rows * t.cv;
  L.push(`  var res: array<vec4<f32>, ${nacc}>;`);
  for (let r = 0; r < rows; r++) for (const c of CV) L.push(`  res[${r * t.cv + c}u] = acc${r}_${c};`);
  L.push(`  for (var e = 0u; e < ${nacc}u; e++) {`);
  L.push(`    let row = row0 + e / ${t.cv}u; let c4 = c4base + (e % ${t.cv}u) * ${S}u;`);
  L.push('    if (row < p.m && c4 < n4) {');
  L.push('      let v = res[e];');
  L.push('      for (var q = 0u; q < 4u; q++) {');
  L.push('        let col = c4 * 4u + q;');
  L.push(`        if (col < p.n) ${epilogue('v[q]', 'row', 'col')}`);
  L.push('      }');
  L.push('    }');
  L.push('  }');
  return `enable subgroups;
${mathFns}
${bindings(true)}
@compute @workgroup_size(${S}, ${t.wgs})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(subgroup_invocation_id) sgid: u32) {
${L.join('\n')}
}`;
}

function registerKernel(v: MatmulVariant, t: RegisterTile): string {
  const R = [...Array(t.tm).keys()];
  const C = [...Array(t.tn).keys()];
  const lines: string[] = [];
  lines.push(`  let row0 = wid.y * ${t.wgy * t.tm}u + lid.y * ${t.tm}u;`);
  lines.push(`  let col0 = wid.x * ${t.wgx * t.tn}u + lid.x;`);
  lines.push('  let rmax = p.m - 1u;');
  lines.push('  let cmax = p.n - 1u;');
  for (const r of R) lines.push(`  let ar${r} = min(row0 + ${r}u, rmax);`);
  for (const c of C) lines.push(`  let bc${c} = min(col0 + ${c * t.wgx}u, cmax);`);
  for (const r of R) for (const c of C) lines.push(`  var acc${r}_${c} = 0.0;`);
  const step = (kk: string) => {
    const s: string[] = [];
    for (const r of R) s.push(`    let a${r} = ${aAt(v.transposeA, `ar${r}`, kk)};`);
    for (const c of C) s.push(`    let b${c} = ${bAt(v.transposeB, kk, `bc${c}`)};`);
    for (const r of R) for (const c of C) s.push(`    acc${r}_${c} = fma(a${r}, b${c}, acc${r}_${c});`);
    return s.join('\n');
  };
  // Unrolled by 4, then the remainder.
  lines.push('  let k4 = p.k & ~3u;');
  lines.push('  var kk = 0u;');
  lines.push('  for (; kk < k4; kk += 4u) {');
  for (let u = 0; u < 4; u++) lines.push(`  {\n${step(`kk + ${u}u`)}\n  }`);
  lines.push('  }');
  lines.push('  for (; kk < p.k; kk++) {');
  lines.push(step('kk'));
  lines.push('  }');
  // One epilogue in a loop over the accumulators: unrolled epilogues multiply compile time.
  lines.push(`  var res: array<f32, ${t.tm * t.tn}>;`);
  for (const r of R) for (const c of C) lines.push(`  res[${r * t.tn + c}u] = acc${r}_${c};`);
  lines.push(`  for (var e = 0u; e < ${t.tm * t.tn}u; e++) {`);
  lines.push(`    let row = row0 + e / ${t.tn}u; let col = col0 + (e % ${t.tn}u) * ${t.wgx}u;`);
  lines.push(`    if (row < p.m && col < p.n) ${epilogue('res[e]', 'row', 'col')}`);
  lines.push('  }');
  return `${mathFns}
${bindings(false)}
@compute @workgroup_size(${t.wgx}, ${t.wgy})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
${lines.join('\n')}
}`;
}

function skinnyKernel(v: MatmulVariant, t: SkinnyTile): string {
  const C = [...Array(t.nc).keys()];
  const S = t.sg;
  const Q = S ? [...Array(Math.ceil(t.nc / S)).keys()] : [];
  const L: string[] = [];
  L.push('  let row = wid.x * 64u + lid.x;');
  L.push('  let ar = min(row, p.m - 1u);');
  for (const c of C) L.push(`  var acc${c} = 0.0;`);
  if (S) for (const q of Q) L.push(`  let bc${q} = min(${q * S}u + sgid, p.n - 1u);`);
  L.push('  for (var kk = 0u; kk < p.k; kk++) {');
  L.push(`    let a = ${aAt(v.transposeA, 'ar', 'kk')};`);
  if (S) {
    // B's row kk is the same for every lane: each lane loads nc/S of it, then broadcasts.
    for (const q of Q) L.push(`    let bq${q} = ${bAt(v.transposeB, 'kk', `bc${q}`)};`);
    for (const c of C) L.push(`    acc${c} = fma(a, subgroupBroadcast(bq${Math.floor(c / S)}, ${c % S}u), acc${c});`);
  } else {
    for (const c of C) L.push(`    acc${c} = fma(a, ${bAt(v.transposeB, 'kk', `${c}u`)}, acc${c});`);
  }
  L.push('  }');
  L.push('  if (row < p.m) {');
  L.push(`    var res: array<f32, ${t.nc}>;`);
  for (const c of C) L.push(`    res[${c}u] = acc${c};`);
  L.push(`    for (var c = 0u; c < ${t.nc}u; c++) ${epilogue('res[c]', 'row', 'c')}`);
  L.push('  }');
  return `${S ? 'enable subgroups;' : ''}
${mathFns}
${bindings(false)}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>${S ? ', @builtin(subgroup_invocation_id) sgid: u32' : ''}) {
${L.join('\n')}
}`;
}

function wideKernel(v: MatmulVariant, t: WideTile): string {
  const R = [...Array(t.mr).keys()];
  const L: string[] = [];
  L.push('  let lane = sgid;');
  L.push(`  let col0 = (wid.x * ${t.sg}u + lane) * 4u;`);
  L.push('  let cmax = p.n - 1u;');
  L.push(`  let arow = min(lane, ${t.mr - 1}u);`);
  for (const r of R) L.push(`  var acc${r} = vec4<f32>(0.0);`);
  if (!t.vec4b) for (let e = 0; e < 4; e++) L.push(`  let bc${e} = min(col0 + ${e}u, cmax);`);
  else L.push('  let n4 = p.n / 4u; let bc4 = min(col0 / 4u, n4 - 1u);');
  L.push('  for (var kk = 0u; kk < p.k; kk++) {');
  L.push(`    let av = ${aAt(v.transposeA, 'arow', 'kk')};`);
  if (t.vec4b) L.push('    let b = b4[p.b_off / 4u + kk * n4 + bc4];');
  else L.push(`    let b = vec4<f32>(${[0, 1, 2, 3].map((e) => bAt(v.transposeB, 'kk', `bc${e}`)).join(', ')});`);
  for (const r of R) L.push(`    acc${r} = fma(vec4<f32>(subgroupBroadcast(av, ${r}u)), b, acc${r});`);
  L.push('  }');
  L.push(`  var res: array<vec4<f32>, ${t.mr}>;`);
  for (const r of R) L.push(`  res[${r}u] = acc${r};`);
  L.push(`  for (var row = 0u; row < ${t.mr}u; row++) {`);
  L.push('    let v = res[row];');
  L.push('    for (var q = 0u; q < 4u; q++) {');
  L.push('      let col = col0 + q;');
  L.push(`      if (col < p.n) ${epilogue('v[q]', 'row', 'col')}`);
  L.push('    }');
  L.push('  }');
  const binds = [
    MATMUL_PARAMS,
    '@group(0) @binding(0) var<storage, read> a: array<f32>;',
    `@group(0) @binding(1) var<storage, read> ${t.vec4b ? 'b4: array<vec4<f32>>' : 'b: array<f32>'};`,
    '@group(0) @binding(2) var<storage, read> bias: array<f32>;',
    '@group(0) @binding(3) var<storage, read_write> o: array<f32>;',
    '@group(0) @binding(4) var<uniform> p: P;',
    applyActivationFn,
  ].join('\n');
  return `enable subgroups;
${mathFns}
${binds}
@compute @workgroup_size(${t.sg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sgid: u32) {
${L.join('\n')}
}`;
}

function sharedKernel(v: MatmulVariant, t: SharedTile): string {
  const BM = t.bm;
  const BK = t.bk;
  const TPT = BM / 16; // outputs per thread along each axis
  const loadsPerThread = (BM * BK) / 256;
  const R = [...Array(TPT).keys()];
  const lines: string[] = [];
  lines.push(`  let tr = lid.y; let tc = lid.x; let tid = lid.y * 16u + lid.x;`);
  lines.push(`  let rowBase = wid.y * ${BM}u; let colBase = wid.x * ${BM}u;`);
  for (const r of R) for (const c of R) lines.push(`  var acc${r}_${c} = 0.0;`);
  lines.push('  for (var k0 = 0u; k0 < p.k; k0 += ' + BK + 'u) {');
  // Stage an BM×BK slab of A and a BK×BM slab of B; out-of-range elements load 0.
  lines.push(`    for (var l = 0u; l < ${loadsPerThread}u; l++) {`);
  lines.push(`      let e = tid + l * 256u;`);
  lines.push(`      let ar = e / ${BK}u; let ak = e % ${BK}u;`);
  lines.push(`      let gi = rowBase + ar; let gk = k0 + ak;`);
  lines.push(`      var av = 0.0; if (gi < p.m && gk < p.k) { av = ${aAt(v.transposeA, 'gi', 'gk')}; }`);
  lines.push(`      As[ak * ${BM}u + ar] = av;`);
  lines.push(`      let bk = e / ${BM}u; let bcn = e % ${BM}u;`);
  lines.push(`      let gj = colBase + bcn; let gk2 = k0 + bk;`);
  lines.push(`      var bv = 0.0; if (gj < p.n && gk2 < p.k) { bv = ${bAt(v.transposeB, 'gk2', 'gj')}; }`);
  lines.push(`      Bs[bk * ${BM}u + bcn] = bv;`);
  lines.push('    }');
  lines.push('    workgroupBarrier();');
  lines.push(`    for (var kk = 0u; kk < ${BK}u; kk++) {`);
  for (const r of R) lines.push(`      let a${r} = As[kk * ${BM}u + tr + ${r * 16}u];`);
  for (const c of R) lines.push(`      let b${c} = Bs[kk * ${BM}u + tc + ${c * 16}u];`);
  for (const r of R) for (const c of R) lines.push(`      acc${r}_${c} = fma(a${r}, b${c}, acc${r}_${c});`);
  lines.push('    }');
  lines.push('    workgroupBarrier();');
  lines.push('  }');
  lines.push(`  var res: array<f32, ${TPT * TPT}>;`);
  for (const r of R) for (const c of R) lines.push(`  res[${r * TPT + c}u] = acc${r}_${c};`);
  lines.push(`  for (var e = 0u; e < ${TPT * TPT}u; e++) {`);
  lines.push(`    let row = rowBase + tr + (e / ${TPT}u) * 16u; let col = colBase + tc + (e % ${TPT}u) * 16u;`);
  lines.push(`    if (row < p.m && col < p.n) ${epilogue('res[e]', 'row', 'col')}`);
  lines.push('  }');
  return `${mathFns}
${bindings(false)}
var<workgroup> As: array<f32, ${BM * BK}>;
var<workgroup> Bs: array<f32, ${BM * BK}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
${lines.join('\n')}
}`;
}

/** Candidate tiles the autotuner times; the first is the default before tuning. */
export const MATMUL_CANDIDATES: MatmulTile[] = [
  { family: 'subgroup', sg: 8, ra: 2, cv: 3, wgs: 1 },
  { family: 'subgroup', sg: 8, ra: 2, cv: 2, wgs: 1 },
  { family: 'subgroup', sg: 8, ra: 3, cv: 2, wgs: 1 },
  { family: 'register', tm: 4, tn: 4, wgx: 16, wgy: 4 },
  { family: 'register', tm: 4, tn: 2, wgx: 64, wgy: 1 },
  { family: 'register', tm: 8, tn: 2, wgx: 64, wgy: 1 },
  { family: 'shared', bm: 64, bk: 16 },
  { family: 'shared', bm: 32, bk: 16 },
];

/** The tile used before tuning and wherever a tuned subgroup tile cannot run the shape. */
export const DEFAULT_GENERAL_TILE: MatmulTile = { family: 'register', tm: 4, tn: 4, wgx: 16, wgy: 4 };
