import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, type DenseLoss, type Gpu, type MlpLayer, type Tensor } from '@gantry/gpu';
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
      g.forEach((v, j) => expect(relErr(v, r[j]), `seed=${SEED} acts=${acts} output ${j}`).toBeLessThanOrEqual(1e-5));
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
