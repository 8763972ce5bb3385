import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { createGpu, type Gpu } from '@gantry/gpu';
import { LinearRegression, LogisticRegression, MLP, ModelError, SoftmaxRegression, exportOnnx, type Model } from '../src/index.js';
import { hostForward } from '../src/core/network.js';
import { StandInPipeline, blobs, lcg, maxAbsDiff, randArray, separable } from './helpers.js';

let gpu: Gpu;
beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= '/tmp/gantry-xdg';
  gpu = await createGpu({ backend: 'webgpu' });
});
afterAll(() => gpu?.destroy());

async function runOnnx(bytes: Uint8Array, x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor('float32', x, [rows, cols]) });
  expect(out.output.dims).toEqual([rows, (out.output.dims as number[])[1]]);
  const data = out.output.data as Float32Array;
  await session.release();
  return data;
}

describe('ONNX export, run by onnxruntime-node', () => {
  const cases: [string, () => Model, { x: Float32Array; y: Float32Array; cols: number }][] = [
    ['linear', () => new LinearRegression(), separable(100, 5, 1)],
    ['logistic', () => new LogisticRegression(), separable(100, 5, 2)],
    ['softmax', () => new SoftmaxRegression(), blobs(100, 5, 4, 3)],
    ...(['relu', 'tanh', 'gelu', 'sigmoid'] as const).map((a, i) => [`mlp ${a}`, () => new MLP({ hidden: [9, 7], activation: a }), blobs(100, 5, 3, 4 + i)] as [string, () => Model, { x: Float32Array; y: Float32Array; cols: number }]),
    ['mlp regression', () => new MLP({ hidden: [8], task: 'regression', activation: 'gelu' }), separable(100, 5, 9)],
  ];
  for (const [name, make, data] of cases) {
    it(`${name}: same outputs as the device and the host forward`, async () => {
      const m = make();
      await m.fit(gpu, data, { epochs: 2, batchSize: 25, seed: 3, learningRate: 0.05 });
      const e = exportOnnx(m);
      expect(e.includesPipeline).toBe(false);
      const onnx = await runOnnx(e.bytes, data.x, 100, 5);
      const host = hostForward(m.spec, m.weights, data.x, 100);
      expect(onnx.length).toBe(host.length);
      expect(maxAbsDiff(onnx, host)).toBeLessThan(2e-5);
      const device = (await m.outputs(gpu, data.x)).data;
      expect(maxAbsDiff(onnx, device)).toBeLessThan(2e-5);
    });
  }

  it('the numeric feature pipeline becomes ONNX ops: raw columns in, same probabilities out', async () => {
    const pipe = new StandInPipeline(['a', 'b', 'c', 'd'], [1, 2, 3, 4], [-1, 0, -2, -10], [1, 50, 2, 10], [false, true, false, true], [2, 0.3, 1, 0.1], [0.5, -1, 0, 0.2]);
    const rnd = lcg(77);
    const raw = Array.from({ length: 60 }, (_, i) => ({ a: rnd() * 4 - 2, b: i % 6 === 0 ? Number.NaN : rnd() * 80, c: rnd() * 6 - 3, d: rnd() * 9 }));
    const x = pipe.transformBatch(raw);
    const y = Float32Array.from({ length: 60 }, (_, i) => i % 3);
    const m = new MLP({ hidden: [6], activation: 'tanh' }).attachPipeline(pipe);
    await m.fit(gpu, { x, y, cols: 4 }, { epochs: 2, batchSize: 20 });
    const e = exportOnnx(m);
    expect(e.includesPipeline).toBe(true);
    expect(e.inputNames).toEqual(['a', 'b', 'c', 'd']);
    const rawMatrix = Float32Array.from(raw.flatMap((r) => [r.a, r.b, r.c, r.d]));
    const onnx = await runOnnx(e.bytes, rawMatrix, 60, 4);
    expect(maxAbsDiff(onnx, await m.predictProba(gpu, raw))).toBeLessThan(2e-5);
    // Without the pipeline the file takes the features.
    const bare = exportOnnx(m, { includePipeline: false });
    expect(maxAbsDiff(await runOnnx(bare.bytes, x, 60, 4), onnx)).toBeLessThan(2e-5);
  });

  it('a real @gantry/features pipeline: its numeric plan becomes ONNX ops (column reuse, mixed chains, NaNs)', async () => {
    const { FeaturePipeline } = await import('@gantry/features');
    const { fromFeaturePipeline } = await import('../src/index.js');
    const rnd = lcg(91);
    const n = 80;
    const cols = {
      age: Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? Number.NaN : 20 + rnd() * 50)),
      income: Float64Array.from({ length: n }, () => rnd() * 1e5),
      score: Float64Array.from({ length: n }, () => rnd() * 10 - 5),
    };
    const fitted = new FeaturePipeline([
      { column: 'age', transforms: [{ type: 'impute', strategy: 'median' }, { type: 'standardScale' }] },
      { column: 'income', transforms: [{ type: 'log1p' }, { type: 'robustScale' }] },
      { column: 'score', transforms: [{ type: 'clip', min: -3, max: 3 }, { type: 'minMaxScale' }] },
      { column: 'income', name: 'income_raw', transforms: [{ type: 'minMaxScale', range: [-1, 1] }] },
    ] as never);
    await fitted.fit(cols as never);
    const pipe = fromFeaturePipeline(fitted as never);
    const steps = pipe.numericSteps!()!;
    expect(steps.inputNames.length).toBe(3);
    const raw = Array.from({ length: n }, (_, i) => ({ age: cols.age[i], income: cols.income[i], score: cols.score[i] }));
    const x = pipe.transformBatch(raw);
    const y = Float32Array.from(raw, (r) => (r.score > 0 ? 1 : 0));
    const m = new LogisticRegression().attachPipeline(pipe);
    await m.fit(gpu, { x, y, cols: pipe.outputWidth }, { epochs: 3, batchSize: 16, seed: 2 });
    const e = exportOnnx(m, { includePipeline: true });
    expect(e.includesPipeline).toBe(true);
    expect(e.inputNames).toEqual(steps.inputNames);
    const rawMatrix = Float32Array.from(raw.flatMap((r) => steps.inputNames.map((c) => (r as Record<string, number>)[c])));
    const onnx = await runOnnx(e.bytes, rawMatrix, n, steps.inputNames.length);
    // P(class 1) per row, as the device computes it from the pipeline's features
    expect(maxAbsDiff(onnx, (await m.outputs(gpu, x)).data)).toBeLessThan(2e-5);
    const proba = await m.predictProba(gpu, raw);
    expect(maxAbsDiff(onnx, Float32Array.from({ length: n }, (_, i) => proba[i * 2 + 1]))).toBeLessThan(2e-5);
    // the features alone: the ONNX front end reproduces the pipeline's matrix
    const front = await runOnnx(exportOnnx(new LinearRegression().attachPipeline(pipe)._restore({ spec: { inputWidth: 4, hidden: [], outputs: 4, head: 'identity', loss: 'mse' }, weights: { weights: [Float32Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 1 : 0))], biases: [new Float32Array(4)] }, inputNames: pipe.outputNames as string[], createdAt: '' }, pipe)).bytes, rawMatrix, n, 3);
    expect(maxAbsDiff(front, x)).toBeLessThan(1e-5);
  });

  it('a pipeline with non-numeric steps is refused when asked for, else left out', async () => {
    const pipe = Object.assign(new StandInPipeline(['a', 'b'], [0, 0], [-9, -9], [9, 9], [false, false], [1, 1], [0, 0]), { numericSteps: () => undefined });
    const m = new LogisticRegression().attachPipeline(pipe);
    const d = separable(40, 2, 5);
    await m.fit(gpu, d, { epochs: 1 });
    expect(exportOnnx(m).includesPipeline).toBe(false);
    expect(() => exportOnnx(m, { includePipeline: true })).toThrow(ModelError);
    expect(() => exportOnnx(new LogisticRegression())).toThrow(/not fitted/);
    const x = randArray(8, lcg(1));
    expect((await runOnnx(exportOnnx(m).bytes, x, 4, 2)).length).toBe(4);
  });
});
