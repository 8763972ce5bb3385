/**
 * The fused forward + backward of a small dense network (`gpu.denseGradients`): two dispatches
 * per training step instead of a dozen small kernels.
 *
 * Written for what lavapipe (llvmpipe: a subgroup of 8 lanes is one SIMD vector) runs fast, and
 * fine on GPUs with a fixed subgroup size: a memory access whose address differs per lane costs
 * ~15 instructions per lane, and inside a loop even a uniform load is done per lane; register
 * work, constant-lane subgroupBroadcast and constant-mask subgroupShuffleXor cost about an FMA.
 * So the kernel touches memory only to read each row once and to write its partials once:
 *
 * Kernel A (`denseGradKernel`): a workgroup is ONE subgroup of `sg` lanes. Every weight is read
 * once into private values (uniform loads, before the loop). The workgroup then walks its rows
 * `sg` at a time, lane ℓ owning row ℓ of the block: forward through every layer, the loss and its
 * gradient, backward to every layer's dZ, all in private variables with constant indices. The
 * block's contribution to dW_l = Σ_rows a_l ⊗ dZ_l is formed in registers: the wider factor is
 * transposed across the lanes (log2(sg) butterfly stages of subgroupShuffleXor), so that lane ℓ
 * owns every sg-th unit of it, and the other factor is broadcast row by row; lane ℓ accumulates
 * its units' gradients for all rows of all blocks. Partials [G, P] are written once, as vec4s,
 * in a lane-major order that kernel B undoes.
 *
 * Kernel B (`denseGradSumKernel`): per partial slot (4 per invocation), the G workgroups' values
 * summed in a fixed order (deterministic), divided by the summed normaliser (rows, elements, or
 * Σ class weights), scattered to dW_l, db_l and the loss.
 *
 * Dimensions, activations and the loss are compiled in; weights are [d_l, d_{l+1}] row-major.
 */
import type { Activation, DenseLoss } from '../../../backend.js';
import { activationExpr, activationGradExpr, mathFns } from './common.js';

/** Widest layer the fused kernel takes. */
export const DENSE_MAX_WIDTH = 256;
/** Most weights: each is a private value and a line of generated code, twice (forward and backward). */
export const DENSE_MAX_WEIGHTS = 8192;
/** Most layers: the kernel binds x, y, each W and b, the partials (+ optional weights) under 10 storage buffers. */
export const DENSE_MAX_LAYERS = 3;
/** Workgroups kernel A aims for: enough for every core, few enough that kernel B stays small. */
export const DENSE_TARGET_GROUPS = 16;
/** The same on a software adapter (lavapipe): its cores also pay each workgroup's fixed costs. */
export const DENSE_SOFTWARE_GROUPS = 4;

export interface DenseShape {
  dims: number[];
  /** Hidden activations, one per layer but the last (whose output is the loss's input). */
  acts: Activation[];
  loss: DenseLoss;
  sampleWeights: boolean;
  classWeights: boolean;
}

const up4 = (v: number) => Math.ceil(v / 4) * 4;

/**
 * How layer l's gradient is reduced: `transposeDz` — lanes own output units j ≡ ℓ (mod sg) and
 * the layer inputs are broadcast; else lanes own input units i ≡ ℓ (mod sg) and dZ is broadcast
 * (by vec4 groups when the width allows). `M` units per lane, grouped into MG vec4s.
 */
interface LayerReduce {
  transposeDz: boolean;
  /** Lane ℓ owns unit u = 4·(sg·g + ℓ) + e of vec4 group g (else u = (4·g + e)·sg + ℓ). */
  vecUnits: boolean;
  M: number;
  MG: number;
  /** Float offsets in a workgroup's partials: dW's slots, then db's. */
  offW: number;
  offB: number;
}

/** Where everything sits in a workgroup's partials (floats; `stride` is a multiple of 4). */
export interface DenseLayout {
  sg: number;
  layers: LayerReduce[];
  loss: number;
  norm: number;
  stride: number;
}

/** Transpose the factor whose padding wastes fewer FMAs (ties: the wider one, fewer broadcasts). */
export function denseLayout(dims: number[], sg: number): DenseLayout {
  const layers: LayerReduce[] = [];
  let o = 0;
  for (let l = 0; l + 1 < dims.length; l++) {
    const din = dims[l], dout = dims[l + 1];
    const pad = (w: number) => Math.ceil(w / (4 * sg)) * 4 * sg;
    const costDz = pad(dout) * din + dout * 2;
    const costA = pad(din) * dout + din * 2;
    const transposeDz = costDz < costA || (costDz === costA && dout >= din);
    const width = transposeDz ? dout : din;
    // Widths of a multiple of 4 are transposed as vec4s (lane ℓ owns unit groups sg·b + ℓ); others unit by unit.
    const vecUnits = width % 4 === 0;
    const M = vecUnits ? Math.ceil(width / 4 / sg) * 4 : Math.ceil(width / sg);
    const MG = Math.ceil(M / 4);
    const offW = o;
    o += (transposeDz ? din : dout) * MG * sg * 4;
    const offB = o;
    o += transposeDz ? MG * sg * 4 : up4(dout);
    layers.push({ transposeDz, vecUnits, M, MG, offW, offB });
  }
  return { sg, layers, loss: o, norm: o + 1, stride: up4(o + 2) };
}

export function denseGradKey(s: DenseShape, sg: number): string {
  return `denseGradients:${s.dims.join('x')}:${s.acts.join(',')}:${s.loss}:${s.sampleWeights ? 's' : ''}${s.classWeights ? 'c' : ''}:g${sg}`;
}

export function denseGradSumKey(dims: number[], sg: number, accumulate: boolean, adam?: DenseAdamLayout): string {
  const a = adam ? `:adam${adam.decoupled ? 'w' : ''}@${adam.offsetsW.join(',')}/${adam.offsetsB.join(',')}` : '';
  return `denseGradients:sum:${dims.join('x')}:g${sg}:${accumulate ? 'add' : 'set'}${a}`;
}

/** A per-row vector held in private variables: vec4 groups where the width allows, else scalars. */
class RowVec {
  readonly gs: number;
  constructor(
    readonly name: string,
    readonly width: number,
  ) {
    this.gs = width % 4 === 0 ? 4 : 1;
  }
  get groups(): number {
    return this.width / this.gs;
  }
  get type(): string {
    return this.gs === 4 ? 'vec4<f32>' : 'f32';
  }
  group(c: number): string {
    return `${this.name}_${c}`;
  }
  elem(i: number): string {
    return this.gs === 4 ? `${this.name}_${i >> 2}[${i & 3}]` : `${this.name}_${i}`;
  }
}

function groupExpr(type: string, parts: string[]): string {
  return parts.length === 1 ? parts[0] : `${type}(${parts.join(', ')})`;
}

function actGroup(act: Activation, v: RowVec, z: string): string {
  if (v.gs === 1) return activationExpr(act, z);
  if (act === 'relu') return `max(${z}, vec4<f32>(0.0))`;
  if (act === 'none') return z;
  return `vec4<f32>(${[0, 1, 2, 3].map((e) => activationExpr(act, `${z}[${e}]`)).join(', ')})`;
}

function actGradGroup(act: Activation, v: RowVec, z: string): string {
  if (v.gs === 1) return activationGradExpr(act, z);
  if (act === 'relu') return `select(vec4<f32>(0.0), vec4<f32>(1.0), ${z} > vec4<f32>(0.0))`;
  if (act === 'none') return 'vec4<f32>(1.0)';
  return `vec4<f32>(${[0, 1, 2, 3].map((e) => activationGradExpr(act, `${z}[${e}]`)).join(', ')})`;
}

/**
 * Transposes `vals` (this lane's row, padded with zeros to a multiple of sg) across the
 * subgroup, block by block: afterwards the value named `${out}_${m}_${c}` in lane ℓ is row c's
 * value of unit sg·m + ℓ. Each stage s swaps bit s between the lane and the register index.
 */
function emitTranspose(emit: (line: string) => void, vals: string[], out: string, sg: number, zero: string): void {
  const blocks = Math.ceil(vals.length / sg);
  for (let m = 0; m < blocks; m++) {
    let v = Array.from({ length: sg }, (_, c) => vals[m * sg + c] ?? zero);
    for (let s = sg >> 1; s >= 1; s >>= 1) {
      const next = v.slice();
      for (let c = 0; c < sg; c++) {
        if (c & s) continue;
        const lo = `${out}_${m}_${c}_s${s}`;
        const hi = `${out}_${m}_${c ^ s}_s${s}`;
        emit(`let ${lo}r = subgroupShuffleXor(select(${v[c ^ s]}, ${v[c]}, lb${s}), ${s}u);`);
        emit(`let ${lo} = select(${v[c]}, ${lo}r, lb${s});`);
        emit(`let ${hi} = select(${lo}r, ${v[c ^ s]}, lb${s});`);
        next[c] = lo;
        next[c ^ s] = hi;
      }
      v = next;
    }
    for (let c = 0; c < sg; c++) emit(`let ${out}_${m}_${c} = ${v[c]};`);
  }
}

/** A vec4 of four of a lane's M units (zeros past M). */
function unitGroup(name: (m: number) => string, M: number, mg: number): string {
  return `vec4<f32>(${[0, 1, 2, 3].map((e) => (4 * mg + e < M ? name(4 * mg + e) : '0.0')).join(', ')})`;
}

export function denseGradKernel(s: DenseShape, sg: number): string {
  const { dims, acts, loss } = s;
  const L = dims.length - 1;
  const k = dims[L];
  const lay = denseLayout(dims, sg);
  // Bindings.
  const binds: string[] = [];
  let b = 0;
  binds.push(`@group(0) @binding(${b++}) var<storage, read> x: array<f32>;`);
  binds.push(`@group(0) @binding(${b++}) var<storage, read> y: array<f32>;`);
  if (s.sampleWeights) binds.push(`@group(0) @binding(${b++}) var<storage, read> sw: array<f32>;`);
  if (s.classWeights) binds.push(`@group(0) @binding(${b++}) var<storage, read> cw: array<f32>;`);
  const z: RowVec[] = [];
  for (let l = 0; l < L; l++) {
    z.push(new RowVec(`z${l}`, dims[l + 1]));
    binds.push(`@group(0) @binding(${b++}) var<storage, read> w${l}: array<${z[l].type}>;`);
    binds.push(`@group(0) @binding(${b++}) var<storage, read> b${l}: array<f32>;`);
  }
  binds.push(`@group(0) @binding(${b++}) var<storage, read_write> part: array<vec4<f32>>;`);
  binds.push('struct P { n: u32, rows: u32, delta: f32, pad: u32 }');
  binds.push(`@group(0) @binding(${b++}) var<uniform> p: P;`);

  const xin = new RowVec('x', dims[0]);
  const h = z.map((v, l) => new RowVec(`h${l}`, v.width));
  const dz = z.map((v, l) => new RowVec(`dz${l}`, v.width));
  const B: string[] = [];
  let indent = '  ';
  const emit = (line: string) => B.push(`${indent}${line}`);
  // Weights spread over the lanes: lane ℓ holds groups k·sg + ℓ; any one is a constant-lane broadcast.
  const W = (l: number, i: number, c: number) => {
    const f = i * z[l].groups + c;
    return `subgroupBroadcast(wq${l}_${Math.floor(f / sg)}, ${f % sg}u)`;
  };

  // ---- once per workgroup: weights and biases into private values, accumulators ----------
  emit('let lane = sgid;');
  for (let sb = sg >> 1; sb >= 1; sb >>= 1) emit(`let lb${sb} = (lane & ${sb}u) != 0u;`);
  emit('let row0 = wid.x * p.rows;');
  emit('let row1 = min(row0 + p.rows, p.n);');
  for (let l = 0; l < L; l++) {
    const v = z[l];
    const count = dims[l] * v.groups;
    for (let q = 0; q * sg < count; q++) emit(`let wq${l}_${q} = w${l}[min(${q * sg}u + lane, ${count - 1}u)];`);
    for (let c = 0; c < v.groups; c++) emit(`let bq${l}_${c} = ${v.gs === 4 ? `vec4<f32>(b${l}[${4 * c}u], b${l}[${4 * c + 1}u], b${l}[${4 * c + 2}u], b${l}[${4 * c + 3}u])` : `b${l}[${c}u]`};`);
  }
  for (let l = 0; l < L; l++) {
    const r = lay.layers[l];
    const other = r.transposeDz ? dims[l] : dims[l + 1];
    for (let o = 0; o < other; o++) for (let mg = 0; mg < r.MG; mg++) emit(`var g${l}_${o}_${mg} = vec4<f32>(0.0);`);
    if (r.transposeDz) for (let mg = 0; mg < r.MG; mg++) emit(`var gb${l}_${mg} = vec4<f32>(0.0);`);
    else for (let j = 0; j < dims[l + 1]; j++) emit(`var gb${l}_${j} = 0.0;`);
  }
  emit('var lsum = 0.0;');
  emit('var nsum = 0.0;');

  // ---- the workgroup's rows, sg at a time -------------------------------------------------
  emit(`for (var r0 = row0; r0 < row1; r0 += ${sg}u) {`);
  indent = '    ';
  emit('let valid = r0 + lane < row1;');
  emit('let r = min(r0 + lane, p.n - 1u);');
  for (let c = 0; c < xin.groups; c++) {
    emit(`let ${xin.group(c)} = ${groupExpr(xin.type, Array.from({ length: xin.gs }, (_, e) => `x[r * ${dims[0]}u + ${c * xin.gs + e}u]`))};`);
  }
  // forward
  for (let l = 0; l < L; l++) {
    const v = z[l];
    const src = l === 0 ? xin : h[l - 1];
    for (let c = 0; c < v.groups; c++) emit(`var ${v.group(c)} = bq${l}_${c};`);
    for (let i = 0; i < dims[l]; i++) {
      const hi = v.gs === 4 ? `vec4<f32>(${src.elem(i)})` : src.elem(i);
      for (let c = 0; c < v.groups; c++) emit(`${v.group(c)} = fma(${hi}, ${W(l, i, c)}, ${v.group(c)});`);
    }
    if (l < L - 1) for (let c = 0; c < v.groups; c++) emit(`let ${h[l].group(c)} = ${actGroup(acts[l], v, v.group(c))};`);
  }
  // loss and its gradient w.r.t. the last pre-activation (unnormalised)
  const zl = z[L - 1];
  const zi = (j: number) => zl.elem(j);
  const gOut: string[] = [];
  emit(`let sw_r = ${s.sampleWeights ? 'sw[r]' : '1.0'};`);
  if (loss === 'softmaxCrossEntropy') {
    emit('let yc = u32(y[r]);');
    // log Σ e^(z−mx) as log1p of the terms other than the first maximum's, and the loss
    // as (mx − z_y) + that: no cancellation when the loss is small (a confident right answer).
    emit(`var mx = ${zi(0)};`);
    emit('var jm = 0u;');
    for (let j = 1; j < k; j++) emit(`if (${zi(j)} > mx) { mx = ${zi(j)}; jm = ${j}u; }`);
    emit('var se = 0.0;');
    for (let j = 0; j < k; j++) emit(`se += select(exp(${zi(j)} - mx), 0.0, jm == ${j}u);`);
    emit('let lse1 = log1p_f(se);');
    emit('let lse = mx + lse1;');
    emit('var zy = 0.0;');
    for (let j = 0; j < k; j++) emit(`zy = select(zy, ${zi(j)}, yc == ${j}u);`);
    emit(`let wy = ${s.classWeights ? 'cw[yc]' : '1.0'};`);
    emit('let gsc = wy * sw_r;');
    emit('let ell = gsc * ((mx - zy) + lse1);');
    emit('let wn = wy;');
    // The label's p_y − 1 as −Σ_{j≠y} p_j: no cancellation where p_y rounds near 1.
    emit('var po = 0.0;');
    for (let j = 0; j < k; j++) {
      emit(`let p${j} = exp(${zi(j)} - lse);`);
      emit(`po += select(p${j}, 0.0, yc == ${j}u);`);
    }
    for (let j = 0; j < k; j++) gOut.push(`gsc * select(p${j}, -po, yc == ${j}u)`);
  } else {
    emit('var ell = 0.0;');
    for (let j = 0; j < k; j++) {
      emit(`let t${j} = y[r * ${k}u + ${j}u];`);
      if (loss === 'binaryCrossEntropy') {
        // The loss kernel's stable forms: e = e^−|z|, log1p_f(e), σ(−|z|) = e/(1+e).
        emit(`let e${j} = exp(-abs(${zi(j)}));`);
        emit(`ell += max(${zi(j)}, 0.0) - ${zi(j)} * t${j} + log1p_f(e${j});`);
        emit(`let s${j} = e${j} / (1.0 + e${j});`);
        gOut.push(`sw_r * select(s${j} - t${j}, (1.0 - t${j}) - s${j}, ${zi(j)} >= 0.0)`);
      } else if (loss === 'meanSquaredError') {
        emit(`let d${j} = ${zi(j)} - t${j};`);
        emit(`ell += d${j} * d${j};`);
        gOut.push(`sw_r * 2.0 * d${j}`);
      } else {
        emit(`let d${j} = ${zi(j)} - t${j};`);
        emit(`let c${j} = clamp(d${j}, -p.delta, p.delta);`);
        emit(`ell += c${j} * (d${j} - 0.5 * c${j});`);
        gOut.push(`sw_r * c${j}`);
      }
    }
    emit('ell *= sw_r;');
    emit(`let wn = ${k}.0;`);
  }
  {
    const v = dz[L - 1];
    // Rows past the workgroup's end contribute nothing: their dZ is zero from here on.
    for (let c = 0; c < v.groups; c++) emit(`let ${v.group(c)} = select(${v.type}(0.0), ${groupExpr(v.type, gOut.slice(c * v.gs, (c + 1) * v.gs))}, valid);`);
  }
  // Loss and normaliser summed over the block's rows (a butterfly: every lane gets the same sum).
  emit('var bl = select(0.0, ell, valid);');
  emit('var bn = select(0.0, wn, valid);');
  for (let sb = 1; sb < sg; sb <<= 1) emit(`bl += subgroupShuffleXor(bl, ${sb}u); bn += subgroupShuffleXor(bn, ${sb}u);`);
  emit('lsum += bl;');
  emit('nsum += bn;');
  // backward: dZ_{l−1} = (dZ_l · W_lᵀ) ⊙ act'(Z_{l−1})
  for (let l = L - 1; l >= 1; l--) {
    const cur = dz[l];
    const prev = dz[l - 1];
    const zp = z[l - 1];
    const da = (i: number) => {
      if (cur.gs === 4) return Array.from({ length: cur.groups }, (_, c) => `dot(${cur.group(c)}, ${W(l, i, c)})`).join(' + ');
      return Array.from({ length: dims[l + 1] }, (_, j) => `${cur.elem(j)} * ${W(l, i, j)}`).join(' + ');
    };
    for (let c = 0; c < prev.groups; c++) {
      const parts = Array.from({ length: prev.gs }, (_, e) => `(${da(c * prev.gs + e)})`);
      emit(`let ${prev.group(c)} = ${groupExpr(prev.type, parts)} * ${actGradGroup(acts[l - 1], zp, zp.group(c))};`);
    }
  }
  // per layer: this block's a ⊗ dZ into the lane's accumulators (a = the layer's input)
  for (let l = 0; l < L; l++) {
    const r = lay.layers[l];
    const a = l === 0 ? xin : h[l - 1];
    const d = dz[l];
    const tv = r.transposeDz ? d : a;
    const bv = r.transposeDz ? a : d;
    const T = `tr${l}`;
    // After the transpose, `${T}_${g}_${c}` in lane ℓ is row c's value of this lane's g-th unit (group).
    const unit = (g: number, c: number) => `${T}_${g}_${c}`;
    const mine = (mg: number, c: number) => (r.vecUnits ? unit(mg, c) : unitGroup((m) => unit(m, c), r.M, mg));
    if (r.vecUnits) emitTranspose(emit, Array.from({ length: tv.groups }, (_, g) => tv.group(g)), T, sg, 'vec4<f32>(0.0)');
    else emitTranspose(emit, Array.from({ length: tv.width }, (_, u) => tv.elem(u)), T, sg, '0.0');
    for (let c = 0; c < sg; c++) {
      for (let og = 0; og < bv.groups; og++) {
        emit(`{ let bc = subgroupBroadcast(${bv.group(og)}, ${c}u);`);
        for (let e = 0; e < bv.gs; e++) {
          const o = og * bv.gs + e;
          const bo = bv.gs === 4 ? `bc[${e}]` : 'bc';
          for (let mg = 0; mg < r.MG; mg++) emit(`  g${l}_${o}_${mg} = fma(vec4<f32>(${bo}), ${mine(mg, c)}, g${l}_${o}_${mg});`);
          if (!r.transposeDz) emit(`  gb${l}_${o} += ${bo};`);
        }
        emit('}');
      }
      if (r.transposeDz) for (let mg = 0; mg < r.MG; mg++) emit(`gb${l}_${mg} += ${mine(mg, c)};`);
    }
  }
  indent = '  ';
  emit('}');

  // ---- partials, once: lane-major vec4s (kernel B knows the order) ------------------------
  emit(`let pb = wid.x * ${lay.stride / 4}u;`);
  for (let l = 0; l < L; l++) {
    const r = lay.layers[l];
    const other = r.transposeDz ? dims[l] : dims[l + 1];
    for (let o = 0; o < other; o++) for (let mg = 0; mg < r.MG; mg++) emit(`part[pb + ${r.offW / 4 + (o * r.MG + mg) * sg}u + lane] = g${l}_${o}_${mg};`);
    if (r.transposeDz) for (let mg = 0; mg < r.MG; mg++) emit(`part[pb + ${r.offB / 4 + mg * sg}u + lane] = gb${l}_${mg};`);
    else for (let j0 = 0; j0 < dims[l + 1]; j0 += 4) emit(`part[pb + ${(r.offB + j0) / 4}u] = vec4<f32>(${[0, 1, 2, 3].map((e) => (j0 + e < dims[l + 1] ? `gb${l}_${j0 + e}` : '0.0')).join(', ')});`);
  }
  emit(`part[pb + ${lay.loss / 4}u] = vec4<f32>(lsum, nsum, 0.0, 0.0);`);

  return `enable subgroups;
${mathFns}
${binds.join('\n')}
@compute @workgroup_size(${sg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sgid: u32) {
${B.join('\n')}
}`;
}

export const DENSE_SUM_WG = 64;

/** Sums the partials of G workgroups per slot (4 per invocation), in order, scales by 1 / Σ normaliser, and scatters them to the parameters. */
/** Kernel B's fused Adam step: where each layer's W and b sit in the parameter buffer. */
export interface DenseAdamLayout {
  offsetsW: number[];
  offsetsB: number[];
  decoupled: boolean;
}

export function denseGradSumKernel(dims: number[], sg: number, accumulate: boolean, adam?: DenseAdamLayout): string {
  const L = dims.length - 1;
  const lay = denseLayout(dims, sg);
  const P4 = lay.stride / 4;
  const binds: string[] = ['@group(0) @binding(0) var<storage, read> part: array<vec4<f32>>;'];
  let b = 1;
  for (let l = 0; l < L; l++) {
    binds.push(`@group(0) @binding(${b++}) var<storage, read_write> dw${l}: array<f32>;`);
    binds.push(`@group(0) @binding(${b++}) var<storage, read_write> db${l}: array<f32>;`);
  }
  binds.push(`@group(0) @binding(${b++}) var<storage, read_write> loss: array<f32>;`);
  if (adam) {
    binds.push(`@group(0) @binding(${b++}) var<storage, read_write> w: array<f32>;`);
    binds.push(`@group(0) @binding(${b++}) var<storage, read_write> am: array<f32>;`);
    binds.push(`@group(0) @binding(${b++}) var<storage, read_write> av: array<f32>;`);
    binds.push('struct P { groups: u32, pad0: u32, pad1: u32, pad2: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, pad3: f32 }');
    // adamKernel's formula, term for term (elementwise.ts)
    binds.push(`fn adam_step(i: u32, grad: f32) {
  var wi = w[i];
  var g = grad;
  ${adam.decoupled ? 'wi = wi * (1.0 - p.lr * p.wd);' : 'g = g + p.wd * wi;'}
  let mi = p.b1 * am[i] + (1.0 - p.b1) * g;
  let vi = p.b2 * av[i] + (1.0 - p.b2) * g * g;
  am[i] = mi;
  av[i] = vi;
  w[i] = wi - p.lr * (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps);
}`);
  } else binds.push('struct P { groups: u32, pad0: u32, pad1: u32, pad2: u32 }');
  binds.push(`@group(0) @binding(${b++}) var<uniform> p: P;`);
  const stepW = (l: number, idx: string) => (adam ? ` adam_step(${adam.offsetsW[l]}u + ${idx}, v);` : '');
  const stepB = (l: number, idx: string) => (adam ? ` adam_step(${adam.offsetsB[l]}u + ${idx}, v);` : '');
  // Slot q (float index) → parameter, region by region: the inverse of kernel A's store order.
  const S: string[] = [];
  for (let l = 0; l < L; l++) {
    const r = lay.layers[l];
    const din = dims[l], dout = dims[l + 1];
    S.push(`    if (q < ${r.offB}u) {`);
    S.push(`      let g4 = (q - ${r.offW}u) >> 2u; let ln = g4 % ${sg}u; let om = g4 / ${sg}u;`);
    S.push(r.vecUnits ? `      let u = ((om % ${r.MG}u) * ${sg}u + ln) * 4u + e; let o = om / ${r.MG}u;` : `      let u = ((om % ${r.MG}u) * 4u + e) * ${sg}u + ln; let o = om / ${r.MG}u;`);
    if (r.transposeDz) S.push(`      if (u < ${dout}u) { dw${l}[o * ${dout}u + u] = v;${stepW(l, `o * ${dout}u + u`)} }`);
    else S.push(`      if (u < ${din}u) { dw${l}[u * ${dout}u + o] = v;${stepW(l, `u * ${dout}u + o`)} }`);
    S.push('      continue;');
    S.push('    }');
    const end = l + 1 < L ? lay.layers[l + 1].offW : lay.loss;
    S.push(`    if (q < ${end}u) {`);
    if (r.transposeDz) {
      S.push(r.vecUnits ? `      let g4 = (q - ${r.offB}u) >> 2u; let u = g4 * 4u + e;` : `      let g4 = (q - ${r.offB}u) >> 2u; let u = ((g4 / ${sg}u) * 4u + e) * ${sg}u + g4 % ${sg}u;`);
      S.push(`      if (u < ${dout}u) { db${l}[u] = v;${stepB(l, 'u')} }`);
    } else {
      S.push(`      let u = q - ${r.offB}u;`);
      S.push(`      if (u < ${dout}u) { db${l}[u] = v;${stepB(l, 'u')} }`);
    }
    S.push('      continue;');
    S.push('    }');
  }
  S.push(`    if (q == ${lay.loss}u) { ${accumulate ? 'loss[0] = loss[0] + v;' : 'loss[0] = v;'} }`);
  return `${binds.join('\n')}
@compute @workgroup_size(${DENSE_SUM_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q4 = gid.x;
  if (q4 >= ${P4}u) { return; }
  var ns = 0.0;
  for (var g = 0u; g < p.groups; g++) { ns += part[g * ${P4}u + ${lay.norm >> 2}u][${lay.norm & 3}u]; }
  var acc = vec4<f32>(0.0);
  for (var g = 0u; g < p.groups; g++) { acc += part[g * ${P4}u + q4]; }
  let sums = acc / ns;
  for (var e = 0u; e < 4u; e++) {
    let q = q4 * 4u + e;
    let v = sums[e];
${S.join('\n')}
  }
}`;
}
