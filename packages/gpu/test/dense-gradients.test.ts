import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, viewLayout, type DenseLoss, type Gpu, type MlpLayer, type Tensor } from '@gantry/gpu';
import { errorCode, poison, randn, relErr, rng, SEED, withGpus } from './helpers.js';

// The fused forward + backward of a dense network (webgpu) against the f64 CPU reference, and the
// reference against finite differences of its own loss.
let gpu: Gpu;
let cpu: Gpu;
withGpus((g, c) => {
  gpu = g;
  cpu = c;
});

interface Case {
  n: number;
  dims: number[];
  loss: DenseLoss;
  sampleWeights?: boolean;
  classWeights?: boolean;
}

function inputs(x: Gpu, c: Case, seed: number, acts: string[]) {
  const r = rng(seed);
  const k = c.dims.at(-1)!;
  const layers: MlpLayer[] = c.dims.slice(0, -1).map((d, l) => ({
    weight: x.tensor(randn(r, d * c.dims[l + 1], 1 / Math.sqrt(d)), [d, c.dims[l + 1]]),
    bias: x.tensor(randn(r, c.dims[l + 1], 0.1), [c.dims[l + 1]]),
    activation: (l + 1 < c.dims.length - 1 ? acts[l] : 'none') as MlpLayer['activation'],
  }));
  const X = x.tensor(randn(r, c.n * c.dims[0]), [c.n, c.dims[0]]);
  const y =
    c.loss === 'softmaxCrossEntropy'
      ? Float32Array.from({ length: c.n }, () => Math.floor(r() * k))
      : c.loss === 'binaryCrossEntropy'
        ? Float32Array.from({ length: c.n * k }, () => (r() < 0.5 ? 0 : 1))
        : randn(r, c.n * k);
  const targets = x.tensor(y, c.loss === 'softmaxCrossEntropy' ? [c.n] : [c.n, k]);
  const sampleWeights = c.sampleWeights ? x.tensor(Float32Array.from({ length: c.n }, () => 0.25 + r() * 2), [c.n]) : undefined;
  const classWeights = c.classWeights ? x.tensor(Float32Array.from({ length: k }, () => 0.5 + r()), [k]) : undefined;
  return { x: X, targets, layers, loss: c.loss, sampleWeights, classWeights, ...(c.loss === 'huber' ? { huberDelta: 0.7 } : {}) };
}

async function readAll(o: { dW: Tensor[]; db: Tensor[]; loss: Tensor }): Promise<Float32Array[]> {
  return [await o.loss.read(), ...(await Promise.all(o.dW.map((t) => t.read()))), ...(await Promise.all(o.db.map((t) => t.read())))];
}

describe('denseGradients', () => {
  const cases: Case[] = [
    { n: 1, dims: [5, 3], loss: 'softmaxCrossEntropy' },
    { n: 1024, dims: [32, 64, 2], loss: 'softmaxCrossEntropy' },
    { n: 97, dims: [13, 1], loss: 'binaryCrossEntropy', sampleWeights: true },
    { n: 131, dims: [7, 17, 4], loss: 'softmaxCrossEntropy', classWeights: true },
    { n: 200, dims: [9, 31, 11, 1], loss: 'meanSquaredError' },
    { n: 65, dims: [6, 2], loss: 'huber' },
    { n: 300, dims: [16, 40, 3], loss: 'binaryCrossEntropy' },
    { n: 513, dims: [10, 48, 2], loss: 'meanSquaredError' },
  ];
  for (const [ci, c] of cases.entries()) {
    it(`matches the CPU reference: n=${c.n} dims=${c.dims} ${c.loss}${c.sampleWeights ? ' +sample weights' : ''}${c.classWeights ? ' +class weights' : ''}`, async () => {
      const support = gpu.denseGradientsSupport({ rows: c.n, dims: c.dims, loss: c.loss, sampleWeights: c.sampleWeights, classWeights: c.classWeights });
      expect(support, JSON.stringify(support)).toEqual({ supported: true });
      // Wide layers are compiled unrolled (lavapipe takes ~15 s for 32→64→2): relu there, every activation on the small ones.
      const acts = c.dims.slice(2).map((_, l) => (c.dims[1] >= 48 ? 'relu' : ACTIVATIONS[1 + ((SEED + ci + l) % 4)]));
      const seed = SEED + 31 * ci;
      const gi = inputs(gpu, c, seed, acts);
      // outputs from NaN-poisoned buffers: every value must be written
      for (const l of gi.layers) {
        poison(gpu, l.weight.shape);
        poison(gpu, l.bias.shape);
      }
      const g = await readAll(gpu.denseGradients(gi));
      const r = await readAll(cpu.denseGradients(inputs(cpu, c, seed, acts)));
      // Each layer's parameters as one vector: a bias gradient alone is a sum of residuals that
      // may nearly cancel (seed 319661018: db2 of norm 3e-3 beside dW2 of 0.22, off by 3.5e-8),
      // where a relative error says nothing about the kernel.
      const L = c.dims.length - 1;
      const cat = (o: Float32Array[], l: number) => Float32Array.from([...o[1 + l], ...o[1 + L + l]]);
      expect(relErr(g[0], r[0]), `seed=${SEED} acts=${acts} loss`).toBeLessThanOrEqual(1e-5);
      for (let l = 0; l < L; l++) expect(relErr(cat(g, l), cat(r, l)), `seed=${SEED} acts=${acts} layer ${l} (dW, db)`).toBeLessThanOrEqual(1e-5);
    });
  }

  it('the CPU reference is the gradient of its loss (central differences in f64 terms)', async () => {
    const c: Case = { n: 12, dims: [4, 6, 3], loss: 'softmaxCrossEntropy', classWeights: true };
    for (const act of ['tanh', 'gelu', 'sigmoid'] as const) {
      const base = inputs(cpu, c, SEED, [act]);
      const g = await readAll(cpu.denseGradients(base));
      const w0 = await base.layers[0].weight.read();
      const lossAt = async (w: Float32Array) => {
        const layers = base.layers.map((l, i) => (i === 0 ? { ...l, weight: cpu.tensor(w, l.weight.shape) } : l));
        return (await cpu.denseGradients({ ...base, layers }).loss.read())[0];
      };
      for (const i of [0, 5, 11, 23]) {
        const h = 1e-2;
        const up = w0.slice();
        const dn = w0.slice();
        up[i] += h;
        dn[i] -= h;
        const fd = ((await lossAt(up)) - (await lossAt(dn))) / (2 * h);
        expect(Math.abs(fd - g[1][i]), `${act} dW0[${i}] fd ${fd} vs ${g[1][i]}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('with adam, updates parameters kept in one buffer as adamStep on each tensor does (kernel B, or after it past the binding limit)', async () => {
    const shapes: [Case, string[]][] = [
      [{ n: 40, dims: [3, 2], loss: 'softmaxCrossEntropy' }, []],
      [{ n: 131, dims: [7, 17, 4], loss: 'softmaxCrossEntropy', classWeights: true }, ['tanh']],
      // 3 layers: 11 bindings with Adam, past lavapipe's 10, so the step runs after kernel B
      [{ n: 200, dims: [9, 31, 11, 1], loss: 'meanSquaredError' }, ['relu', 'relu']],
    ];
    for (const [c, acts] of shapes) {
      for (const x of [gpu, cpu]) {
        const base = inputs(x, c, SEED + 7, acts);
        const L = base.layers.length;
        const sizes = [...base.layers.map((l) => l.weight.size), ...base.layers.map((l) => l.bias.size)];
        const { offsets, size } = viewLayout(sizes);
        const params = x.zeros([size]);
        const m = x.zeros([size]);
        const v = x.zeros([size]);
        const layers = base.layers.map((l, i) => ({ ...l, weight: x.view(params, offsets[i], l.weight.shape), bias: x.view(params, offsets[L + i], l.bias.shape) }));
        layers.forEach((l, i) => {
          x.copy(base.layers[i].weight, l.weight);
          x.copy(base.layers[i].bias, l.bias);
        });
        // the oracle: separate tensors, gradients, then adamStep on each
        const sep = base.layers.map((l) => ({ w: x.tensor(new Float32Array(l.weight.size), l.weight.shape), b: x.tensor(new Float32Array(l.bias.size), l.bias.shape), mw: x.zeros(l.weight.shape), vw: x.zeros(l.weight.shape), mb: x.zeros([l.bias.size]), vb: x.zeros([l.bias.size]) }));
        sep.forEach((t, i) => {
          x.copy(base.layers[i].weight, t.w);
          x.copy(base.layers[i].bias, t.b);
        });
        for (let step = 1; step <= 3; step++) {
          const o = { lr: 0.01, step, beta1: 0.8 };
          const g = x.denseGradients({ ...base, layers: base.layers.map((l, i) => ({ ...l, weight: sep[i].w, bias: sep[i].b })) });
          sep.forEach((t, i) => {
            x.adamStep(t.w, g.dW[i], t.mw, t.vw, o);
            x.adamStep(t.b, g.db[i], t.mb, t.vb, o);
          });
          x.denseGradients({ ...base, layers, adam: { params, m, v, ...o } });
        }
        for (let i = 0; i < L; i++) {
          const tag = `seed=${SEED} ${x.backend} dims=${c.dims} layer ${i}`;
          expect(relErr(await layers[i].weight.read(), await sep[i].w.read()), `${tag} W`).toBeLessThanOrEqual(1e-6);
          expect(relErr(await layers[i].bias.read(), await sep[i].b.read()), `${tag} b`).toBeLessThanOrEqual(1e-6);
        }
        // the moments sit at the parameters' offsets; the padding between tensors stays zero
        expect(relErr((await m.read()).subarray(offsets[0], offsets[0] + sizes[0]), await sep[0].mw.read())).toBeLessThanOrEqual(1e-6);
        const all = await params.read();
        expect(all.subarray(offsets[0] + sizes[0], offsets[1]).every((q) => q === 0)).toBe(true);
        // refused: a layer that is not a view of params, moments of another size
        expect(errorCode(() => x.denseGradients({ ...base, layers: base.layers, adam: { params, m, v, lr: 0.1, step: 1 } }))).toBe('BAD_ARGUMENT');
        expect(errorCode(() => x.denseGradients({ ...base, layers, adam: { params, m: x.zeros([size + 1]), v, lr: 0.1, step: 1 } }))).toBe('SHAPE_MISMATCH');
        expect(errorCode(() => x.denseGradients({ ...base, layers, adam: { params, m, v, lr: 0.1, step: 0 } }))).toBe('BAD_ARGUMENT');
      }
    }
  });

  it('accumulates the loss on the device; refuses bad input and unsupported shapes with typed errors', async () => {
    const c: Case = { n: 40, dims: [3, 2], loss: 'softmaxCrossEntropy' };
    const a = inputs(gpu, c, SEED, []);
    const first = gpu.denseGradients(a);
    const once = (await first.loss.read())[0];
    gpu.denseGradients({ ...a, out: first, accumulateLoss: true });
    expect((await first.loss.read())[0]).toBeCloseTo(2 * once, 5);
    expect(errorCode(() => gpu.denseGradients({ ...a, loss: 'hinge' as never }))).toBe('BAD_ARGUMENT');
    expect(errorCode(() => gpu.denseGradients({ ...a, targets: gpu.zeros([39]) }))).toBe('SHAPE_MISMATCH');
    expect(errorCode(() => gpu.denseGradients({ ...a, layers: [{ ...a.layers[0], activation: 'relu' }] }))).toBe('BAD_ARGUMENT');
    const wide = inputs(gpu, { n: 4, dims: [3, 4096, 2], loss: 'softmaxCrossEntropy' }, SEED, ['relu']);
    expect(gpu.denseGradientsSupport({ rows: 4, dims: [3, 4096, 2], loss: 'softmaxCrossEntropy' }).supported).toBe(false);
    expect(errorCode(() => gpu.denseGradients(wide))).toBe('UNSUPPORTED');
  });
});
