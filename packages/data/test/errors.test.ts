import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, DataLoader, arrowSource, csvSource, diagnostics, jsonlSource, parquetSource, writeArrow, writeParquet, type Source } from '../src/index.js';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { collect, idBatches, openFds, tempDir } from './helpers.js';

const tmp = tempDir();
let arrowPath: string;
let parquetPath: string;
beforeAll(async () => {
  arrowPath = tmp.path('ids.arrow');
  parquetPath = tmp.path('ids.parquet');
  await writeArrow(arrowPath, idBatches(20_000, 1000));
  await writeParquet(parquetPath, idBatches(20_000, 1000), { rowGroupRows: 1000 });
});
afterAll(() => tmp.cleanup());
const fixture = fileURLToPath(new URL('./transform-fixture.ts', import.meta.url));

/** The file's bytes with the metadata of record batch `i` overwritten. */
function damageBatchMetadata(path: string, i: number): Buffer {
  const bytes = Buffer.from(readFileSync(path));
  const footerLen = bytes.readInt32LE(bytes.length - 10);
  const footer = Footer.decode(bytes.subarray(bytes.length - 10 - footerLen, bytes.length - 10));
  const block = footer.getRecordBatch(i)!;
  bytes.fill(0x7f, block.offset + 4, block.offset + 24);
  return bytes;
}

async function fails(p: Promise<unknown> | (() => Promise<unknown>)): Promise<DataError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('bad columns', () => {
  it('a missing feature or label column names the column', async () => {
    let e = await fails(collect(new DataLoader(arrowSource(arrowPath), { features: ['f0', 'nope'] })));
    expect(e).toMatchObject({ code: 'MISSING_COLUMN', column: 'nope' });
    e = await fails(collect(new DataLoader(arrowSource(arrowPath), { label: 'target' })));
    expect(e).toMatchObject({ code: 'MISSING_COLUMN', column: 'target' });
  });
  it('a label or feature that cannot convert is a TYPE error', async () => {
    writeFileSync(tmp.path('s.csv'), 'a,b\n1,x\n2,y\n');
    const e = await fails(collect(new DataLoader(csvSource(tmp.path('s.csv')), { label: 'b' })));
    expect(e).toMatchObject({ code: 'TYPE', column: 'b' });
  });
  it('a file of a multi-file source missing a column names the file', async () => {
    writeFileSync(tmp.path('m1.csv'), 'a,b\n1,2\n');
    writeFileSync(tmp.path('m2.csv'), 'a,c\n1,2\n');
    const e = await fails(collect(new DataLoader(csvSource([tmp.path('m1.csv'), tmp.path('m2.csv')]), { label: 'a' })));
    expect(e).toMatchObject({ code: 'MISSING_COLUMN', column: 'b', file: tmp.path('m2.csv') });
  });
  it('invalid options are ARGUMENT errors', () => {
    expect(() => new DataLoader(arrowSource(arrowPath), { batchSize: 0 })).toThrow(DataError);
    expect(() => new DataLoader(arrowSource(arrowPath), { shard: { index: 2, count: 2 } })).toThrow(/shard/);
  });
});

describe('truncated and corrupt files', () => {
  it('Arrow IPC: truncated, garbage, empty, missing', async () => {
    const bytes = readFileSync(arrowPath);
    writeFileSync(tmp.path('trunc.arrow'), bytes.subarray(0, bytes.length - 100));
    let e = await fails(collect(new DataLoader(arrowSource(tmp.path('trunc.arrow')))));
    expect(e).toMatchObject({ code: 'TRUNCATED', file: tmp.path('trunc.arrow') });
    const garbage = Buffer.from(bytes);
    garbage.fill(0x5a, 0, 200);
    writeFileSync(tmp.path('garbage.arrow'), garbage);
    e = await fails(collect(new DataLoader(arrowSource(tmp.path('garbage.arrow')))));
    expect(e.code).toBe('CORRUPT');
    expect(e.file).toBe(tmp.path('garbage.arrow'));
    writeFileSync(tmp.path('empty.arrow'), '');
    e = await fails(arrowSource(tmp.path('empty.arrow')).schema());
    expect(['CORRUPT', 'TRUNCATED']).toContain(e.code);
    e = await fails(async () => arrowSource(tmp.path('nope.arrow')).schema());
    expect(e).toMatchObject({ code: 'IO', file: tmp.path('nope.arrow') });
  });
  it('Arrow IPC: a record batch whose metadata is damaged', async () => {
    writeFileSync(tmp.path('mid.arrow'), damageBatchMetadata(arrowPath, 7));
    const e = await fails(collect(new DataLoader(arrowSource(tmp.path('mid.arrow')), { label: 'id' })));
    expect(['CORRUPT', 'TRUNCATED']).toContain(e.code);
    expect(e.file).toBe(tmp.path('mid.arrow'));
  });
  it('Arrow stream: truncated body', async () => {
    await writeArrow(tmp.path('s.arrows'), idBatches(5000, 1000), { format: 'stream' });
    const bytes = readFileSync(tmp.path('s.arrows'));
    writeFileSync(tmp.path('st.arrows'), bytes.subarray(0, bytes.length - 3000));
    const e = await fails(collect(new DataLoader(arrowSource(tmp.path('st.arrows')), { label: 'id' })));
    expect(e.file).toBe(tmp.path('st.arrows'));
    expect(['CORRUPT', 'TRUNCATED']).toContain(e.code);
  });
  it('Parquet: truncated, garbage', async () => {
    const bytes = readFileSync(parquetPath);
    writeFileSync(tmp.path('trunc.parquet'), bytes.subarray(0, bytes.length - 50));
    let e = await fails(collect(new DataLoader(parquetSource(tmp.path('trunc.parquet')))));
    expect(e).toMatchObject({ code: 'TRUNCATED', file: tmp.path('trunc.parquet') });
    const g = Buffer.from(bytes);
    g.fill(0x33, 4, g.length - 8);
    writeFileSync(tmp.path('g.parquet'), g);
    e = await fails(collect(new DataLoader(parquetSource(tmp.path('g.parquet')))));
    expect(e.code).toBe('CORRUPT');
    expect(e.file).toBe(tmp.path('g.parquet'));
  });
});

describe('malformed rows', () => {
  const csv = 'id,x,name\n0,1.5,a\n1,2.5\n2,abc,c\n3,"unterminated,d\n';
  it("onBadRow 'error' (default): the first bad row names file, row, line and column", async () => {
    writeFileSync(tmp.path('bad.csv'), csv);
    const e = await fails(collect(new DataLoader(csvSource(tmp.path('bad.csv'), { schema: { x: 'float64', id: 'int32' } }), { label: 'id' })));
    expect(e).toMatchObject({ code: 'BAD_ROW', file: tmp.path('bad.csv'), row: 1, line: 3 });
    expect(e.message).toMatch(/expected 3 fields, found 2/);
  });
  it("onBadRow 'skip': bad rows are skipped, counted and reported", async () => {
    writeFileSync(tmp.path('bad.csv'), csv);
    const loader = new DataLoader(csvSource(tmp.path('bad.csv'), { schema: { x: 'float64', id: 'int32' }, onBadRow: 'skip' }), { label: 'id', features: ['x'] });
    const bs = await collect(loader);
    expect(bs.reduce((s, b) => s + b.n, 0)).toBe(1);
    expect(loader.stats.skippedRows).toBe(3);
    expect(loader.stats.badRows.map((b) => [b.row, b.line, b.column])).toEqual([[1, 3, undefined], [2, 4, 'x'], [3, 5, undefined]]);
    expect(loader.stats.badRows[1].message).toMatch(/cannot convert 'abc'/);
    expect(loader.stats.badRows[2].message).toMatch(/unterminated/);
  });
  it("skipped rows are reported from workers too", async () => {
    writeFileSync(tmp.path('bad.csv'), csv);
    const loader = new DataLoader(csvSource(tmp.path('bad.csv'), { schema: { x: 'float64', id: 'int32' }, onBadRow: 'skip' }), { label: 'id', features: ['x'], workers: 1 });
    await collect(loader);
    expect(loader.stats.skippedRows).toBe(3);
  });
  it('JSON Lines: invalid JSON and wrong types', async () => {
    writeFileSync(tmp.path('bad.jsonl'), '{"a": 1}\n{"a": 2\n{"a": "x"}\n');
    const e = await fails(collect(new DataLoader(jsonlSource(tmp.path('bad.jsonl'), { schema: { a: 'float64' } }), { label: 'a' })));
    expect(e).toMatchObject({ code: 'BAD_ROW', row: 1, line: 2 });
    const loader = new DataLoader(jsonlSource(tmp.path('bad.jsonl'), { schema: { a: 'float64' }, onBadRow: 'skip' }), { label: 'a', features: [] });
    await collect(loader);
    expect(loader.stats.skippedRows).toBe(2);
    expect(loader.stats.badRows[1]).toMatchObject({ row: 2, column: 'a' });
  });
});

describe('nothing hangs, nothing leaks', () => {
  it('breaking out early closes every file (Arrow, Parquet, CSV)', async () => {
    const lines = ['id,f0'];
    for (let i = 0; i < 50000; i++) lines.push(`${i},${i}`);
    writeFileSync(tmp.path('many.csv'), lines.join('\n'));
    const fds = openFds();
    for (const src of [arrowSource(arrowPath), parquetSource(parquetPath), csvSource(tmp.path('many.csv'))]) {
      for (const prefetch of [0, 4]) {
        const loader = new DataLoader(src, { label: 'id', batchSize: 100, prefetch, shuffle: true, shuffleBuffer: 500 });
        let k = 0;
        for await (const b of loader) {
          expect(b.n).toBe(100);
          if (++k === 3) break;
        }
        expect(diagnostics().openFiles).toBe(0);
      }
    }
    if (fds >= 0) expect(openFds()).toBeLessThanOrEqual(fds);
  });

  it('breaking out early terminates the workers', async () => {
    const loader = new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 100, workers: 2 });
    let k = 0;
    for await (const _ of loader) if (++k === 5) break;
    expect(diagnostics().liveWorkers).toBe(0);
  });

  it('a worker whose transform throws fails the iteration with that error, and is terminated', async () => {
    const loader = new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 100, workers: 2, transform: { module: fixture, export: 'fail', options: { afterBatches: 3 } } });
    await expect(collect(loader)).rejects.toThrow(/failed on purpose after 3 batches/);
    expect(diagnostics().liveWorkers).toBe(0);
  });

  it('a worker that dies fails the iteration', async () => {
    const loader = new DataLoader(arrowSource(arrowPath), { label: 'id', batchSize: 100, workers: 1, transform: { module: fixture, export: 'crash' } });
    const e = await fails(collect(loader));
    expect(e).toMatchObject({ code: 'WORKER' });
    expect(diagnostics().liveWorkers).toBe(0);
  });

  it('a worker reading a corrupt file fails the iteration with the DataError (file named)', async () => {
    writeFileSync(tmp.path('mid2.arrow'), damageBatchMetadata(arrowPath, 7));
    const e = await fails(collect(new DataLoader(arrowSource(tmp.path('mid2.arrow')), { label: 'id', workers: 2 })));
    expect(e.file).toBe(tmp.path('mid2.arrow'));
    expect(diagnostics().liveWorkers).toBe(0);
  });

  it('a source that throws mid-way fails the iteration (prefetching or not)', async () => {
    const src: Source = {
      kind: 'flaky',
      schema: () => arrowSource(arrowPath).schema(),
      numRows: async () => undefined,
      async *batches(o) {
        let k = 0;
        for await (const b of arrowSource(arrowPath).batches(o)) {
          if (++k === 3) throw new DataError('CORRUPT', 'flaky source', { file: 'flaky' });
          yield b;
        }
      },
    };
    for (const prefetch of [0, 3]) await expect(collect(new DataLoader(src, { label: 'id', prefetch }))).rejects.toThrow(/flaky source/);
    expect(diagnostics().openFiles).toBe(0);
  });
});
