import { createGpu, type Gpu } from '@gantry/gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeaturePipeline, generateKernel, type ColumnSpec } from '../src/index.js';
import { normal, rng } from './helpers.js';

const SPEC: ColumnSpec[] = [
  { column: 'a', transforms: [{ type: 'impute', strategy: 'median' }, { type: 'standardScale' }] },
  { column: 'b', transforms: [{ type: 'clip', min: -0.9, max: 50 }, { type: 'log1p' }, { type: 'robustScale' }] },
  { column: 'c', transforms: [{ type: 'minMaxScale', range: [-1, 1] }] },
  { column: 'c', name: 'c_small', transforms: [{ type: 'log1p' }] },
  { column: 'd', transforms: [{ type: 'impute', strategy: 'constant', value: -1 }, { type: 'bucketize', buckets: 10 }] },
  { column: 'e', transforms: [{ type: 'bucketize', boundaries: [-1, 0, 0.5, 1] }] },
  { column: 'f', transforms: [{ type: 'standardScale' }, { type: 'minMaxScale' }] },
  { column: 'city', transforms: [{ type: 'oneHot', topK: 4 }] },
  { column: 'tag', transforms: [{ type: 'hash', nFeatures: 6 }] },
];

/** Float32-representable random data: the GPU path reads float32 inputs. */
function data(seed: number, n: number) {
  const r = rng(seed);
  const f = (x: number) => Math.fround(x);
  const cols = { a: [] as (number | null)[], b: [] as number[], c: [] as number[], d: [] as (number | null)[], e: [] as number[], f: [] as number[], city: [] as string[], tag: [] as string[] };
  for (let i = 0; i < n; i++) {
    cols.a.push(r() < 0.1 ? null : f(1000 + 25 * normal(r)));
    cols.b.push(f(Math.exp(normal(r) * 1.5) - 0.95));
    cols.c.push(f((r() - 0.5) * 1e-3));
    cols.d.push(r() < 0.05 ? null : f(normal(r)));
    cols.e.push(f(normal(r)));
    cols.f.push(f(-3e4 + 7 * normal(r)));
    cols.city.push(`c${Math.floor(r() * r() * 8)}`);
    cols.tag.push(`t${Math.floor(r() * 100)}`);
  }
  return cols;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

describe('the fused WGSL kernel', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await createGpu({ backend: 'webgpu' });
  });
  afterAll(() => gpu?.destroy());

  it('agrees with the CPU path (≤ 1e-6 relative, floor 1) on random data with missing values, in one dispatch', async () => {
    for (const seed of [1, 2]) {
      const train = data(seed, 4000);
      const p = await new FeaturePipeline(SPEC).fit([train]);
      const test = data(seed + 100, 3000);
      const cpu = p.transformBatch(test);
      const g = p.toGpu(gpu);
      expect(g.width).toBe(p.outputWidth);
      const before = gpu.memory().dispatches;
      const x = gpu.tensor(p.numericMatrix(test), [3000, p.numericInputs.length]);
      const cat = gpu.tensor(p.transformCategorical(test), [3000, p.outputWidth - p.numericWidth]);
      const y = g.transform(x, cat);
      expect(y.shape).toEqual([3000, p.outputWidth]);
      const out = await y.read();
      expect(gpu.memory().dispatches - before).toBe(1);
      expect(maxRel(out, cpu)).toBeLessThanOrEqual(1e-6);
      // bucket indices and one-hot / hash columns match exactly
      const w = p.outputWidth;
      const exactCols = p.outputNames.map((n, j) => (n === 'd' || n === 'e' || j >= p.numericWidth ? j : -1)).filter((j) => j >= 0);
      let mismatches = 0;
      for (let i = 0; i < 3000; i++) for (const j of exactCols) if (out[i * w + j] !== cpu[i * w + j]) mismatches++;
      expect(mismatches).toBe(0);
      [x, cat, y].forEach((t) => t.dispose());
    }
  });

  it('a saved-and-loaded pipeline generates the same kernel and output; the launch folds into 2-D', async () => {
    const p = await new FeaturePipeline(SPEC.slice(0, 7)).fit([data(3, 2000)]);
    const q = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(generateKernel(q.numericPlan())).toEqual(generateKernel(p.numericPlan()));
    const test = data(4, 1000);
    const x = gpu.tensor(p.numericMatrix(test), [1000, 6]);
    const y1 = await p.toGpu(gpu).transform(x).read();
    // 16 rows of workgroups along x at most: 1000 rows → 16 × 1 groups... force a 2-D grid of 4 × 4
    const y2 = await q.toGpu(gpu, { maxWorkgroupsX: 4 }).transform(x).read();
    expect(Buffer.from(y2.buffer).equals(Buffer.from(y1.buffer))).toBe(true);
    expect(maxRel(y1, q.transformBatch(test))).toBeLessThanOrEqual(1e-6);
    x.dispose();
  });

  it('the cpu backend runs the same plan in TypeScript', async () => {
    const cpuGpu = await createGpu({ backend: 'cpu' });
    try {
      const p = await new FeaturePipeline(SPEC.slice(0, 7)).fit([data(5, 1500)]);
      const test = data(6, 500);
      const y = await p.toGpu(cpuGpu).transform(cpuGpu.tensor(p.numericMatrix(test), [500, 6])).read();
      expect(maxRel(y, p.transformBatch(test))).toBeLessThanOrEqual(1e-6);
    } finally {
      cpuGpu.destroy();
    }
  });

  it('rejects inputs of the wrong shape with SCHEMA_MISMATCH', async () => {
    const p = await new FeaturePipeline(SPEC).fit([data(7, 500)]);
    const g = p.toGpu(gpu);
    const x = gpu.tensor(new Float32Array(10 * 3), [10, 3]);
    expect(() => g.transform(x)).toThrow(/x must be \[n, 6\] \(columns a, b, c, d, e, f\)/);
    const x6 = gpu.tensor(new Float32Array(10 * 6), [10, 6]);
    expect(() => g.transform(x6)).toThrow(/pass cat \[10, 11\] from pipeline.transformCategorical/);
    x.dispose();
    x6.dispose();
  });
});
