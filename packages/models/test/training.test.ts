import { describe, expect, it } from 'vitest';
import { type Gpu } from '@gantry/gpu';
import { LinearRegression, LogisticRegression, MLP, ModelError, SoftmaxRegression, makeSchedule, type Progress } from '../src/index.js';
import { DeviceNet } from '../src/core/device-net.js';
import { hostForward } from '../src/core/network.js';
import { devicePredict } from '../src/train/trainer.js';
import { blobs, lcg, maxAbsDiff, randArray, separable, withGpus } from './helpers.js';

let cpu: Gpu;
let gpu: Gpu;
withGpus((c, g) => {
  cpu = c;
  gpu = g;
});

const acc = (p: Float32Array, y: Float32Array) => p.reduce((s, v, i) => s + (v === y[i] ? 1 : 0), 0) / y.length;

describe('training on separable data', () => {
  it('LogisticRegression: the loss decreases every epoch and the data is learned', async () => {
    const data = separable(600, 6, 1);
    const m = new LogisticRegression();
    const r = await m.fit(gpu, data, { epochs: 6, batchSize: 64, learningRate: 0.1, optimizer: 'sgd' });
    const losses = r.history.map((h) => h.loss);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(acc(await m.predict(gpu, data.x), data.y)).toBeGreaterThan(0.95);
  });

  it('SoftmaxRegression and MLP learn three blobs', async () => {
    const data = blobs(300, 5, 3, 2);
    const s = new SoftmaxRegression();
    const rs = await s.fit(gpu, data, { epochs: 8, batchSize: 32, learningRate: 0.05 });
    expect(rs.history.at(-1)!.loss).toBeLessThan(rs.history[0].loss);
    expect(acc(await s.predict(gpu, data.x), data.y)).toBeGreaterThan(0.95);
    const mlp = new MLP({ hidden: [16], activation: 'tanh' });
    const rm = await mlp.fit(gpu, data, { epochs: 8, batchSize: 32, learningRate: 0.02, seed: 4 });
    expect(rm.history.at(-1)!.loss).toBeLessThan(rm.history[0].loss);
    expect(acc(await mlp.predict(gpu, data.x), data.y)).toBeGreaterThan(0.95);
    const p = await mlp.predictProba(gpu, data.x);
    expect(p.length).toBe(300 * 3);
    expect(Math.abs(p[0] + p[1] + p[2] - 1)).toBeLessThan(1e-5);
    // fit and predict leave no tensors behind (the parameters' views go with their buffer)
    const live = gpu.memory().tensors;
    for (let i = 0; i < 3; i++) await mlp.predict(gpu, data.x);
    await new MLP({ hidden: [4] }).fit(gpu, data, { epochs: 1, batchSize: 64 });
    expect(gpu.memory().tensors).toBe(live);
  });

  it('LinearRegression recovers the coefficients (squared and Huber); ridge shrinks them', async () => {
    const rnd = lcg(5);
    const n = 400;
    const d = 3;
    const x = randArray(n * d, rnd);
    const coef = [2, -1, 0.5];
    const y = Float32Array.from({ length: n }, (_, i) => coef.reduce((s, c, j) => s + c * x[i * d + j], 0) + 0.7);
    for (const loss of ['squared', 'huber'] as const) {
      const m = new LinearRegression({ loss });
      await m.fit(gpu, { x, y, cols: d }, { epochs: 60, batchSize: 50, learningRate: 0.05, optimizer: 'adam' });
      const w = m.weights;
      expect(maxAbsDiff(w.weights[0], coef)).toBeLessThan(0.05);
      expect(Math.abs(w.biases[0][0] - 0.7)).toBeLessThan(0.05);
    }
    const ridge = new LinearRegression({ l2: 1 });
    await ridge.fit(gpu, { x, y, cols: d }, { epochs: 60, batchSize: 50, learningRate: 0.05 });
    const norm = (a: ArrayLike<number>) => Math.hypot(...Array.from(a));
    expect(norm(ridge.weights.weights[0])).toBeLessThan(0.9 * norm(coef));
  });

  it('class weights move the decision towards the up-weighted class', async () => {
    const data = separable(400, 4, 9);
    // Label noise so that the classes overlap and weights matter.
    const y = data.y.map((v, i) => (i % 5 === 0 ? 1 - v : v));
    const plain = new LogisticRegression();
    const weighted = new LogisticRegression({ classWeight: [1, 5] });
    await plain.fit(gpu, { ...data, y }, { epochs: 10, batchSize: 64, learningRate: 0.05 });
    await weighted.fit(gpu, { ...data, y }, { epochs: 10, batchSize: 64, learningRate: 0.05 });
    const ones = (p: Float32Array) => p.reduce((s, v) => s + v, 0);
    expect(ones(await weighted.predict(gpu, data.x))).toBeGreaterThan(ones(await plain.predict(gpu, data.x)) + 20);
  });
});

describe('reproducibility and backends', () => {
  const data = blobs(200, 4, 3, 3);
  const opts = { epochs: 3, batchSize: 40, learningRate: 0.01, seed: 7, optimizer: 'adam' as const };

  it('the same seed on the same backend gives the same weights; another seed does not', async () => {
    const a = new MLP({ hidden: [8, 6], activation: 'gelu' });
    const b = new MLP({ hidden: [8, 6], activation: 'gelu' });
    const c = new MLP({ hidden: [8, 6], activation: 'gelu' });
    await a.fit(gpu, data, opts);
    await b.fit(gpu, data, opts);
    await c.fit(gpu, data, { ...opts, seed: 8 });
    expect(maxAbsDiff(a.weights.weights[0], b.weights.weights[0])).toBe(0);
    expect(maxAbsDiff(a.weights.weights[2], b.weights.weights[2])).toBe(0);
    expect(maxAbsDiff(a.weights.weights[0], c.weights.weights[0])).toBeGreaterThan(1e-3);
  });

  it('webgpu and cpu train to the same weights for a fixed seed', async () => {
    for (const [make, o] of [
      [() => new MLP({ hidden: [8], activation: 'relu' }), opts],
      [() => new LogisticRegression({ l2: 0.01 }), { ...opts, optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true } as const, learningRate: 0.1 }],
    ] as const) {
      const two = data.y.map((v) => (v === 0 ? 0 : 1));
      const d = make() instanceof LogisticRegression ? { ...data, y: two } : data;
      const g = make();
      const c = make();
      await g.fit(gpu, d, o);
      await c.fit(cpu, d, o);
      const wg = g.weights;
      const wc = c.weights;
      for (let l = 0; l < wg.weights.length; l++) {
        expect(maxAbsDiff(wg.weights[l], wc.weights[l])).toBeLessThan(2e-4);
        expect(maxAbsDiff(wg.biases[l], wc.biases[l])).toBeLessThan(2e-4);
      }
    }
  });
});

describe('fit options', () => {
  it('a stream of batches (re-batched) trains exactly as the same rows in memory without shuffle', async () => {
    const data = separable(250, 3, 4);
    async function* stream() {
      // Uneven source batches: 70, 70, 70, 40.
      for (let s = 0; s < 250; s += 70) {
        const n = Math.min(70, 250 - s);
        yield { x: data.x.slice(s * 3, (s + n) * 3), y: data.y.slice(s, s + n), n };
      }
    }
    const a = new LogisticRegression();
    const b = new LogisticRegression();
    const ra = await a.fit(cpu, () => stream(), { epochs: 2, batchSize: 50, learningRate: 0.1 });
    await b.fit(cpu, data, { epochs: 2, batchSize: 50, learningRate: 0.1, shuffle: false });
    expect(ra.steps).toBe(10);
    expect(ra.rowsPerEpoch).toBe(250);
    expect(maxAbsDiff(a.weights.weights[0], b.weights.weights[0])).toBeLessThan(1e-6);
  });

  it('steps grouped into one submit train exactly as one step per submit, with the loss read at the same steps', async () => {
    const data = blobs(250, 4, 3, 11);
    const two = data.y.map((v) => (v === 0 ? 0 : 1));
    // Uneven batches as they come (70, 70, 70, 40): a group ends where the batch size changes.
    const stream = (y: Float32Array) =>
      function* () {
        for (let s = 0; s < 250; s += 70) {
          const n = Math.min(70, 250 - s);
          yield { x: data.x.slice(s * 4, (s + n) * 4), y: y.slice(s, s + n), n };
        }
      };
    for (const [make, y] of [
      [() => new MLP({ hidden: [8, 5], activation: 'relu', classes: 3 }), data.y],
      [() => new LogisticRegression({ classWeight: [1, 2.5], l2: 0.01 }), two],
    ] as const) {
      const runs = [];
      for (const stepsPerSubmit of [1, 3, 8]) {
        const m = make();
        const steps: number[] = [];
        const losses: number[] = [];
        const r = await m.fit(gpu, stream(y), { epochs: 3, lossEvery: 5, learningRate: 0.05, seed: 2, stepsPerSubmit, onProgress: (p) => p.phase === 'step' && (steps.push(p.step), losses.push(p.loss)) });
        runs.push({ w: m.weights, steps, losses, r });
      }
      expect(runs[0].steps).toEqual([5, 10]);
      for (const run of runs.slice(1)) {
        expect(run.steps).toEqual(runs[0].steps);
        expect(run.losses).toEqual(runs[0].losses);
        expect(run.r.history.map((h) => h.loss)).toEqual(runs[0].r.history.map((h) => h.loss));
        for (let l = 0; l < run.w.weights.length; l++) {
          expect(maxAbsDiff(run.w.weights[l], runs[0].w.weights[l])).toBe(0);
          expect(maxAbsDiff(run.w.biases[l], runs[0].w.biases[l])).toBe(0);
        }
      }
    }
  });

  it('trains from a @gantry/data DataLoader over a synthetic source', async () => {
    const { DataLoader, synthetic } = await import('@gantry/data');
    const source = synthetic.classification({ rows: 3000, features: 6, informative: 4, redundant: 0, classSep: 2, seed: 3, batchRows: 1000, flipY: 0 });
    const loader = new DataLoader(source, { label: 'label', batchSize: 256, shuffle: true, seed: 1 });
    const m = new LogisticRegression();
    const r = await m.fit(gpu, loader, { epochs: 3, learningRate: 0.05 });
    expect(r.rowsPerEpoch).toBe(3000);
    // fit read the loader exactly once per epoch (its width came from loader.info(), not a peek)
    for await (const b of loader) {
      expect(b.epoch).toBe(3);
      break;
    }
    expect(r.history[2].loss).toBeLessThan(r.history[0].loss);
    expect(m.inputNames).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
  });

  it('onProgress reports every lossEvery steps and each epoch; early stopping stops and restores the best', async () => {
    const data = blobs(240, 4, 3, 5);
    const val = blobs(60, 4, 3, 6);
    const seen: Progress[] = [];
    const m = new SoftmaxRegression();
    const r = await m.fit(gpu, data, { epochs: 3, batchSize: 20, lossEvery: 4, learningRate: 0.05, onProgress: (p) => seen.push(p) });
    expect(seen.filter((p) => p.phase === 'step').map((p) => p.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36]);
    expect(seen.filter((p) => p.phase === 'epoch').length).toBe(3);
    expect(r.steps).toBe(36);
    // A huge learning rate makes the validation loss bounce: early stopping must stop before 40 epochs and keep the best.
    const e = new MLP({ hidden: [8] });
    const re = await e.fit(gpu, data, { epochs: 40, batchSize: 20, learningRate: 0.5, optimizer: 'sgd', validation: val, earlyStopping: { metric: 'accuracy', patience: 2 }, seed: 1 });
    expect(re.stoppedEarly).toBe(true);
    expect(re.epochs).toBeLessThan(40);
    const best = Math.max(...re.history.map((h) => h.validation!));
    expect(re.validation!.value).toBe(best);
    expect(acc(await e.predict(gpu, val.x), val.y)).toBeCloseTo(best, 6);
  });

  it('loss reads that complete while later steps run report the same losses as waiting for each, in order', async () => {
    const data = blobs(400, 4, 3, 7);
    // reports at every step (lossEvery 1: each report waits for its own step) and every 7th
    // (the reads complete while later steps run) give the same losses at the same steps
    const every = async (lossEvery: number) => {
      const seen: Progress[] = [];
      await new SoftmaxRegression().fit(gpu, data, { epochs: 2, batchSize: 20, lossEvery, learningRate: 0.05, seed: 4, onProgress: (p) => seen.push(p) });
      return seen;
    };
    const one = await every(1);
    const seven = await every(7);
    const steps = seven.filter((p) => p.phase === 'step');
    expect(steps.map((p) => p.step)).toEqual([7, 14, 21, 28, 35]);
    for (const p of steps) expect(p.loss, `step ${p.step}`).toBe(one.find((q) => q.phase === 'step' && q.step === p.step)!.loss);
    // progress arrives in order, the epoch report after its steps'
    expect(seven.map((p) => `${p.phase}${p.step}`)).toEqual(['step7', 'step14', 'epoch20', 'step21', 'step28', 'step35', 'epoch40']);
  });

  it('a NaN or infinite feature fails the fit with BAD_DATA naming the row and column (in memory and streamed), before any report', async () => {
    const data = blobs(400, 4, 3, 7);
    const bad = { ...data, x: Float32Array.from(data.x as Float32Array) };
    bad.x[4 * 150 + 2] = Number.NaN;
    const seen: Progress[] = [];
    // an MLP: through relu a NaN would not even show in the loss on the device (max(NaN, 0) = 0 in WGSL)
    await expect(new MLP({ hidden: [4], classes: 3 }).fit(gpu, bad, { epochs: 1, batchSize: 20, lossEvery: 1, onProgress: (p) => seen.push(p) })).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(/data\.x has NaN at row 150, column 2/),
    });
    expect(seen).toEqual([]);
    const inf = Float32Array.from(data.x as Float32Array);
    inf[4 * 333 + 1] = -Infinity;
    const stream = function* () {
      for (let s = 0; s < 400; s += 100) yield { x: inf.slice(s * 4, (s + 100) * 4), y: data.y.slice(s, s + 100), n: 100 };
    };
    await expect(new SoftmaxRegression({ classes: 3 }).fit(gpu, stream, { epochs: 1, lossEvery: 1 })).rejects.toMatchObject({ code: 'BAD_DATA', message: expect.stringMatching(/stream has -Infinity at row 333, column 1/) });
  });

  it('learning-rate schedules follow their formulas', () => {
    const step = makeSchedule({ kind: 'step', stepSize: 10, gamma: 0.5 }, 1, 100);
    expect([step(0), step(9), step(10), step(25)]).toEqual([1, 1, 0.5, 0.25]);
    const cos = makeSchedule('cosine', 2, 100);
    expect(cos(0)).toBe(2);
    expect(cos(50)).toBeCloseTo(1, 12);
    expect(cos(100)).toBe(0);
    const warm = makeSchedule({ kind: 'warmup', warmupSteps: 4, after: { kind: 'cosine', totalSteps: 10 } }, 1, 14);
    expect([warm(0), warm(3)]).toEqual([0.25, 1]);
    expect(warm(4)).toBe(1);
    expect(warm(9)).toBeCloseTo(0.5, 12);
  });

  it('bad options and bad data are typed errors that name the field', async () => {
    const data = separable(20, 2, 1);
    const check = async (f: () => unknown, code: string, re: RegExp) => {
      let err: unknown;
      try {
        await f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).code).toBe(code);
      expect((err as Error).message).toMatch(re);
    };
    await check(() => new MLP({ activation: 'swish' as 'relu' }), 'BAD_OPTION', /activation must be one of 'relu', 'tanh', 'gelu', 'sigmoid'/);
    await check(() => new MLP({ hidden: [0] }), 'BAD_OPTION', /hidden\[0\]/);
    await check(() => new LogisticRegression().fit(gpu, data, { epochs: 0 }), 'BAD_OPTION', /epochs must be an integer ≥ 1, got 0/);
    await check(() => new LogisticRegression().fit(gpu, data, { stepsPerSubmit: 0 }), 'BAD_OPTION', /stepsPerSubmit must be an integer ≥ 1 ≤ 256, got 0/);
    await check(() => new LogisticRegression().fit(gpu, data, { optimizer: 'rmsprop' as 'sgd' }), 'BAD_OPTION', /optimizer.kind must be one of 'sgd', 'adam', 'adamw'/);
    await check(() => new LogisticRegression().fit(gpu, { ...data, y: data.y.map((v) => v * 2) }), 'BAD_DATA', /expected a 0\/1 target/);
    await check(() => new SoftmaxRegression({ classes: 2 }).fit(gpu, { x: data.x, y: [0, 1, 2, ...Array(17).fill(0)], cols: 2 }), 'BAD_DATA', /class index in 0..1/);
    await check(() => new LogisticRegression().predict(gpu, data.x), 'NOT_FITTED', /not fitted/);
    await check(() => new LogisticRegression().fit(gpu, { x: data.x, y: data.y.subarray(0, 5), cols: 2 }), 'SHAPE_MISMATCH', /5 labels/);
    const m = new LogisticRegression();
    await m.fit(gpu, data, { epochs: 1 });
    await check(() => m.predict(gpu, [[1, 2, 3]]), 'SHAPE_MISMATCH', /3 values but the model takes 2/);
  });
});

describe('predict paths', () => {
  it('device predict is chunked and matches the host f64 forward; predictRow matches predict', async () => {
    const data = blobs(257, 5, 4, 8);
    const m = new MLP({ hidden: [7, 5], activation: 'gelu' });
    await m.fit(gpu, data, { epochs: 2, batchSize: 64, seed: 2 });
    const net = new DeviceNet(gpu, m.spec, m.weights);
    const chunked = await devicePredict(gpu, net, data.x, 257, 50); // 6 chunks, the last one partial
    net.dispose();
    const host = hostForward(m.spec, m.weights, data.x, 257);
    expect(maxAbsDiff(chunked, host)).toBeLessThan(1e-5);
    const whole = await m.predictProba(gpu, { x: data.x, cols: 5 });
    expect(maxAbsDiff(whole, host)).toBeLessThan(1e-5);
    const labels = await m.predict(gpu, data.x);
    for (const r of [0, 100, 256]) {
      expect(m.predictRow(data.x.subarray(r * 5, r * 5 + 5))).toBe(labels[r]);
      expect(maxAbsDiff(m.predictProbaRow(Array.from(data.x.subarray(r * 5, r * 5 + 5))), host.subarray(r * 4, r * 4 + 4))).toBeLessThan(1e-6);
    }
  });
});
