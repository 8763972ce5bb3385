import { afterEach, describe, expect, it } from 'vitest';
import type { Gpu } from '@gantry/gpu';
import { LinearRegression, LogisticRegression, MLP, SoftmaxRegression, type Model } from '../src/index.js';
import { setFusedAdam, setFusedGradients } from '../src/train/step.js';
import { blobs, maxAbsDiff, separable, withGpus } from './helpers.js';

// On webgpu a training step's forward and backward run as the fused gpu.denseGradients where the
// shape allows; the per-layer path (tested against finite differences) is the oracle here.
let gpu: Gpu;
withGpus((_cpu, g) => {
  gpu = g;
});
afterEach(() => {
  setFusedGradients('auto');
  setFusedAdam('auto');
});

async function train(make: () => Model, data: { x: Float32Array; y: Float32Array; cols: number }, mode: 'auto' | 'off', extra: object = {}) {
  setFusedGradients(mode);
  const m = make();
  const d0 = gpu.memory().dispatches;
  const r = await m.fit(gpu, data, { epochs: 3, batchSize: 64, seed: 5, learningRate: 0.05, ...extra });
  return { w: m.weights, loss: r.history.map((h) => h.loss), dispatches: gpu.memory().dispatches - d0 };
}

describe('fused training steps (webgpu)', () => {
  const cases: [string, () => Model, { x: Float32Array; y: Float32Array; cols: number }, object?][] = [
    ['logistic', () => new LogisticRegression(), separable(300, 6, 11)],
    ['logistic, class weights', () => new LogisticRegression({ classWeight: [1, 3] }), separable(300, 6, 12)],
    ['softmax, class weights', () => new SoftmaxRegression({ classWeight: [1, 2, 0.5] }), blobs(300, 5, 3, 13)],
    ['linear (huber)', () => new LinearRegression({ loss: 'huber' }), separable(300, 4, 14)],
    ['MLP relu', () => new MLP({ hidden: [16], activation: 'relu' }), blobs(300, 5, 3, 15)],
    ['MLP tanh, two hidden layers, regression', () => new MLP({ hidden: [9, 7], activation: 'tanh', task: 'regression' }), separable(300, 5, 16)],
  ];
  it('the Adam step inside the fused kernel: the same weights as its own adamStep, one dispatch less a step', async () => {
    for (const [make, data] of [
      [() => new MLP({ hidden: [16], activation: 'relu' }), blobs(300, 5, 3, 17)],
      [() => new LogisticRegression({ l2: 0 }), separable(300, 6, 18)],
    ] as const) {
      setFusedAdam('auto');
      const a = await train(make, data, 'auto', { optimizer: 'adam' });
      setFusedAdam('off');
      const b = await train(make, data, 'auto', { optimizer: 'adam' });
      // 300 rows in batches of 64: 5 steps an epoch, 3 epochs
      expect(b.dispatches - a.dispatches).toBe(15);
      expect(maxAbsDiff(Float32Array.from(a.loss), Float32Array.from(b.loss))).toBeLessThan(1e-6);
      a.w.weights.forEach((w, l) => expect(maxAbsDiff(w, b.w.weights[l]), `layer ${l} weight`).toBeLessThan(1e-6));
      a.w.biases.forEach((v, l) => expect(maxAbsDiff(v, b.w.biases[l]), `layer ${l} bias`).toBeLessThan(1e-6));
    }
  });

  for (const [name, make, data, extra] of cases) {
    it(`${name}: the same weights and losses as the per-layer path`, async () => {
      const a = await train(make, data, 'auto', extra);
      const b = await train(make, data, 'off', extra);
      expect(a.dispatches, 'the fused path ran (fewer dispatches)').toBeLessThan(b.dispatches);
      expect(maxAbsDiff(Float32Array.from(a.loss), Float32Array.from(b.loss))).toBeLessThan(1e-5);
      a.w.weights.forEach((w, l) => expect(maxAbsDiff(w, b.w.weights[l]), `layer ${l} weight`).toBeLessThan(1e-5));
      a.w.biases.forEach((v, l) => expect(maxAbsDiff(v, b.w.biases[l]), `layer ${l} bias`).toBeLessThan(1e-5));
    });
  }
});
