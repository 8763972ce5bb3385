import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type Gpu, type Tensor } from '@gantry/gpu';
import { nanTensor, poison, randn, relErr, rng, SEED, withGpus } from './helpers.js';
import { erf, erfc } from '../src/backends/cpu/math.js';

// Every op on WebGPU (lavapipe in CI) against the CPU reference backend on random inputs.
let gpu: Gpu;
let cpu: Gpu;
const TOL = 1e-5;
withGpus((g, c) => {
  gpu = g;
  cpu = c;
});

const tag = (extra: string) => `seed=${SEED} ${extra}`;

async function both(shapeData: Array<[Float32Array, number[]]>, f: (g: Gpu, ts: Tensor[]) => Tensor): Promise<[Float32Array, Float32Array]> {
  const g = await f(gpu, shapeData.map(([d, s]) => gpu.tensor(d, s))).read();
  const c = await f(cpu, shapeData.map(([d, s]) => cpu.tensor(d, s))).read();
  return [g, c];
}

const SHAPES: Array<[number, number]> = [
  [1, 1],
  [1, 7],
  [13, 1],
  [17, 29],
  [64, 64],
  [257, 3],
  [31, 300],
];

describe('elementwise', () => {
  it.each(['add', 'sub', 'mul', 'div', 'max', 'min'] as const)('%s with full, row, column and scalar broadcasting', async (op) => {
    const r = rng(SEED ^ op.length);
    for (const [m, n] of SHAPES) {
      const a = randn(r, m * n);
      const bs: Array<[Float32Array, number[]]> = [
        [randn(r, m * n).map((x) => (op === 'div' ? x + Math.sign(x) * 0.5 : x)), [m, n]],
        [randn(r, n).map((x) => (op === 'div' ? x + Math.sign(x) * 0.5 : x)), [n]],
        [randn(r, m).map((x) => (op === 'div' ? x + Math.sign(x) * 0.5 : x)), [m, 1]],
        [Float32Array.of(1.75), [1]],
      ];
      for (const b of bs) {
        poison(gpu, [m, n]);
        const [g, c] = await both([[a, [m, n]], b], (x, [ta, tb]) => x.binary(op, ta, tb));
        expect(relErr(g, c), tag(`${op} a=[${m},${n}] b=[${b[1]}]`)).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it.each(['scale', 'addScalar', 'neg', 'abs', 'exp', 'log', 'sqrt', 'square', 'relu', 'sigmoid', 'tanh', 'gelu'] as const)('unary %s', async (op) => {
    const r = rng(SEED + op.length);
    for (const [m, n] of SHAPES) {
      let a = randn(r, m * n, 3);
      if (op === 'log' || op === 'sqrt') a = a.map((x) => Math.abs(x) + 0.01);
      if (op === 'exp') a = a.map((x) => x / 3);
      const out = nanTensor(gpu, [m, n]);
      const g = await gpu.unary(op, gpu.tensor(a, [m, n]), op === 'scale' || op === 'addScalar' ? undefined : out).read();
      const alpha = 0;
      const c = await cpu.unary(op, cpu.tensor(a, [m, n])).read();
      expect(relErr(g, c), tag(`${op} [${m},${n}] alpha=${alpha}`)).toBeLessThanOrEqual(TOL);
    }
    const s = await gpu.scale(gpu.tensor([1, -2, 3], [3]), -0.5).read();
    expect(Array.from(s)).toEqual([-0.5, 1, -1.5]);
  });

  it('tanh and sigmoid stay finite at extreme inputs', async () => {
    const x = Float32Array.of(-1000, -90, -20, 0, 20, 90, 1000);
    const t = await gpu.tanh(gpu.tensor(x)).read();
    const s = await gpu.sigmoid(gpu.tensor(x)).read();
    expect(Array.from(t)).toEqual([-1, -1, -1, 0, 1, 1, 1]);
    expect(s.every(Number.isFinite)).toBe(true);
    expect(s[0]).toBe(0);
    expect(s[6]).toBe(1);
  });

  it('the CPU reference erf/erfc match published values; GELU keeps relative accuracy far into the negative tail', async () => {
    // Abramowitz & Stegun table 7.1 / scipy.special.erfc.
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(5) / 1.5374597944280349e-12).toBeCloseTo(1, 12);
    expect(erfc(-1) / 1.8427007929497148).toBeCloseTo(1, 14);
    const x = Float32Array.of(-9, -7, -5, -3, -1, 0, 1, 3, 5);
    const g = await gpu.gelu(gpu.tensor(x)).read();
    const c = await cpu.gelu(cpu.tensor(x)).read();
    for (let i = 0; i < x.length; i++) {
      if (c[i] === 0) expect(g[i]).toBe(0);
      else expect(Math.abs(g[i] / c[i] - 1), `gelu(${x[i]}) = ${c[i]}, got ${g[i]}`).toBeLessThan(1e-5);
    }
  });

  it.each(ACTIVATIONS)('activation gradient %s', async (act) => {
    const r = rng(SEED + 7 * act.length);
    for (const [m, n] of SHAPES) {
      const dy = randn(r, m * n);
      const z = randn(r, m * n, 2);
      const out = nanTensor(gpu, [m, n]);
      const g = await gpu.activationGrad(act, gpu.tensor(dy, [m, n]), gpu.tensor(z, [m, n]), out).read();
      const c = await cpu.activationGrad(act, cpu.tensor(dy, [m, n]), cpu.tensor(z, [m, n])).read();
      expect(relErr(g, c), tag(`${act} [${m},${n}]`)).toBeLessThanOrEqual(TOL);
    }
  });

  it('activation gradients match finite differences of the activations (CPU reference)', async () => {
    const z = Float32Array.from([-2.5, -0.7, -0.1, 0.3, 1.1, 2.9]);
    const h = 1e-3;
    for (const act of ACTIVATIONS) {
      const grad = await cpu.activationGrad(act, cpu.full([6], 1), cpu.tensor(z)).read();
      const up = await cpu.activation(act, cpu.tensor(z.map((v) => v + h))).read();
      const dn = await cpu.activation(act, cpu.tensor(z.map((v) => v - h))).read();
      for (let i = 0; i < z.length; i++) expect(grad[i], `${act} at ${z[i]}`).toBeCloseTo((up[i] - dn[i]) / (2 * h), 2);
    }
  });
});

describe('rows and reductions', () => {
  it('softmax rows and argmax', async () => {
    const r = rng(SEED + 11);
    for (const [m, n] of SHAPES) {
      const a = randn(r, m * n, 4);
      poison(gpu, [m, n]);
      const [g, c] = await both([[a, [m, n]]], (x, [t]) => x.softmax(t));
      expect(relErr(g, c), tag(`softmax [${m},${n}]`)).toBeLessThanOrEqual(TOL);
      poison(gpu, [m]);
      const [ga, ca] = await both([[a, [m, n]]], (x, [t]) => x.argmax(t));
      expect(Array.from(ga), tag(`argmax [${m},${n}]`)).toEqual(Array.from(ca));
    }
  });

  it.each(['sum', 'mean', 'variance'] as const)('%s along both axes', async (op) => {
    const r = rng(SEED + 13 * op.length);
    for (const [m, n] of SHAPES) {
      const a = randn(r, m * n).map((x) => x + 3);
      for (const axis of [0, 1] as const) {
        poison(gpu, [axis === 0 ? n : m]);
        const [g, c] = await both([[a, [m, n]]], (x, [t]) => x.reduce(op, t, axis));
        expect(relErr(g, c), tag(`${op} axis=${axis} [${m},${n}]`)).toBeLessThanOrEqual(TOL);
      }
    }
  });
});

describe('matmul', () => {
  const cases: Array<[number, number, number]> = [
    [1, 1, 1],
    [1, 64, 10],
    [7, 13, 5],
    [31, 37, 41],
    [64, 64, 64],
    [129, 67, 131],
    [200, 256, 96],
  ];
  it('every transpose combination, with fused bias and activations, on odd and aligned sizes', async () => {
    const r = rng(SEED + 17);
    for (const [m, k, n] of cases) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = randn(r, m * k);
          const b = randn(r, k * n);
          const bias = randn(r, n);
          const act = ACTIVATIONS[(m + k + n + (transposeA ? 1 : 0) + (transposeB ? 2 : 0)) % ACTIVATIONS.length];
          const withBias = (m + n) % 2 === 0;
          const aShape = transposeA ? [k, m] : [m, k];
          const bShape = transposeB ? [n, k] : [k, n];
          const run = (x: Gpu, out?: Tensor) =>
            x.matmul(x.tensor(a, aShape), x.tensor(b, bShape), { transposeA, transposeB, bias: withBias ? x.tensor(bias, [n]) : undefined, activation: act, alpha: 0.75, out }).read();
          const g = await run(gpu, nanTensor(gpu, [m, n]));
          const c = await run(cpu);
          expect(relErr(g, c), tag(`m=${m} k=${k} n=${n} tA=${transposeA} tB=${transposeB} act=${act} bias=${withBias}`)).toBeLessThanOrEqual(TOL);
        }
      }
    }
  });

  it('a known product on both backends', async () => {
    for (const x of [gpu, cpu]) {
      const a = x.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = x.tensor([7, 8, 9, 10, 11, 12], [3, 2]);
      expect(Array.from(await x.matmul(a, b).read())).toEqual([58, 64, 139, 154]);
      expect(Array.from(await x.matmul(a, b, { bias: x.tensor([-100, 0], [2]), activation: 'relu' }).read())).toEqual([0, 64, 39, 154]);
    }
  });
});

describe('losses', () => {
  /** f64 oracles written from the formulas, independent of both backends. */
  function sceRef(logits: Float32Array | Float64Array, labels: number[], rows: number, cols: number, w?: number[]): number {
    let total = 0;
    let ws = 0;
    for (let i = 0; i < rows; i++) {
      const row = Array.from(logits.subarray(i * cols, (i + 1) * cols));
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      const wy = w ? w[labels[i]] : 1;
      total += wy * (lse - row[labels[i]]);
      ws += wy;
    }
    return total / ws;
  }
  const bceRef = (z: ArrayLike<number>, t: Float32Array, w?: Float32Array) => {
    let s = 0;
    for (let i = 0; i < z.length; i++) {
      const p = 1 / (1 + Math.exp(-z[i]));
      s += (w ? w[i] : 1) * -(t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p));
    }
    return s / z.length;
  };
  const mseRef = (p: Float32Array, t: Float32Array) => p.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / p.length;

  function fdGrad(f: (x: Float64Array) => number, x: Float32Array, h = 1e-4): Float64Array {
    const g = new Float64Array(x.length);
    const xx = Float64Array.from(x);
    for (let i = 0; i < x.length; i++) {
      const v = xx[i];
      xx[i] = v + h;
      const up = f(xx);
      xx[i] = v - h;
      const dn = f(xx);
      xx[i] = v;
      g[i] = (up - dn) / (2 * h);
    }
    return g;
  }

  it('softmax cross-entropy: loss and gradient against the formula and finite differences, with and without class weights', async () => {
    const r = rng(SEED + 19);
    for (const [rows, cols] of [[1, 2], [5, 3], [37, 10], [300, 7]] as const) {
      const logits = randn(r, rows * cols, 2);
      const labels = Array.from({ length: rows }, () => Math.floor(r() * cols));
      const cw = Array.from({ length: cols }, () => 0.5 + r());
      for (const weighted of [false, true]) {
        const w = weighted ? cw : undefined;
        const { loss, grad } = gpu.softmaxCrossEntropy(gpu.tensor(logits, [rows, cols]), gpu.tensor(labels, [rows]), w ? gpu.tensor(w, [cols]) : undefined, nanTensor(gpu, [rows, cols]));
        const [l, g] = await Promise.all([loss.read(), grad.read()]);
        expect(l[0] / sceRef(logits, labels, rows, cols, w), tag(`sce loss ${rows}x${cols} w=${weighted}`)).toBeCloseTo(1, 5);
        const fd = fdGrad((x) => sceRef(x, labels, rows, cols, w), logits);
        expect(relErr(g, fd), tag(`sce grad ${rows}x${cols} w=${weighted}`)).toBeLessThan(1e-5);
        const c = cpu.softmaxCrossEntropy(cpu.tensor(logits, [rows, cols]), cpu.tensor(labels, [rows]), w ? cpu.tensor(w, [cols]) : undefined);
        expect(relErr(g, await c.grad.read())).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('binary cross-entropy on logits: loss and gradient, with and without weights', async () => {
    const r = rng(SEED + 23);
    for (const n of [1, 9, 1000, 4099]) {
      const z = randn(r, n, 3);
      const t = Float32Array.from({ length: n }, () => (r() < 0.4 ? 1 : 0));
      const w = Float32Array.from({ length: n }, () => 0.2 + r());
      for (const weighted of [false, true]) {
        const ww = weighted ? w : undefined;
        const { loss, grad } = gpu.binaryCrossEntropy(gpu.tensor(z), gpu.tensor(t), ww ? gpu.tensor(ww) : undefined, nanTensor(gpu, [n]));
        const [l, g] = await Promise.all([loss.read(), grad.read()]);
        expect(l[0] / bceRef(z, t, ww), tag(`bce ${n}`)).toBeCloseTo(1, 5);
        if (n <= 1000) {
          const fd = fdGrad((x) => bceRef(x, t, ww), z);
          expect(relErr(g, fd), tag(`bce grad ${n}`)).toBeLessThan(1e-5);
        }
        const c = cpu.binaryCrossEntropy(cpu.tensor(z), cpu.tensor(t), ww ? cpu.tensor(ww) : undefined);
        expect(relErr(g, await c.grad.read())).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('mean squared error: loss and gradient', async () => {
    const r = rng(SEED + 29);
    for (const n of [1, 17, 5000]) {
      const p = randn(r, n);
      const t = randn(r, n);
      const { loss, grad } = gpu.meanSquaredError(gpu.tensor(p), gpu.tensor(t), nanTensor(gpu, [n]));
      const [l, g] = await Promise.all([loss.read(), grad.read()]);
      expect(l[0] / mseRef(p, t), tag(`mse ${n}`)).toBeCloseTo(1, 5);
      const expected = p.map((v, i) => (2 * (v - t[i])) / n);
      expect(relErr(g, expected)).toBeLessThanOrEqual(TOL);
    }
  });
});

describe('optimizers', () => {
  it('SGD (plain, momentum, Nesterov, weight decay) over several steps matches the CPU reference', async () => {
    const r = rng(SEED + 31);
    const n = 1031;
    for (const o of [{ lr: 0.1 }, { lr: 0.05, momentum: 0.9 }, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-2 }]) {
      const w0 = randn(r, n);
      const grads = [randn(r, n), randn(r, n), randn(r, n)];
      const results: Float32Array[] = [];
      for (const x of [gpu, cpu]) {
        const w = x.tensor(w0);
        const v = x.zeros([n]);
        for (const g of grads) x.sgdStep(w, x.tensor(g), v, o);
        results.push(await w.read());
      }
      expect(relErr(results[0], results[1]), tag(JSON.stringify(o))).toBeLessThanOrEqual(TOL);
    }
  });

  it('Adam and AdamW over several steps match the CPU reference, and one step matches the formula', async () => {
    const r = rng(SEED + 37);
    const n = 777;
    for (const decoupled of [false, true]) {
      const w0 = randn(r, n);
      const grads = [randn(r, n), randn(r, n), randn(r, n), randn(r, n)];
      const results: Float32Array[] = [];
      for (const x of [gpu, cpu]) {
        const w = x.tensor(w0);
        const m = x.zeros([n]);
        const v = x.zeros([n]);
        grads.forEach((g, i) => x.adamStep(w, x.tensor(g), m, v, { lr: 0.01, weightDecay: 0.1, decoupled, step: i + 1 }));
        results.push(await w.read());
      }
      expect(relErr(results[0], results[1]), tag(`adam decoupled=${decoupled}`)).toBeLessThanOrEqual(TOL);
    }
    // One Adam step from zero moments moves each weight by lr·sign(g) (bias-corrected m/√v = g/|g|).
    const w = gpu.tensor([1, 1, 1]);
    gpu.adamStep(w, gpu.tensor([0.5, -2, 1e-3]), gpu.zeros([3]), gpu.zeros([3]), { lr: 0.1, eps: 1e-12, step: 1 });
    const got = await w.read();
    expect(got[0]).toBeCloseTo(0.9, 5);
    expect(got[1]).toBeCloseTo(1.1, 5);
    expect(got[2]).toBeCloseTo(0.9, 5);
  });
});
