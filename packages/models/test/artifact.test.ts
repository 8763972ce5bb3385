import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpu, type Gpu } from '@gantry/gpu';
import { LinearRegression, LogisticRegression, MLP, ModelError, SoftmaxRegression, decodeSafetensors, encodeSafetensors, loadModel, saveModel, type Model } from '../src/index.js';
import { StandInPipeline, blobs, maxAbsDiff, separable } from './helpers.js';

let gpu: Gpu;
let dir: string;
beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= '/tmp/gantry-xdg';
  gpu = await createGpu({ backend: 'webgpu' });
  dir = mkdtempSync(join(tmpdir(), 'gantry-artifact-'));
});
afterAll(() => {
  gpu?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function expectError(f: () => unknown, code: string, re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelError);
  expect({ code: (err as ModelError).code, message: (err as Error).message }).toMatchObject({ code });
  expect((err as Error).message).toMatch(re);
}

describe('safetensors', () => {
  it('round-trips tensors and metadata, with a header padded to 8 bytes', () => {
    const a = { name: 'a', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6]) };
    const b = { name: 'b.bias', shape: [1], data: Float32Array.from([Math.PI]) };
    const buf = encodeSafetensors([a, b], { k: 'v' });
    const n = Number(new DataView(buf.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)))).toEqual({
      __metadata__: { k: 'v' },
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      'b.bias': { dtype: 'F32', shape: [1], data_offsets: [24, 28] },
    });
    const { tensors, metadata } = decodeSafetensors(buf);
    expect(metadata).toEqual({ k: 'v' });
    expect(Array.from(tensors.get('a')!.data)).toEqual(Array.from(a.data));
    expect(tensors.get('b.bias')!.data[0]).toBe(Math.fround(Math.PI));
  });

  it('refuses truncated data, bad offsets, other dtypes and a header past the end', async () => {
    const buf = encodeSafetensors([{ name: 'a', shape: [4], data: new Float32Array(4) }]);
    await expectError(() => decodeSafetensors(buf.subarray(0, buf.length - 4)), 'CORRUPT_ARTIFACT', /past the 12 data bytes/);
    const big = buf.slice();
    new DataView(big.buffer).setBigUint64(0, 1n << 40n, true);
    await expectError(() => decodeSafetensors(big), 'CORRUPT_ARTIFACT', /header length/);
    const mk = (h: object, dataBytes: number) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    await expectError(() => decodeSafetensors(mk({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4)), 'INCOMPATIBLE_ARTIFACT', /dtype "F16"/);
    await expectError(() => decodeSafetensors(mk({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), 'CORRUPT_ARTIFACT', /needs 12 bytes/);
    await expectError(() => decodeSafetensors(mk({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)), 'CORRUPT_ARTIFACT', /contiguous/);
  });
});

describe('artifacts: save → load', () => {
  const models: [string, () => Model, { x: Float32Array; y: Float32Array; cols: number }][] = [
    ['linear', () => new LinearRegression({ loss: 'huber', l2: 0.01 }), { ...separable(120, 4, 1) }],
    ['logistic', () => new LogisticRegression({ classWeight: 'balanced' }), separable(120, 4, 2)],
    ['softmax', () => new SoftmaxRegression({ classWeight: [1, 2, 1] }), blobs(120, 4, 3, 3)],
    ['mlp', () => new MLP({ hidden: [6, { units: 4, activation: 'tanh' }], activation: 'gelu' }), blobs(120, 4, 3, 4)],
  ];
  for (const [kind, make, data] of models) {
    it(`${kind}: identical predictions, metadata and schema after a round trip`, async () => {
      const m = make();
      await m.fit(gpu, { ...data, featureNames: ['a', 'b', 'c', 'd'] }, { epochs: 2, batchSize: 32, seed: 1 });
      const p = join(dir, kind);
      saveModel(m, p);
      expect(readdirSync(p).sort()).toEqual(['model.json', 'model.safetensors']);
      const meta = JSON.parse(readFileSync(join(p, 'model.json'), 'utf8'));
      expect(meta).toMatchObject({ format: 'gantry.model', formatVersion: 1, kind, input: { names: ['a', 'b', 'c', 'd'], width: 4 }, featurePipeline: null });
      expect(meta.dataHash).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(meta.createdAt)).toBeGreaterThan(0);
      const back = await loadModel(p);
      expect(back.kind).toBe(kind);
      expect(back.constructor).toBe(m.constructor);
      expect(back.hyperParameters).toEqual(m.hyperParameters);
      expect(back.training?.dataHash).toBe(m.training?.dataHash);
      const a = m.task === 'regression' ? await m.predict(gpu, data.x) : await m.predictProba(gpu, data.x);
      const b = back.task === 'regression' ? await back.predict(gpu, data.x) : await back.predictProba(gpu, data.x);
      expect(maxAbsDiff(a, b)).toBe(0);
      await expectError(() => saveModel(m, p), 'CONFLICT', /exists/);
      saveModel(back, p, { overwrite: true });
      expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    });
  }

  it('the data hash depends on the data', async () => {
    const a = new LogisticRegression();
    const b = new LogisticRegression();
    const d = separable(50, 3, 1);
    await a.fit(gpu, d, { epochs: 1 });
    await b.fit(gpu, { ...d, x: d.x.map((v, i) => (i === 0 ? v + 1 : v)) }, { epochs: 1 });
    expect(a.training!.dataHash).not.toBe(b.training!.dataHash);
  });

  it('refuses corrupt and incompatible artifacts with clear errors', async () => {
    const m = new SoftmaxRegression();
    await m.fit(gpu, blobs(60, 3, 3, 1), { epochs: 1 });
    const p = join(dir, 'victim');
    const reset = () => saveModel(m, p, { overwrite: true });
    const edit = (f: (j: Record<string, any>) => void) => {
      const j = JSON.parse(readFileSync(join(p, 'model.json'), 'utf8'));
      f(j);
      writeFileSync(join(p, 'model.json'), JSON.stringify(j));
    };
    reset();
    const w = readFileSync(join(p, 'model.safetensors'));
    w[w.length - 1] ^= 0xff;
    writeFileSync(join(p, 'model.safetensors'), w);
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /sha256/);
    reset();
    writeFileSync(join(p, 'model.safetensors'), readFileSync(join(p, 'model.safetensors')).subarray(0, 40));
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /truncated/);
    reset();
    writeFileSync(join(p, 'model.json'), '{"format": "gantry.model", ');
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /not valid JSON/);
    reset();
    edit((j) => (j.formatVersion = 99));
    await expectError(() => loadModel(p), 'INCOMPATIBLE_ARTIFACT', /formatVersion 99 is newer/);
    reset();
    edit((j) => (j.kind = 'xgboost'));
    await expectError(() => loadModel(p), 'INCOMPATIBLE_ARTIFACT', /kind "xgboost" is unknown/);
    reset();
    edit((j) => (j.network.outputs = 4));
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /output.width must be 4/);
    reset();
    edit((j) => {
      j.network.outputs = 4;
      j.output.width = 4;
    });
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /layers.0.weight has shape \[3, 3\], the network needs \[3, 4\]/);
    reset();
    edit((j) => (j.input.names = ['only-one']));
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /input must list 3 names/);
    reset();
    rmSync(join(p, 'model.safetensors'));
    await expectError(() => loadModel(p), 'CORRUPT_ARTIFACT', /missing/);
    await expectError(() => loadModel(join(dir, 'nothing-here')), 'NOT_FOUND', /no model.json/);
  });
});

describe('feature pipeline attachment', () => {
  it('predict takes raw rows, and the artifact carries the pipeline', async () => {
    const pipe = new StandInPipeline(['age', 'income', 'score'], [40, 1000, 0], [0, 0, -5], [100, 1e6, 5], [false, true, false], [0.05, 0.5, 1], [-2, -3, 0]);
    const raw = Array.from({ length: 80 }, (_, i) => ({ age: i % 7 === 0 ? null : 20 + (i % 50), income: 500 + 300 * (i % 13), score: (i % 9) - 4 }));
    const x = pipe.transformBatch(raw);
    const y = Float32Array.from(raw, (r) => ((r.score ?? 0) + (r.income > 2000 ? 2 : -2) > 0 ? 1 : 0));
    const m = new LogisticRegression().attachPipeline(pipe);
    await m.fit(gpu, { x, y, cols: 3 }, { epochs: 3, batchSize: 16 });
    expect(m.inputNames).toEqual(['age_std', 'income_std', 'score_std']);
    const fromRaw = await m.predictProba(gpu, raw);
    expect(maxAbsDiff(fromRaw, await m.predictProba(gpu, x))).toBe(0);
    expect(m.predictRow(raw[3])).toBe(m.predictRow(x.subarray(9, 12)));
    const p = join(dir, 'with-pipeline');
    saveModel(m, p);
    expect(JSON.parse(readFileSync(join(p, 'model.json'), 'utf8')).featurePipeline).toEqual(pipe.toJSON());
    // Without a restorer the default (@gantry/features' FeaturePipeline.fromJSON) cannot read the stand-in's JSON.
    await expect(loadModel(p)).rejects.toSatisfy((e: unknown) => e instanceof ModelError && ['INCOMPATIBLE_ARTIFACT', 'CORRUPT_ARTIFACT'].includes(e.code) && /feature ?pipeline/i.test(e.message));
    const back = await loadModel(p, { pipelineFromJSON: StandInPipeline.fromJSON });
    expect(maxAbsDiff(await back.predictProba(gpu, raw), fromRaw)).toBe(0);
    const bare = await loadModel(p, { ignorePipeline: true });
    await expectError(() => bare.predict(gpu, raw), 'BAD_DATA', /need an attached feature pipeline/);
    await expectError(() => new LogisticRegression().attachPipeline({} as never), 'BAD_OPTION', /fitted feature pipeline/);
    await expectError(() => m.attachPipeline(new StandInPipeline(['a'], [0], [0], [1], [false], [1], [0])), 'SHAPE_MISMATCH', /outputWidth 1/);
  });
});

describe('the real @gantry/features FeaturePipeline', () => {
  it('attaches through fromFeaturePipeline and round-trips through an artifact', async () => {
    const features = await import('@gantry/features');
    const { fromFeaturePipeline } = await import('../src/index.js');
    const FP = features.FeaturePipeline as unknown as { fromJSON(j: unknown): { toJSON(): unknown } };
    const Ctor = features.FeaturePipeline as unknown as new (spec: unknown) => { fit(src: unknown): Promise<unknown> | unknown; transformRow(r: Record<string, unknown>): Float32Array; outputWidth: number; outputNames: string[]; toJSON(): unknown };
    let fitted: InstanceType<typeof Ctor>;
    try {
      fitted = new Ctor([{ column: 'a', transforms: [{ type: 'standardScale' }] }, { column: 'b', transforms: [{ type: 'standardScale' }] }]);
      await fitted.fit({ a: Float64Array.from({ length: 50 }, (_, i) => i), b: Float64Array.from({ length: 50 }, (_, i) => (i * 7) % 11) });
    } catch (e) {
      throw new Error(`could not fit a FeaturePipeline from plain columns: ${(e as Error).message}`);
    }
    const pipe = fromFeaturePipeline(fitted);
    const raw = Array.from({ length: 50 }, (_, i) => ({ a: i, b: (i * 7) % 11 }));
    const x = pipe.transformBatch(raw);
    const y = Float32Array.from(raw, (r) => (r.a > 25 ? 1 : 0));
    const m = new LogisticRegression().attachPipeline(pipe);
    await m.fit(gpu, { x, y, cols: pipe.outputWidth }, { epochs: 2, batchSize: 10 });
    const p = join(dir, 'real-pipeline');
    saveModel(m, p);
    const back = await loadModel(p); // default restorer: FeaturePipeline.fromJSON, wrapped
    expect(maxAbsDiff(await back.predictProba(gpu, raw), await m.predictProba(gpu, raw))).toBe(0);
    expect(FP.fromJSON(fitted.toJSON()).toJSON()).toEqual(fitted.toJSON());
  });
});
