import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float64, RecordBatch, Table, tableFromArrays, vectorFromArray, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { FeatureError, FeaturePipeline, PipelineFitter, type ColumnSpec } from '../src/index.js';
import { normal, rng } from './helpers.js';

const SPEC: ColumnSpec[] = [
  { column: 'a', transforms: [{ type: 'impute', strategy: 'mean' }, { type: 'standardScale' }] },
  { column: 'b', transforms: [{ type: 'log1p' }, { type: 'minMaxScale', range: [-1, 1] }, { type: 'clip', min: -0.5 }] },
  { column: 'b', name: 'b_bucket', transforms: [{ type: 'bucketize', buckets: 5 }] },
  { column: 'city', transforms: [{ type: 'impute', strategy: 'constant', value: 'missing' }, { type: 'oneHot', topK: 3 }] },
  { column: 'tag', transforms: [{ type: 'hash', nFeatures: 8 }] },
  { column: 'city', name: 'city_idx', transforms: [{ type: 'index' }] },
];

function data(seed: number, n: number) {
  const r = rng(seed);
  const a: (number | null)[] = [];
  const b: number[] = [];
  const city: (string | null)[] = [];
  const tag: string[] = [];
  for (let i = 0; i < n; i++) {
    a.push(r() < 0.1 ? null : 100 + 15 * normal(r));
    b.push(Math.exp(normal(r)));
    city.push(r() < 0.05 ? null : ['paris', 'rome', 'oslo', 'lima', 'kyiv'][Math.floor(r() * r() * 5)]);
    tag.push(`t${Math.floor(r() * 50)}`);
  }
  return { a, b, city, tag };
}

function toTable(d: ReturnType<typeof data>): Table {
  return new Table({
    a: vectorFromArray(d.a, new Float64()),
    b: vectorFromArray(d.b, new Float64()),
    city: vectorFromArray(d.city, new Utf8()),
    tag: tableFromArrays({ tag: d.tag }).getChild('tag')!, // a Dictionary<Utf8> column
  });
}

function batches(t: Table, size: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (let i = 0; i < t.numRows; i += size) out.push(...t.slice(i, Math.min(i + size, t.numRows)).batches);
  return out;
}

describe('FeaturePipeline on the CPU', () => {
  const d = data(1, 3000);
  const table = toTable(d);

  it('fits in one pass over Arrow batches and gives the exact statistics (naive oracle)', async () => {
    const p = await new FeaturePipeline(SPEC).fit(batches(table, 512));
    const freq = new Map<string, number>();
    for (const c of d.city) freq.set(c ?? 'missing', (freq.get(c ?? 'missing') ?? 0) + 1);
    const top = [...freq].sort((u, v) => v[1] - u[1]).slice(0, 3).map((e) => e[0]).sort();
    expect(p.outputNames).toEqual(['a', 'b', 'b_bucket', ...top.map((c) => `city=${c}`), 'city=__other__', ...Array.from({ length: 8 }, (_, k) => `tag#${k}`), 'city_idx']);
    const x = p.transformBatch(table);
    const w = p.outputWidth;
    expect(x.length).toBe(3000 * w);
    // a: mean-imputed then standardised → mean 0, population std 1 over all rows
    const col = (j: number) => Array.from({ length: 3000 }, (_, i) => x[i * w + j]);
    const a = col(0);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(1e-6);
    expect(Math.abs(std - 1)).toBeLessThan(1e-6);
    // b: log1p then min-max to [-1, 1] then clip at -0.5
    const lb = d.b.map(Math.log1p);
    const lo = Math.min(...lb);
    const hi = Math.max(...lb);
    const eb = lb.map((v) => Math.max(-0.5, ((v - lo) / (hi - lo)) * 2 - 1));
    expect(Math.max(...col(1).map((v, i) => Math.abs(v - eb[i])))).toBeLessThan(1e-6);
    // b_bucket: 5 quantile buckets of about 600 rows each
    const counts = [0, 0, 0, 0, 0];
    for (const v of col(2)) counts[v]++;
    for (const c of counts) expect(Math.abs(c - 600)).toBeLessThan(3000 * 0.02);
    // city one-hot: the 3 most frequent cities among the values and the 'missing' fill
    for (let i = 0; i < 3000; i++) {
      const row = Array.from(x.subarray(i * w + 3, i * w + 7));
      expect(row.reduce((s, v) => s + v, 0)).toBe(1);
      const c = d.city[i] ?? 'missing';
      expect(row[top.includes(c) ? top.indexOf(c) : 3]).toBe(1);
    }
  });

  it('the same rows in any batching or in merged shards give the same pipeline', async () => {
    const one = await new FeaturePipeline(SPEC).fit(table);
    const many = await new FeaturePipeline(SPEC).fit(batches(table, 100));
    expect(many.toJSON().columns).toEqual(one.toJSON().columns);
    const p = new FeaturePipeline(SPEC);
    const bs = batches(table, 700);
    const fa = p.fitter();
    const fb = p.fitter();
    bs.forEach((b, i) => (i % 2 ? fa : fb).update(b));
    const shipped = PipelineFitter.fromJSON(p, JSON.parse(JSON.stringify(fb.toJSON())));
    p.load(fa.merge(shipped));
    const x1 = one.transformBatch(table);
    const x2 = p.transformBatch(table);
    let m = 0;
    for (let i = 0; i < x1.length; i++) if (one.outputNames[i % one.outputWidth] !== 'b_bucket') m = Math.max(m, Math.abs(x1[i] - x2[i]));
    expect(m).toBeLessThan(1e-6);
    // quantile buckets come from KLL sketches merged in another order: close, not identical
    const w = one.outputWidth;
    let diff = 0;
    for (let i = 0; i < 3000; i++) if (x1[i * w + 2] !== x2[i * w + 2]) diff++;
    expect(diff / 3000).toBeLessThan(0.05);
  });

  it('transformRow (serving) is bit-identical to transformBatch (training), row by row', async () => {
    const p = await new FeaturePipeline(SPEC).fit(table);
    const x = p.transformBatch(table);
    const w = p.outputWidth;
    for (let i = 0; i < 3000; i += 7) {
      const row = p.transformRow({ a: d.a[i], b: d.b[i], city: d.city[i], tag: d.tag[i] });
      expect(Buffer.from(row.buffer).equals(Buffer.from(x.buffer, i * w * 4, w * 4))).toBe(true);
    }
  });

  it('saved and loaded (JSON with version and content hash) gives bit-identical output; tampering is caught', async () => {
    const p = await new FeaturePipeline(SPEC).fit(table);
    const dir = mkdtempSync(join(tmpdir(), 'gantry-features-'));
    try {
      const path = join(dir, 'pipe.json');
      p.save(path);
      const q = FeaturePipeline.load(path);
      expect(q.hash).toBe(p.hash);
      expect(q.version).toBe(1);
      expect(q.toJSON()).toEqual(p.toJSON());
      expect(Buffer.from(q.transformBatch(table).buffer).equals(Buffer.from(p.transformBatch(table).buffer))).toBe(true);
      const j = JSON.parse(readFileSync(path, 'utf8'));
      j.columns[0].steps[1].center += 1e-9;
      writeFileSync(path, JSON.stringify(j));
      expect(() => FeaturePipeline.load(path)).toThrow(/content hash mismatch/);
      expect(() => FeaturePipeline.fromJSON({ ...p.toJSON(), version: 99 })).toThrow(/version 99 is not supported/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes DataLoader-style batches (x, featureNames, columns) and plain column objects', async () => {
    const n = 500;
    const dd = data(5, n);
    const av = dd.a.map((v) => v ?? NaN);
    const xs = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      xs[i * 2] = av[i];
      xs[i * 2 + 1] = dd.b[i];
    }
    const cols = tableFromArrays({ city: dd.city.map((c) => c ?? 'missing'), tag: dd.tag });
    const loaderBatch = { x: xs, n, featureNames: ['a', 'b'], columns: { city: cols.getChild('city')!, tag: cols.getChild('tag')! }, y: new Float32Array(0) };
    const p1 = await new FeaturePipeline(SPEC).fit((async function* () { yield loaderBatch; })());
    const plain = { a: Array.from(xs.filter((_, i) => i % 2 === 0)), b: Array.from(xs.filter((_, i) => i % 2 === 1)), city: dd.city.map((c) => c ?? 'missing'), tag: dd.tag };
    const p2 = await new FeaturePipeline(SPEC).fit([plain]);
    expect(p1.toJSON().columns).toEqual(p2.toJSON().columns);
    expect(Buffer.from(p1.transformBatch(loaderBatch).buffer).equals(Buffer.from(p2.transformBatch(plain).buffer))).toBe(true);
  });

  it('describes its numeric part as plain data (for ONNX export and the kernel)', async () => {
    const p = await new FeaturePipeline(SPEC).fit(table);
    const plan = p.numericPlan();
    expect(plan.inputs).toEqual(['a', 'b']);
    expect(plan.outputs.map((o) => [o.name, o.input, o.steps.map((s) => s.op)])).toEqual([
      ['a', 0, ['impute', 'affine']],
      ['b', 1, ['log1p', 'affine', 'clip']],
      ['b_bucket', 1, ['bucketize']],
    ]);
    expect(plan.outputs[0].missing).toBe(Math.fround(p.transformRow({ a: null, b: 1, city: 'x', tag: 'y' })[0]));
    expect(plan.outputs[1].missing).toBeNull();
    expect(plan.categorical).toEqual({ names: p.outputNames.slice(3), offset: 3, width: p.outputWidth - 3 });
  });
});

describe('bad input: typed errors naming the column and the transform', () => {
  const good = { a: [1, 2, 3], s: ['x', 'y', 'x'] };
  const err = async (f: () => unknown): Promise<FeatureError> => {
    try {
      await f();
    } catch (e) {
      expect(e).toBeInstanceOf(FeatureError);
      return e as FeatureError;
    }
    throw new Error('expected a FeatureError');
  };

  it('declaration errors: BAD_OPTION with the allowed values', async () => {
    let e = await err(() => new FeaturePipeline([{ column: 'a', transforms: [{ type: 'zscore' } as never] }]));
    expect(e.code).toBe('BAD_OPTION');
    expect(e.message).toMatch(/column 'a'.*unknown transform type "zscore" \(allowed: standardScale, minMaxScale/);
    e = await err(() => new FeaturePipeline([{ column: 's', transforms: [{ type: 'oneHot', topK: 0 }] }]));
    expect(e.message).toMatch(/column 's', transform 'oneHot': topK must be an integer in \[1, 4096\]/);
    e = await err(() => new FeaturePipeline([{ column: 'a', transforms: [{ type: 'impute', strategy: 'avg' as never }] }]));
    expect(e.message).toMatch(/strategy must be one of 'mean', 'median', 'mostFrequent', 'constant'/);
    e = await err(() => new FeaturePipeline([{ column: 'a', transforms: [{ type: 'standardScale' }, { type: 'log1p' }, { type: 'robustScale' }] }]));
    expect(e.message).toMatch(/'robustScale' cannot be fitted in one pass after a scaler followed by 'log1p'/);
    e = await err(() => new FeaturePipeline([{ column: 'a', transforms: [{ type: 'bucketize', buckets: 4 }, { type: 'clip', max: 1 }] }]));
    expect(e.message).toMatch(/'bucketize' must be the last of its column/);
    e = await err(() => new FeaturePipeline([{ column: 'a', transforms: [{ type: 'standardScale' }, { type: 'oneHot' }] }]));
    expect(e.message).toMatch(/'standardScale' takes numbers but 'oneHot' takes categories/);
  });

  it('unknown column and wrong type at fit', async () => {
    let e = await err(() => new FeaturePipeline([{ column: 'nope', transforms: [{ type: 'standardScale' }] }]).fit([good]));
    expect(e.code).toBe('UNKNOWN_COLUMN');
    expect(e.column).toBe('nope');
    expect(e.message).toMatch(/unknown column 'nope' \(transform 'standardScale'\); the data has a, s/);
    e = await err(() => new FeaturePipeline([{ column: 's', transforms: [{ type: 'standardScale' }] }]).fit([good]));
    expect(e.code).toBe('WRONG_TYPE');
    expect(e.message).toMatch(/column 's' holds strings .* transform 'standardScale' needs numbers/);
  });

  it('NaN / ±Infinity where a transform cannot take them', async () => {
    let e = await err(() => new FeaturePipeline([{ column: 'a', transforms: [{ type: 'standardScale' }] }]).fit([{ a: [1, Infinity] }]));
    expect(e.code).toBe('NON_FINITE');
    expect(e.message).toMatch(/column 'a': row 1 is Infinity; transform 'standardScale' needs finite values/);
    const p = await new FeaturePipeline([{ column: 'a', transforms: [{ type: 'standardScale' }] }]).fit([good]);
    e = await err(() => p.transformBatch({ a: [1, NaN, 2] }));
    expect(e.code).toBe('NON_FINITE');
    expect(e.message).toMatch(/column 'a': row 1 is missing \(null or NaN\) and its transforms \[standardScale\] have no 'impute' step/);
    e = await err(() => p.transformRow({ a: null }));
    expect(e.code).toBe('NON_FINITE');
    const l = await new FeaturePipeline([{ column: 'a', transforms: [{ type: 'log1p' }] }]).fit([good]);
    e = await err(() => l.transformRow({ a: -1 }));
    expect(e.message).toMatch(/transform 'log1p' needs x > -1, got -1/);
  });

  it('a batch with a different schema, and bad serving rows', async () => {
    const p = await new FeaturePipeline([
      { column: 'a', transforms: [{ type: 'standardScale' }] },
      { column: 's', transforms: [{ type: 'oneHot' }] },
    ]).fit([good]);
    let e = await err(() => p.transformBatch({ a: [1] }));
    expect(e.code).toBe('SCHEMA_MISMATCH');
    expect(e.message).toMatch(/the batch has no column 's' \(needed by transform 'oneHot'/);
    e = await err(() => p.transformBatch({ a: ['1'], s: ['x'] }));
    expect(e.code).toBe('SCHEMA_MISMATCH');
    expect(e.message).toMatch(/column 'a' is string \(string\) but was numeric when the pipeline was fitted \(transform 'standardScale'\)/);
    e = await err(() => p.transformRow({ a: '3', s: 'x' }));
    expect(e.code).toBe('WRONG_TYPE');
    expect(e.message).toMatch(/field 'a' must be a number or null \(transform 'standardScale'\)/);
    e = await err(() => p.transformRow({ s: 'x' }));
    expect(e.code).toBe('SCHEMA_MISMATCH');
    e = await err(() => new FeaturePipeline([{ column: 'a' }]).transformBatch(good));
    expect(e.code).toBe('NOT_FITTED');
  });
});


describe('with @gantry/data', () => {
  it('fits over a DataLoader (string columns passed through) exactly as over the Arrow file itself', async () => {
    const { DataLoader, arrowSource, writeArrow, arrow } = await import('@gantry/data');
    const dir = mkdtempSync(join(tmpdir(), 'gantry-features-dl-'));
    try {
      const d = data(9, 2000);
      const t = new arrow.Table({
        a: arrow.vectorFromArray(d.a, new arrow.Float64()),
        b: arrow.vectorFromArray(d.b, new arrow.Float64()),
        city: arrow.vectorFromArray(d.city, new arrow.Utf8()),
        tag: arrow.vectorFromArray(d.tag, new arrow.Utf8()),
      });
      const path = join(dir, 'd.arrow');
      await writeArrow(path, t.batches);
      const spec: ColumnSpec[] = [SPEC[0], SPEC[3], SPEC[5]];
      const viaLoader = await new FeaturePipeline(spec).fit(new DataLoader(arrowSource(path), { features: ['a', 'b', 'city', 'tag'], batchSize: 256 }));
      const viaFile = await new FeaturePipeline(spec).fit(arrowSource(path));
      const x1 = viaLoader.toJSON().columns;
      const x2 = viaFile.toJSON().columns;
      expect(x1.slice(1)).toEqual(x2.slice(1));
      // the loader converts numbers to float32: the fitted moments differ only by that rounding
      const s1 = x1[0].steps[1] as { center: number; scale: number };
      const s2 = x2[0].steps[1] as { center: number; scale: number };
      expect(Math.abs(s1.center - s2.center) / s2.center).toBeLessThan(1e-6);
      expect(Math.abs(s1.scale - s2.scale) / s2.scale).toBeLessThan(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
