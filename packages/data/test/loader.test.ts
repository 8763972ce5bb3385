import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bool, Field, Float16, Float64, Int8, Int64, Uint16, RecordBatch, Schema, Struct, Utf8, makeData, vectorFromArray, Dictionary, Int32 } from 'apache-arrow';
import { fileURLToPath } from 'node:url';
import { DataLoader, arrowSource, csvSource, diagnostics, parquetSource, synthetic, writeArrow, writeParquet, type Source } from '../src/index.js';
import { collect, idBatches, ids, openFds, tempDir } from './helpers.js';

const tmp = tempDir();
const N = 10_000;
let arrowPath: string;
let parquetPath: string;
beforeAll(async () => {
  arrowPath = tmp.path('ids.arrow');
  parquetPath = tmp.path('ids.parquet');
  await writeArrow(arrowPath, idBatches(N, 1000));
  await writeParquet(parquetPath, idBatches(N, 1000), { rowGroupRows: 1000 });
});
afterAll(() => tmp.cleanup());

const fixture = fileURLToPath(new URL('./transform-fixture.ts', import.meta.url));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('DataLoader batches', () => {
  it('x is row-major [n, d] with the feature columns in order, y the label', async () => {
    const loader = new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 300 });
    const bs = await collect(loader);
    expect(bs.length).toBe(Math.ceil(N / 300));
    expect(bs[0].featureNames).toEqual(['f0', 'f1', 'f2']);
    expect(bs[0].d).toBe(3);
    expect(bs[bs.length - 1].n).toBe(N % 300);
    for (const b of bs) {
      expect(b.x.length).toBe(b.n * 3);
      for (let i = 0; i < b.n; i++) for (let j = 0; j < 3; j++) expect(b.x[i * 3 + j]).toBe(b.y[i] * 10 + j);
    }
    expect(ids(bs)).toEqual(range(N));
    expect(loader.stats.rows).toBe(N);
  });

  it('dropLast drops the partial batch; epochs repeat', async () => {
    const bs = await collect(new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 300, dropLast: true, epochs: 2 }));
    expect(bs.length).toBe(2 * Math.floor(N / 300));
    expect(bs.every((b) => b.n === 300)).toBe(true);
    expect(bs[bs.length - 1].epoch).toBe(1);
    expect(bs[Math.floor(N / 300)].index).toBe(0);
  });

  it('converts every Arrow numeric type to f32; nulls become NaN; strings pass through', async () => {
    const fields = [
      new Field('i8', new Int8(), true),
      new Field('u16', new Uint16(), true),
      new Field('i64', new Int64(), true),
      new Field('f16', new Float16(), true),
      new Field('f64', new Float64(), true),
      new Field('b', new Bool(), true),
      new Field('s', new Utf8(), true),
      new Field('c', new Dictionary(new Utf8(), new Int32()), true),
    ];
    const children = [
      vectorFromArray([-3, 4, null, 100], new Int8()).data[0],
      vectorFromArray([1, 65535, 7, null], new Uint16()).data[0],
      vectorFromArray([-5n, 2n ** 40n, null, 9n], new Int64()).data[0],
      makeData({ type: new Float16(), length: 4, data: new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7c00]) }),
      vectorFromArray([0.5, null, -1e10, 3], new Float64()).data[0],
      vectorFromArray([true, false, null, true], new Bool()).data[0],
      vectorFromArray(['a', 'b', null, 'd'], new Utf8()).data[0],
      vectorFromArray(['x', 'y', 'x', null], new Dictionary(new Utf8(), new Int32())).data[0],
    ];
    const rb = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 4, children, nullCount: 0 }));
    await writeArrow(tmp.path('types.arrow'), [rb]);
    const loader = new DataLoader(arrowSource(tmp.path('types.arrow')), { batchSize: 10 });
    const [b] = await collect(loader);
    expect(b.featureNames).toEqual(['i8', 'u16', 'i64', 'f16', 'f64', 'b']);
    const col = (j: number) => Array.from({ length: 4 }, (_, i) => b.x[i * 6 + j]);
    expect(col(0)).toEqual([-3, 4, NaN, 100]);
    expect(col(1)).toEqual([1, 65535, 7, NaN]);
    expect(col(2)).toEqual([-5, 2 ** 40, NaN, 9]);
    expect(col(3)).toEqual([1, -2, 0.5, Infinity]);
    expect(col(4)).toEqual([0.5, NaN, Math.fround(-1e10), 3]);
    expect(col(5)).toEqual([1, 0, NaN, 1]);
    expect(b.columns.s.toArray()).toEqual(['a', 'b', null, 'd']);
    expect([...b.columns.c]).toEqual(['x', 'y', 'x', null]);
    expect((await loader.info()).passthrough).toEqual(['s', 'c']);
    const rec = b.toRecordBatch();
    expect(rec.schema.fields.map((f) => f.name)).toEqual(['i8', 'u16', 'i64', 'f16', 'f64', 'b', 's', 'c']);
  });

  it('the WebAssembly and JavaScript kernels give identical batches', async () => {
    const opts = { label: 'id', batchSize: 256, shuffle: true, shuffleBuffer: 2048, seed: 11 };
    const a = await collect(new DataLoader(arrowSource(arrowPath), { ...opts, kernel: 'wasm' }));
    const b = await collect(new DataLoader(arrowSource(arrowPath), { ...opts, kernel: 'js' }));
    expect(a.length).toBe(b.length);
    for (let k = 0; k < a.length; k++) {
      expect(Array.from(a[k].x)).toEqual(Array.from(b[k].x));
      expect(Array.from(a[k].y)).toEqual(Array.from(b[k].y));
    }
  });
});

describe('shuffling', () => {
  const opts = { label: 'id', batchSize: 256, shuffle: true, shuffleBuffer: 2048 };
  for (const [name, path] of [['arrow', () => arrowSource(arrowPath)], ['parquet', () => parquetSource(parquetPath)]] as const) {
    it(`${name}: the same seed gives the same order; every row exactly once per epoch; epochs differ`, async () => {
      const a = ids(await collect(new DataLoader(path(), { ...opts, seed: 1, epochs: 2 })));
      const b = ids(await collect(new DataLoader(path(), { ...opts, seed: 1, epochs: 2 })));
      const c = ids(await collect(new DataLoader(path(), { ...opts, seed: 2, epochs: 2 })));
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      const e0 = a.slice(0, N), e1 = a.slice(N);
      expect(sorted(e0)).toEqual(range(N));
      expect(sorted(e1)).toEqual(range(N));
      expect(e0).not.toEqual(e1);
      expect(e0).not.toEqual(range(N));
      // rows stay whole: x still matches the label after shuffling
      for (const bt of await collect(new DataLoader(path(), { ...opts, seed: 1 }))) for (let i = 0; i < bt.n; i++) expect(bt.x[i * 3 + 2]).toBe(bt.y[i] * 10 + 2);
    });
  }

  it('mixes across the whole buffer (tf.data semantics) and shuffles units per epoch', async () => {
    const a = ids(await collect(new DataLoader(arrowSource(arrowPath), { ...opts, seed: 5, shuffleBuffer: N })));
    // a buffer as large as the data gives a full permutation: early output holds late rows
    expect(Math.max(...a.slice(0, 256))).toBeGreaterThan(N / 2);
    const small = ids(await collect(new DataLoader(arrowSource(arrowPath), { ...opts, seed: 5, shuffleBuffer: 100, shuffleFiles: false })));
    // a small buffer without unit shuffling keeps rows near their position
    expect(Math.max(...small.slice(0, 256))).toBeLessThan(1000);
  });

  it('workers: 1 worker gives exactly the single-thread order; 2 workers cover every row once, deterministically', async () => {
    const base = { ...opts, seed: 9, epochs: 2 };
    const w0 = ids(await collect(new DataLoader(arrowSource(arrowPath), { ...base, workers: 0 })));
    const w1 = ids(await collect(new DataLoader(arrowSource(arrowPath), { ...base, workers: 1 })));
    expect(w1).toEqual(w0);
    const l2 = new DataLoader(arrowSource(arrowPath), { ...base, workers: 2 });
    const b2 = await collect(l2);
    const w2 = ids(b2);
    expect(sorted(w2.slice(0, N))).toEqual(range(N));
    expect(sorted(w2.slice(N))).toEqual(range(N));
    expect(ids(await collect(new DataLoader(arrowSource(arrowPath), { ...base, workers: 2 })))).toEqual(w2);
    // full batches except the last of each epoch
    const e0 = b2.filter((b) => b.epoch === 0);
    expect(e0.slice(0, -1).every((b) => b.n === 256)).toBe(true);
    expect(e0.map((b) => b.index)).toEqual(range(e0.length));
    expect(diagnostics().liveWorkers).toBe(0);
  });
});

describe('epochs across iterations', () => {
  const opts = { label: 'id', batchSize: 256, shuffle: true, shuffleBuffer: 2048, seed: 5 };
  it('each iteration of a loader is the next epoch (a new order, every row once); the same seed replays the sequence; setEpoch rewinds', async () => {
    const l = new DataLoader(arrowSource(arrowPath), opts);
    const first = ids(await collect(l));
    const second = ids(await collect(l));
    expect(sorted(first)).toEqual(range(N));
    expect(sorted(second)).toEqual(range(N));
    expect(second).not.toEqual(first);
    // one iteration of 2 epochs = two iterations of 1
    expect([...first, ...second]).toEqual(ids(await collect(new DataLoader(arrowSource(arrowPath), { ...opts, epochs: 2 }))));
    l.setEpoch(0);
    expect(ids(await collect(l))).toEqual(first);
    l.setEpoch(1);
    const again = await collect(l);
    expect(ids(again)).toEqual(second);
    expect(again.every((b) => b.epoch === 1)).toBe(true);
    expect(() => l.setEpoch(-1)).toThrow(/epoch must be an integer >= 0/);
    // workers follow the same epochs
    const w = new DataLoader(arrowSource(arrowPath), { ...opts, workers: 1, persistentWorkers: true });
    try {
      expect(ids(await collect(w))).toEqual(first);
      expect(ids(await collect(w))).toEqual(second);
    } finally {
      await w.close();
    }
  });
});

describe('sharding', () => {
  async function shardIds(source: () => Source, count: number, extra = {}): Promise<number[][]> {
    const out: number[][] = [];
    for (let index = 0; index < count; index++) out.push(ids(await collect(new DataLoader(source(), { label: 'id', batchSize: 500, shard: { index, count }, ...extra }))));
    return out;
  }
  const check = (parts: number[][], total: number) => {
    const all = parts.flat();
    expect(all.length).toBe(total);
    expect(new Set(all).size).toBe(total); // disjoint
    expect(sorted(all)).toEqual(range(total)); // union is everything
    for (const p of parts) expect(p.length).toBeGreaterThan(0);
  };
  it('by record batch / row group when there are many (Arrow, Parquet)', async () => {
    check(await shardIds(() => arrowSource(arrowPath), 3), N);
    check(await shardIds(() => parquetSource(parquetPath), 4, { shuffle: true, seed: 3 }), N);
  });
  it('by row ranges when there are few units (one CSV file, a one-batch file)', async () => {
    const lines = ['id,f0'];
    for (let i = 0; i < 3000; i++) lines.push(`${i},${i * 10}`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(tmp.path('ids.csv'), lines.join('\n') + '\n');
    check(await shardIds(() => csvSource(tmp.path('ids.csv')), 3), 3000);
    await writeArrow(tmp.path('one.arrow'), idBatches(5000, 5000));
    check(await shardIds(() => arrowSource(tmp.path('one.arrow')), 2), 5000);
  });
  it('persistentWorkers: the same batches, the threads kept between iterations until close()', async () => {
    const base = { label: 'id', batchSize: 256, shuffle: true, shuffleBuffer: 2048, seed: 9, epochs: 2, workers: 2 };
    const expected = await collect(new DataLoader(arrowSource(arrowPath), base));
    const live = diagnostics().liveWorkers;
    const loader = new DataLoader(arrowSource(arrowPath), { ...base, persistentWorkers: true });
    for (let pass = 0; pass < 2; pass++) {
      // each iteration is the next epoch: rewind to compare with the same epochs
      loader.setEpoch(0);
      const got = await collect(loader);
      expect(ids(got)).toEqual(ids(expected));
      expect(got.map((b) => Array.from(b.x.subarray(0, 6)))).toEqual(expected.map((b) => Array.from(b.x.subarray(0, 6))));
      expect(diagnostics().liveWorkers).toBe(live + 2);
    }
    // breaking out cancels the run: its files are closed, and the next run is whole
    const fds = openFds();
    let k = 0;
    for await (const _ of loader) if (++k === 3) break;
    if (fds >= 0) expect(openFds()).toBeLessThanOrEqual(fds);
    loader.setEpoch(0);
    expect(ids(await collect(loader))).toEqual(ids(expected));
    await loader.close();
    expect(diagnostics().liveWorkers).toBe(live);
  });

  it('persistentWorkers: one iteration at a time', async () => {
    const loader = new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 256, workers: 1, persistentWorkers: true });
    const a = loader[Symbol.asyncIterator]();
    await a.next();
    const b = loader[Symbol.asyncIterator]();
    await expect(b.next()).rejects.toMatchObject({ code: 'ARGUMENT' });
    await a.return!();
    await loader.close();
  });

  it('a worker transform may change the width of x', async () => {
    const bs = await collect(new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 256, workers: 2, transform: { module: fixture, export: 'widen', options: { extra: 5 } } }));
    expect(sorted(ids(bs))).toEqual(range(N));
    const full = bs.filter((b) => b.featureNames.length === 8);
    expect(full.length).toBeGreaterThan(0);
    for (const b of full) for (let i = 0; i < b.n; i++) {
      expect(b.x[i * 8]).toBe(b.y[i] * 10);
      expect(b.x[i * 8 + 7]).toBe(1);
    }
  });

  it('batches that go by slot and by message keep the single-thread order', async () => {
    const o = { label: 'id', batchSize: 256, shuffle: true, shuffleBuffer: 2048, seed: 4, epochs: 2, transform: { module: fixture, export: 'widenSome', options: { extra: 2, every: 3 } } };
    const w0 = await collect(new DataLoader(arrowSource(arrowPath), { ...o, workers: 0 }));
    const w1 = await collect(new DataLoader(arrowSource(arrowPath), { ...o, workers: 1, prefetch: 3 }));
    expect(ids(w1)).toEqual(ids(w0));
    expect(w1.map((b) => b.featureNames.length)).toEqual(w0.map((b) => b.featureNames.length));
    expect(new Set(w1.map((b) => b.featureNames.length)).size).toBe(2);
    for (let k = 0; k < w0.length; k++) expect(Array.from(w1[k].x)).toEqual(Array.from(w0[k].x));
  });

  it('a shard is the same rows whatever the number of workers', async () => {
    for (const workers of [0, 2]) {
      const parts = await shardIds(() => arrowSource(arrowPath), 2, { workers, shuffle: true, seed: 4 });
      check(parts, N);
      if (workers === 0) (globalThis as { __p?: number[][] }).__p = parts.map(sorted);
      else expect(parts.map(sorted)).toEqual((globalThis as { __p?: number[][] }).__p);
    }
  });
});

describe('prefetch, transforms, backpressure', () => {
  it('prefetch changes nothing about the order', async () => {
    const o = { label: 'id', batchSize: 128, shuffle: true, shuffleBuffer: 1000, seed: 3 };
    const p0 = ids(await collect(new DataLoader(arrowSource(arrowPath), { ...o, prefetch: 0 })));
    const p4 = ids(await collect(new DataLoader(arrowSource(arrowPath), { ...o, prefetch: 4 })));
    expect(p4).toEqual(p0);
  });

  it('recycled batches are refilled: the same batches, in fewer new arrays', async () => {
    const src = () => synthetic.classification({ rows: 20_000, features: 5, seed: 4, batchRows: 3000 });
    const o = { label: 'label', batchSize: 256, shuffle: true, shuffleBuffer: 2000, seed: 9, prefetch: 2 };
    // the oracle: every batch copied out, nothing recycled
    const plain: number[][] = [];
    for await (const b of new DataLoader(src(), o)) plain.push([...b.x, ...b.y]);
    const loader = new DataLoader(src(), o);
    const seen: number[][] = [];
    const arrays = new Set<ArrayBufferLike>();
    for await (const b of loader) {
      seen.push([...b.x, ...b.y]);
      arrays.add(b.x.buffer);
      loader.recycle(b);
    }
    expect(seen).toEqual(plain);
    // prefetch 2 keeps a few batches in flight; the rest reuse recycled arrays
    expect(arrays.size).toBeLessThanOrEqual(6);
    expect(plain.length).toBeGreaterThan(70);
    // with workers, batches are copied out of the workers' shared slots on this thread, into the
    // recycled arrays: the same batches again, in as few arrays
    const w = new DataLoader(src(), { ...o, workers: 1 });
    const viaWorkers: number[][] = [];
    const workerArrays = new Set<ArrayBufferLike>();
    for await (const b of w) {
      viaWorkers.push([...b.x, ...b.y]);
      workerArrays.add(b.x.buffer);
      expect(b.x.buffer).toBeInstanceOf(ArrayBuffer); // not a view of a shared slot
      w.recycle(b);
    }
    expect(viaWorkers).toEqual(plain);
    expect(workerArrays.size).toBeLessThanOrEqual(3);
  });

  it('reads ahead by about prefetch batches, not the whole source', async () => {
    let produced = 0;
    const src = synthetic.regression({ rows: 1_000_000, features: 4, seed: 1, batchRows: 1000 });
    const counting: Source = {
      kind: 'counting',
      schema: () => src.schema(),
      numRows: () => src.numRows(),
      async *batches(opts) {
        for await (const b of src.batches(opts)) {
          produced += b.numRows;
          yield b;
        }
      },
    };
    const loader = new DataLoader(counting, { label: 'label', batchSize: 100, prefetch: 3 });
    const it = loader[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 50));
    // one source batch (1000 rows) covers 10 loader batches: the producer stops after 1 + 3
    expect(produced).toBeLessThanOrEqual(2000);
    await it.return!();
  });

  it('a function transform runs per batch', async () => {
    const bs = await collect(new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 1000, transform: (b) => ({ ...b, n: b.n, x: b.x.map((v) => -v) }) as never }));
    expect(bs[0].x[3]).toBe(-10);
  });

  it('a module transform runs in the workers (and on the merged tails)', async () => {
    const bs = await collect(new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 300, workers: 2, transform: { module: fixture, export: 'scale', options: { factor: 2 } } }));
    expect(bs.reduce((s, b) => s + b.n, 0)).toBe(N);
    for (const b of bs) for (let i = 0; i < b.n; i++) expect(b.x[i * 3 + 1]).toBe(2 * (b.y[i] * 10 + 1));
  });

  it('passes categorical columns through in the same (shuffled) row order as x', async () => {
    const lines = ['id,f0,cat'];
    for (let i = 0; i < 4000; i++) lines.push(`${i},${i * 10},k${i % 7}`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(tmp.path('cat.csv'), lines.join('\n'));
    for (const workers of [0, 2]) {
      const bs = await collect(new DataLoader(csvSource(tmp.path('cat.csv'), { schema: { cat: 'category' }, batchSize: 1000 } as never), { label: 'id', batchSize: 256, shuffle: true, shuffleBuffer: 1000, seed: 1, workers }));
      let n = 0;
      for (const b of bs) {
        expect(b.featureNames).toEqual(['f0']);
        const cat = b.columns.cat;
        for (let i = 0; i < b.n; i++) expect(cat.get(i)).toBe(`k${b.y[i] % 7}`);
        n += b.n;
      }
      expect(n).toBe(4000);
    }
  });
});

describe('prefetch ordering', () => {
  it('refills after the consumer has resumed, so loading overlaps the consumer’s own await', async () => {
    const { prefetch } = await import('../src/loader.js');
    let produced = 0;
    async function* gen() {
      for (let i = 0; i < 20; i++) {
        produced++;
        yield i;
      }
    }
    const depth = 4;
    // Waits (event-loop turns, not a fixed time: a loaded CI machine may be slow) until the
    // producer has made `n` items, then a little more, to see that it stops there.
    const settle = async (n: number) => {
      for (let t = 0; t < 2000 && produced < n; t++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 2));
    };
    const it = prefetch(gen(), depth);
    await settle(depth); // the producer fills the queue while nobody consumes, and no further
    expect(produced).toBe(depth);
    for (let consumed = 1; consumed <= 10; consumed++) {
      const r = await it.next();
      expect(r.value).toBe(consumed - 1);
      // The replacement item is not made before the consumer gets this one (a microtask wake
      // would run the producer's synchronous work first, serialising the two).
      expect(produced).toBe(consumed - 1 + depth);
      await settle(consumed + depth); // the consumer's work: an await, like a GPU step
      expect(produced).toBe(consumed + depth);
    }
    await it.return?.();
  });
});
