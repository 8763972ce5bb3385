import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Bool, Dictionary, Field, Float64, Int32, Int64, RecordBatch, Schema, Struct, Utf8, makeData, vectorFromArray, tableFromArrays, tableFromIPC } from 'apache-arrow';
import { arrowSource, csvSource, jsonlSource, parquetSource, synthetic, writeArrow, writeParquet, type Source } from '../src/index.js';
import { idBatches, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function rows(source: Source, opts = {}): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const b of source.batches(opts)) for (const r of b) out.push(r!.toJSON() as Record<string, unknown>);
  return out;
}

describe('synthetic', () => {
  it('is deterministic for a seed, whatever the batching', async () => {
    const a = synthetic.classification({ rows: 5000, features: 8, informative: 3, redundant: 2, seed: 7, batchRows: 1000 });
    const b = synthetic.classification({ rows: 5000, features: 8, informative: 3, redundant: 2, seed: 7, batchRows: 777 });
    const c = synthetic.classification({ rows: 5000, features: 8, informative: 3, redundant: 2, seed: 8, batchRows: 1000 });
    const ra = await rows(a);
    expect(await rows(b)).toEqual(ra);
    expect(await rows(c)).not.toEqual(ra);
    expect(ra.length).toBe(5000);
    expect(await a.numRows()).toBe(5000);
  });

  it('classification: class weights, label noise, redundant = combinations of informative', async () => {
    const s = synthetic.classification({ rows: 20000, features: 6, informative: 2, redundant: 1, classes: 3, clustersPerClass: 1, weights: [0.6, 0.3, 0.1], flipY: 0, seed: 1 });
    const counts = [0, 0, 0];
    for await (const b of s.batches()) for (const y of b.getChild('label')!.toArray() as Int32Array) counts[y]++;
    expect(counts[0] / 20000).toBeCloseTo(0.6, 1);
    expect(counts[2] / 20000).toBeCloseTo(0.1, 1);
    expect(s.meta.informative).toEqual([0, 1]);
    expect(s.meta.redundant).toEqual([2]);
    expect(s.meta.noise).toEqual([3, 4, 5]);
    // the redundant column is an exact linear function of the informative ones: residual of least squares ~ 0
    const b = s.generate(0, 500);
    const X = [0, 1].map((j) => b.getChildAt(j)!.toArray() as Float32Array);
    const r = b.getChildAt(2)!.toArray() as Float32Array;
    // solve 2x2 normal equations
    let a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
    for (let i = 0; i < 500; i++) {
      a11 += X[0][i] ** 2; a12 += X[0][i] * X[1][i]; a22 += X[1][i] ** 2; b1 += X[0][i] * r[i]; b2 += X[1][i] * r[i];
    }
    const det = a11 * a22 - a12 * a12;
    const w1 = (b1 * a22 - b2 * a12) / det, w2 = (a11 * b2 - a12 * b1) / det;
    let res = 0;
    for (let i = 0; i < 500; i++) res = Math.max(res, Math.abs(r[i] - w1 * X[0][i] - w2 * X[1][i]));
    expect(res).toBeLessThan(1e-3);
    const flipped = synthetic.classification({ rows: 20000, features: 6, informative: 2, redundant: 1, classes: 3, clustersPerClass: 1, weights: [0.6, 0.3, 0.1], flipY: 0.5, seed: 1 });
    const c2 = [0, 0, 0];
    for await (const bb of flipped.batches()) for (const y of bb.getChild('label')!.toArray() as Int32Array) c2[y]++;
    expect(c2[2] / 20000).toBeGreaterThan(0.15); // half the labels are uniform
  });

  it('regression: y = x · coef + bias', async () => {
    const s = synthetic.regression({ rows: 100, features: 5, informative: 3, bias: 2, noise: 0, seed: 3 });
    expect(s.coef[3]).toBe(0);
    const b = s.generate(0, 100);
    for (let i = 0; i < 100; i++) {
      let y = 2;
      for (let j = 0; j < 5; j++) y += (b.getChildAt(j)!.get(i) as number) * s.coef[j];
      expect(b.getChild('label')!.get(i)).toBeCloseTo(y, 2);
    }
  });

  it('drifting: the distribution and the concept change at the given rows', async () => {
    const s = synthetic.drifting({ rows: 30000, features: 4, seed: 5, emitSegment: true, noise: 0, changes: [{ atRow: 10000, mean: 3 }, { atRow: 20000, flip: true }] });
    const b = s.generate(0, 30000);
    const f0 = b.getChild('f0')!.toArray() as Float32Array;
    const seg = b.getChild('segment')!.toArray() as Int32Array;
    const y = b.getChild('label')!.toArray() as Int32Array;
    const mean = (a: number, z: number) => f0.slice(a, z).reduce((p, v) => p + v, 0) / (z - a);
    expect(mean(0, 10000)).toBeCloseTo(0, 0);
    expect(mean(10000, 20000)).toBeCloseTo(3, 0);
    expect(seg[9999]).toBe(0);
    expect(seg[10000]).toBe(1);
    expect(seg[25000]).toBe(2);
    // concept flip: the direction separating the classes reverses between segments 1 and 2
    const cols = [0, 1, 2, 3].map((j) => b.getChild(`f${j}`)!.toArray() as Float32Array);
    const dir = (a: number, z: number) => cols.map((c) => {
      let s1 = 0, n1 = 0, s0 = 0, n0 = 0;
      for (let i = a; i < z; i++) if (y[i]) { s1 += c[i]; n1++; } else { s0 += c[i]; n0++; }
      return s1 / n1 - s0 / n0;
    });
    const d1 = dir(10000, 20000), d2 = dir(20000, 30000);
    const cos = d1.reduce((p, v, j) => p + v * d2[j], 0) / (Math.hypot(...d1) * Math.hypot(...d2));
    expect(cos).toBeLessThan(-0.9);
  });
});

describe('Arrow IPC', () => {
  it('round-trips file and stream format, one file, many files, a glob', async () => {
    const a = await writeArrow(tmp.path('a.arrow'), idBatches(2500, 1000));
    expect(a).toMatchObject({ rows: 2500, batches: 3 });
    await writeArrow(tmp.path('b.arrows'), idBatches(1200, 500), { format: 'stream' });
    const file = arrowSource(tmp.path('a.arrow'));
    expect(await file.numRows()).toBe(2500);
    const r = await rows(file);
    expect(r.length).toBe(2500);
    expect(r[1234]).toEqual({ id: 1234, f0: 12340, f1: 12341, f2: 12342 });
    const stream = arrowSource(tmp.path('b.arrows'));
    expect(await stream.numRows()).toBeUndefined();
    expect((await rows(stream)).map((x) => x.id)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    const both = arrowSource([tmp.path('a.arrow'), tmp.path('b.arrows')]);
    expect((await rows(both)).length).toBe(3700);
    const glob = arrowSource(tmp.path('*.arrow*'));
    expect((await rows(glob)).length).toBe(3700);
    expect((await file.schema()).fields.map((f) => f.name)).toEqual(['id', 'f0', 'f1', 'f2']);
  });

  it('keeps strings, dictionaries, nulls and int64 through a round trip', async () => {
    const t = tableFromArrays({ s: ['a', 'b', null as unknown as string, 'd'], n: new Float64Array([1, 2, 3, 4]) });
    const withDict = new RecordBatch({
      s: t.getChild('s')!.data[0],
      n: t.getChild('n')!.data[0],
      c: vectorFromArray(['x', 'y', 'x', 'y'], new (await import('apache-arrow')).Dictionary(new Utf8(), new (await import('apache-arrow')).Int32())).data[0],
      i: vectorFromArray([1n, 2n, -3n, null], new Int64()).data[0],
    });
    await writeArrow(tmp.path('mixed.arrow'), [withDict]);
    const r = await rows(arrowSource(tmp.path('mixed.arrow')));
    expect(r.map((x) => x.s)).toEqual(['a', 'b', null, 'd']);
    expect(r.map((x) => x.c)).toEqual(['x', 'y', 'x', 'y']);
    expect(r.map((x) => x.i)).toEqual([1n, 2n, -3n, null]);
  });

  it('writes batches whose dictionaries differ (and a different dictionary id) as one dictionary with deltas', async () => {
    const shared = new Dictionary(new Utf8(), new Int32());
    const batch = (vals: (string | null)[], type: Dictionary) => {
      const v = vectorFromArray(vals, type);
      const ids = vectorFromArray(vals.map((_, i) => i), new Int32());
      const fields = [new Field('cat', v.type, true), new Field('id', new Int32(), true)];
      return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: vals.length, children: [v.data[0], ids.data[0]] }));
    };
    const input = [
      batch(['a', 'b', 'a'], shared),
      batch(['c', null, 'a', 'd'], shared), // same id, another dictionary (a replacement in the file format)
      batch(['d', 'e'], new Dictionary(new Utf8(), new Int32())), // another id altogether
    ];
    const expected = ['a', 'b', 'a', 'c', null, 'a', 'd', 'd', 'e'];
    for (const format of ['file', 'stream'] as const) {
      const p = tmp.path(`dicts-${format}.arrow`);
      const w = await writeArrow(p, input, { format });
      expect(w.rows).toBe(9);
      // apache-arrow's own reader and ours see every row, with its value
      expect([...tableFromIPC(readFileSync(p)).getChild('cat')!]).toEqual(expected);
      expect((await rows(arrowSource(p))).map((r) => r.cat)).toEqual(expected);
    }
  });

  it('selects columns', async () => {
    const s = arrowSource(tmp.path('a.arrow'));
    for await (const b of s.batches({ columns: ['f1'] })) expect(b.schema.fields.map((f) => f.name)).toEqual(['f1']);
  });
});

describe('Parquet', () => {
  it('round-trips numbers, strings, bools, int64 and nulls row group by row group', async () => {
    const n = 3000;
    const fields = [new Field('x', new Float64(), true), new Field('s', new Utf8(), true), new Field('b', new Bool(), true), new Field('i', new Int64(), true)];
    const batch = (start: number, m: number) => {
      const children = [
        vectorFromArray(Array.from({ length: m }, (_, k) => ((start + k) % 7 === 0 ? null : (start + k) / 2)), new Float64()).data[0],
        vectorFromArray(Array.from({ length: m }, (_, k) => ((start + k) % 5 === 0 ? null : `s${start + k}`)), new Utf8()).data[0],
        vectorFromArray(Array.from({ length: m }, (_, k) => (start + k) % 2 === 0), new Bool()).data[0],
        vectorFromArray(Array.from({ length: m }, (_, k) => BigInt(start + k) * 1000000000n), new Int64()).data[0],
      ];
      return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: m, children, nullCount: 0 }));
    };
    const w = await writeParquet(tmp.path('t.parquet'), [batch(0, 1000), batch(1000, 1000), batch(2000, 1000)], { rowGroupRows: 700 });
    expect(w.rows).toBe(n);
    const s = parquetSource(tmp.path('t.parquet'));
    expect(await s.numRows()).toBe(n);
    let groups = 0;
    for await (const b of s.batches()) {
      groups++;
      expect(b.numRows).toBeLessThanOrEqual(700);
    }
    expect(groups).toBe(5);
    const r = await rows(s);
    expect(r[7].x).toBeNull();
    expect(r[8].x).toBe(4);
    expect(r[10].s).toBeNull();
    expect(r[11].s).toBe('s11');
    expect(r[2999].b).toBe(false);
    expect(r[2999].i).toBe(2999000000000n);
  });

  it('round-trips a synthetic source (uncompressed and snappy)', async () => {
    const src = synthetic.regression({ rows: 5000, features: 4, seed: 1, batchRows: 999 });
    for (const codec of ['UNCOMPRESSED', 'SNAPPY'] as const) {
      await writeParquet(tmp.path(`r-${codec}.parquet`), src, { codec, rowGroupRows: 2048 });
      expect(await rows(parquetSource(tmp.path(`r-${codec}.parquet`)))).toEqual(await rows(src));
    }
  });
});

describe('CSV', () => {
  it('reads a header, quoted fields with delimiters, quotes and newlines, nulls, CRLF', async () => {
    const text = 'a,b,c\r\n1,"x, y",true\r\n2,"he said ""hi""",false\n3,"multi\nline",\nNA,,true\n';
    writeFileSync(tmp.path('q.csv'), text);
    const s = csvSource(tmp.path('q.csv'));
    const schema = await s.schema();
    expect(schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['a:Float64', 'b:Utf8', 'c:Bool']);
    expect(await rows(s)).toEqual([
      { a: 1, b: 'x, y', c: true },
      { a: 2, b: 'he said "hi"', c: false },
      { a: 3, b: 'multi\nline', c: null },
      { a: null, b: null, c: true },
    ]);
  });

  it('infers from the first N rows, overridable, or takes a declared schema; no header; other delimiters', async () => {
    writeFileSync(tmp.path('t.tsv'), '1\tfoo\n2\tbar\n3\tbaz\n');
    const s = csvSource(tmp.path('t.tsv'), { header: false, delimiter: '\t', columnNames: ['n', 'name'], schema: { n: 'int32' } });
    const schema = await s.schema();
    expect(schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['n:Int32', 'name:Utf8']);
    expect((await rows(s)).map((r) => r.n)).toEqual([1, 2, 3]);
    const declared = csvSource(tmp.path('t.tsv'), { header: false, delimiter: '\t', columnNames: ['n', 'name'], schema: new Schema([new Field('name', new Utf8(), true)]) });
    expect(await rows(declared)).toEqual([{ name: 'foo' }, { name: 'bar' }, { name: 'baz' }]);
    // inferRows: a string after the inferred rows is a bad value for the inferred float column
    writeFileSync(tmp.path('late.csv'), 'v\n1\n2\nthree\n');
    await expect(rows(csvSource(tmp.path('late.csv'), { inferRows: 2 }))).rejects.toThrow(/cannot convert 'three'/);
    expect((await csvSource(tmp.path('late.csv')).schema()).fields[0].type.toString()).toBe('Utf8');
  });

  it('streams large files in batches of batchRows across read chunks', async () => {
    const lines = ['i,s'];
    for (let i = 0; i < 60000; i++) lines.push(`${i},"v${i}, ""q"""`);
    writeFileSync(tmp.path('big.csv'), lines.join('\n'));
    const s = csvSource(tmp.path('big.csv'), { batchRows: 16384 });
    let n = 0;
    let batches = 0;
    for await (const b of s.batches()) {
      batches++;
      const i = b.getChild('i')!;
      const str = b.getChild('s')!;
      for (let k = 0; k < b.numRows; k++) {
        expect(i.get(k)).toBe(n);
        if (k === 0) expect(str.get(k)).toBe(`v${n}, "q"`);
        n++;
      }
    }
    expect(n).toBe(60000);
    expect(batches).toBe(4);
  });
});

describe('JSON Lines', () => {
  it('infers a schema, fills missing keys with null, keeps nested values as JSON strings', async () => {
    writeFileSync(tmp.path('a.jsonl'), '{"x": 1.5, "s": "a", "b": true}\n\n{"x": 2, "s": null, "o": {"k": 1}}\r\n{"s": "c", "b": false}\n');
    const s = jsonlSource(tmp.path('a.jsonl'));
    expect((await s.schema()).fields.map((f) => `${f.name}:${f.type}`)).toEqual(['x:Float64', 's:Utf8', 'b:Bool', 'o:Utf8']);
    expect(await rows(s)).toEqual([
      { x: 1.5, s: 'a', b: true, o: null },
      { x: 2, s: null, b: null, o: '{"k":1}' },
      { x: null, s: 'c', b: false, o: null },
    ]);
  });
});
