import { describe, expect, it } from 'vitest';
import { type Gpu } from '@gantry/gpu';
import { initWeights, type NetworkSpec } from '../src/core/network.js';
import { batchGradients } from '../src/train/trainer.js';
import { finiteDiff, flatten, lcg, maxAbsDiff, naiveLoss, randArray, withGpus } from './helpers.js';

let cpu: Gpu;
let gpu: Gpu;
withGpus((c, g) => {
  cpu = c;
  gpu = g;
});

const d = 4;
const n = 9;
const cases: { name: string; spec: NetworkSpec; labels: (r: () => number) => number; cw?: number[] }[] = [
  { name: 'linear (squared)', spec: { inputWidth: d, hidden: [], outputs: 1, head: 'identity', loss: 'mse' }, labels: (r) => r() * 4 - 2 },
  { name: 'linear (huber δ=0.5)', spec: { inputWidth: d, hidden: [], outputs: 1, head: 'identity', loss: 'huber', huberDelta: 0.5 }, labels: (r) => r() * 6 - 3 },
  { name: 'logistic', spec: { inputWidth: d, hidden: [], outputs: 1, head: 'sigmoid', loss: 'bce' }, labels: (r) => (r() < 0.5 ? 0 : 1) },
  { name: 'logistic, class weights', spec: { inputWidth: d, hidden: [], outputs: 1, head: 'sigmoid', loss: 'bce' }, labels: (r) => (r() < 0.3 ? 0 : 1), cw: [3, 0.5] },
  { name: 'softmax, class weights', spec: { inputWidth: d, hidden: [], outputs: 3, head: 'softmax', loss: 'ce' }, labels: (r) => Math.floor(r() * 3), cw: [1, 2, 0.5] },
  ...(['relu', 'tanh', 'gelu', 'sigmoid'] as const).map((a) => ({
    name: `mlp ${a} [5, 3] classifier`,
    spec: { inputWidth: d, hidden: [{ units: 5, activation: a }, { units: 3, activation: a }], outputs: 3, head: 'softmax' as const, loss: 'ce' as const },
    labels: (r: () => number) => Math.floor(r() * 3),
  })),
  { name: 'mlp tanh regressor (huber)', spec: { inputWidth: d, hidden: [{ units: 6, activation: 'tanh' }], outputs: 1, head: 'identity', loss: 'huber', huberDelta: 1 }, labels: (r) => r() * 4 - 2 },
];

describe('analytic gradients (device ops) vs f64 finite differences', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const rnd = lcg(c.name.length * 7919);
      const x = randArray(n * d, rnd);
      const y = Float32Array.from({ length: n }, () => c.labels(rnd));
      const w = initWeights(c.spec, 11);
      // Non-zero biases so that every term of the gradient is exercised.
      w.biases.forEach((b) => b.set(randArray(b.length, rnd, 0.3)));
      const fd = finiteDiff(c.spec, w, x, y, c.cw);
      const onCpu = await batchGradients(cpu, c.spec, w, x, y, c.cw);
      const flat = (g: { dW: Float32Array[]; db: Float32Array[] }) => flatten({ weights: g.dW, biases: g.db.map((b) => b.subarray(0)) });
      const gc = flat(onCpu);
      const scale = Math.max(1e-3, ...fd.map(Math.abs));
      expect(maxAbsDiff(gc, fd) / scale).toBeLessThan(2e-3);
      expect(Math.abs(onCpu.loss - naiveLoss(c.spec, flatten(w), x, y, c.cw))).toBeLessThan(1e-5);
      const onGpu = await batchGradients(gpu, c.spec, w, x, y, c.cw);
      expect(maxAbsDiff(flat(onGpu), gc) / scale).toBeLessThan(1e-4);
      expect(Math.abs(onGpu.loss - onCpu.loss)).toBeLessThan(1e-5);
    });
  }
});
