/** Test helpers: a seeded generator and an independent f64 reference of every model's loss. */
import { afterAll, beforeAll } from 'vitest';
import { createGpu, type Gpu } from '@gantry/gpu';
import type { NetworkSpec, NetworkWeights } from '../src/core/network.js';

export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Random uniform [-a, a) values. */
export function randArray(n: number, rnd: () => number, a = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * a);
}

/** Linearly separable binary data: y = [x·w* > 0]. */
export function separable(n: number, d: number, seed: number): { x: Float32Array; y: Float32Array; cols: number } {
  const rnd = lcg(seed);
  const w = randArray(d, rnd);
  const x = randArray(n * d, rnd);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += x[i * d + j] * w[j];
    y[i] = z > 0 ? 1 : 0;
  }
  return { x, y, cols: d };
}

/** Three Gaussian-ish blobs (multiclass), well separated. */
export function blobs(n: number, d: number, k: number, seed: number): { x: Float32Array; y: Float32Array; cols: number } {
  const rnd = lcg(seed);
  const centers = Array.from({ length: k }, () => randArray(d, rnd, 3));
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    for (let j = 0; j < d; j++) x[i * d + j] = centers[c][j] + (rnd() - 0.5);
  }
  return { x, y, cols: d };
}

const erf = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is 1e-7 accurate: enough for finite differences of a smooth function? No: use the series.
  let sum = x;
  let term = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
    if (Math.abs(term) < 1e-18) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

const act = (a: string, z: number): number => (a === 'relu' ? Math.max(0, z) : a === 'tanh' ? Math.tanh(z) : a === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : a === 'gelu' ? 0.5 * z * (1 + erf(z / Math.SQRT2)) : z);

/** Params as one flat f64 vector: W0, b0, W1, b1, ... */
export function flatten(w: NetworkWeights): Float64Array {
  const parts: number[] = [];
  w.weights.forEach((W, l) => parts.push(...W, ...w.biases[l]));
  return Float64Array.from(parts);
}

/**
 * The mean training loss in f64 by a naive forward written independently of the library:
 * mse, huber, weighted bce (Σwℓ/Σw) and weighted ce (Σw[y]ℓ/Σw[y]).
 */
export function naiveLoss(spec: NetworkSpec, flat: Float64Array, x: Float32Array, y: Float32Array, cw?: number[]): number {
  const widths = [spec.inputWidth, ...spec.hidden.map((h) => h.units), spec.outputs];
  const n = y.length;
  let total = 0;
  let wsum = 0;
  for (let r = 0; r < n; r++) {
    let a = Array.from(x.subarray(r * spec.inputWidth, (r + 1) * spec.inputWidth), Number);
    let off = 0;
    for (let l = 0; l < widths.length - 1; l++) {
      const fi = widths[l];
      const fo = widths[l + 1];
      const z = new Array(fo).fill(0);
      for (let o = 0; o < fo; o++) {
        let s = flat[off + fi * fo + o];
        for (let i = 0; i < fi; i++) s += a[i] * flat[off + i * fo + o];
        z[o] = s;
      }
      off += fi * fo + fo;
      a = l < widths.length - 2 ? z.map((v) => act(spec.hidden[l].activation, v)) : z;
    }
    const t = y[r];
    if (spec.loss === 'mse') {
      total += (a[0] - t) ** 2;
      wsum += 1;
    } else if (spec.loss === 'huber') {
      const d = Math.abs(a[0] - t);
      const delta = spec.huberDelta ?? 1;
      total += d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
      wsum += 1;
    } else if (spec.loss === 'bce') {
      const w = cw ? cw[t >= 0.5 ? 1 : 0] : 1;
      const z = a[0];
      total += w * (Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z))));
      wsum += w;
    } else {
      const w = cw ? cw[t] : 1;
      const m = Math.max(...a);
      const lse = m + Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0));
      total += w * (lse - a[t]);
      wsum += w;
    }
  }
  return total / wsum;
}

/** Central finite differences of naiveLoss w.r.t. every parameter. */
export function finiteDiff(spec: NetworkSpec, w: NetworkWeights, x: Float32Array, y: Float32Array, cw?: number[], h = 1e-5): Float64Array {
  const p = flatten(w);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + h;
    const up = naiveLoss(spec, p, x, y, cw);
    p[i] = v - h;
    const dn = naiveLoss(spec, p, x, y, cw);
    p[i] = v;
    g[i] = (up - dn) / (2 * h);
  }
  return g;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A minimal stand-in feature pipeline: impute → clip → log1p → standardise over named numeric columns. */
export class StandInPipeline {
  constructor(
    readonly names: string[],
    readonly impute: number[],
    readonly lo: number[],
    readonly hi: number[],
    readonly logMask: boolean[],
    readonly scale: number[],
    readonly shift: number[],
  ) {}
  get outputNames(): string[] {
    return this.names.map((n) => `${n}_std`);
  }
  get outputWidth(): number {
    return this.names.length;
  }
  transformRow(row: Record<string, unknown>): Float32Array {
    return Float32Array.from(this.names, (n, c) => {
      const raw = row[n];
      let v = typeof raw === 'number' && !Number.isNaN(raw) ? raw : this.impute[c];
      v = Math.min(Math.max(v, this.lo[c]), this.hi[c]);
      if (this.logMask[c]) v = Math.log1p(v);
      return v * this.scale[c] + this.shift[c];
    });
  }
  transformBatch(rows: Record<string, unknown>[]): Float32Array {
    const out = new Float32Array(rows.length * this.outputWidth);
    rows.forEach((r, i) => out.set(this.transformRow(r), i * this.outputWidth));
    return out;
  }
  toJSON(): unknown {
    return { names: this.names, impute: this.impute, lo: this.lo, hi: this.hi, logMask: this.logMask, scale: this.scale, shift: this.shift };
  }
  static fromJSON(j: unknown): StandInPipeline {
    const o = j as StandInPipeline;
    return new StandInPipeline(o.names, o.impute, o.lo, o.hi, o.logMask, o.scale, o.shift);
  }
  numericSteps() {
    return {
      inputNames: this.names,
      steps: [
        { kind: 'impute' as const, values: this.impute },
        { kind: 'clip' as const, min: this.lo, max: this.hi },
        { kind: 'log1p' as const, mask: this.logMask },
        { kind: 'affine' as const, scale: this.scale, shift: this.shift },
      ],
    };
  }
}

/** A CPU-reference Gpu and a WebGPU Gpu for a test file, created before its tests and destroyed after. */
export function withGpus(set: (cpu: Gpu, gpu: Gpu) => void): void {
  let cpu: Gpu | undefined;
  let gpu: Gpu | undefined;
  beforeAll(async () => {
    process.env.XDG_RUNTIME_DIR ??= '/tmp/gantry-xdg';
    cpu = await createGpu({ backend: 'cpu' });
    gpu = await createGpu({ backend: 'webgpu' });
    set(cpu, gpu);
  });
  afterAll(() => {
    cpu?.destroy();
    gpu?.destroy();
  });
}
