/**
 * One measurement of the data suite, in its own process so that its peak RSS is its own.
 * `child.ts <mode> <json config>`; prints one JSON line (with maxRssMiB) and exits.
 *   prepare   write the 16-column float dataset (Arrow IPC + Parquet) if not there yet
 *   raw       read the file with positioned reads into one reused buffer (the I/O limit)
 *   arrow     apache-arrow's RecordBatchReader iterating the batches, touching every column
 *   loader    Gantry's DataLoader over the file
 *   overlap   the DataLoader with a consumer that spends a fixed time per batch, and that
 *             consumer alone over batches in memory (its own time), in one process
 */
import { existsSync, mkdirSync, openSync, readSync, closeSync, statSync, writeFileSync, readFileSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { DataLoader, arrow as A, arrowSource, parquetSource, synthetic, writeArrow, writeParquet, type Batch } from '@gantry/data';
import { reportAndExit } from '../lib/rss.js';

const [mode, cfgJson] = process.argv.slice(2);
const cfg = JSON.parse(cfgJson ?? '{}') as {
  dir: string;
  rows: number;
  path?: string;
  format?: 'arrow' | 'parquet';
  workers?: number;
  passes?: number;
  consumerUs?: number;
  consumer?: 'async' | 'busy';
  /** The consumer hands each batch back to the loader once it has used it (DataLoader.recycle). */
  recycle?: boolean;
  batches?: number;
  rounds?: number;
  prefetch?: number;
};

/** The dataset: 15 float32 features f0..f14 and a float32 label = 16 float columns. */
function dataset(rows: number) {
  return synthetic.classification({ rows, features: 15, informative: 8, redundant: 3, classes: 2, seed: 42, batchRows: 65536 });
}

async function prepare(): Promise<object> {
  mkdirSync(cfg.dir, { recursive: true });
  const arrow = `${cfg.dir}/float16x${cfg.rows}.arrow`;
  const parquet = `${cfg.dir}/float16x${cfg.rows}.parquet`;
  const marker = `${cfg.dir}/float16x${cfg.rows}.ok`;
  const t0 = performance.now();
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== 'v1') {
    // the label as float32, so that all 16 columns are floats
    const src = dataset(cfg.rows);
    const { Float32, Field, Schema, RecordBatch, Struct, makeData } = A;
    async function* floats() {
      for await (const b of src.batches()) {
        const fields = b.schema.fields.map((f) => new Field(f.name, new Float32(), false));
        const children = b.schema.fields.map((f, j) => {
          const c = b.getChildAt(j)!;
          return f.name === 'label' ? makeData({ type: new Float32(), length: b.numRows, data: Float32Array.from(c.toArray() as Int32Array) }) : c.data[0];
        });
        yield new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: b.numRows, children: children as never, nullCount: 0 }));
      }
    }
    await writeArrow(`${arrow}.tmp`, floats());
    renameSync(`${arrow}.tmp`, arrow);
    await writeParquet(`${parquet}.tmp`, floats(), { rowGroupRows: 65536, codec: 'SNAPPY' });
    renameSync(`${parquet}.tmp`, parquet);
    writeFileSync(marker, 'v1');
  }
  return { arrow, parquet, arrowBytes: statSync(arrow).size, parquetBytes: statSync(parquet).size, seconds: (performance.now() - t0) / 1000 };
}

function best(times: number[]): number {
  return Math.min(...times);
}

async function raw(): Promise<object> {
  const size = statSync(cfg.path!).size;
  const buf = Buffer.allocUnsafe(4 << 20);
  const times: number[] = [];
  for (let p = 0; p < (cfg.passes ?? 1); p++) {
    const t0 = performance.now();
    const fd = openSync(cfg.path!, 'r');
    let pos = 0;
    while (pos < size) pos += readSync(fd, buf, 0, buf.length, pos);
    closeSync(fd);
    times.push((performance.now() - t0) / 1000);
  }
  const s = best(times);
  return { seconds: s, bytesPerSec: size / s, rowsPerSec: cfg.rows / s };
}

async function arrow(): Promise<object> {
  const times: number[] = [];
  let rows = 0;
  for (let p = 0; p < (cfg.passes ?? 1); p++) {
    const t0 = performance.now();
    const fh = await open(cfg.path!, 'r');
    const reader = await A.RecordBatchReader.from(fh);
    let n = 0;
    let touch = 0;
    for await (const b of reader as AsyncIterable<InstanceType<typeof A.RecordBatch>>) {
      n += b.numRows;
      for (const c of b.data.children) touch += (c.values as Float32Array).length;
    }
    await fh.close().catch(() => undefined);
    if (touch !== n * 16) throw new Error('bad column count');
    rows = n;
    times.push((performance.now() - t0) / 1000);
  }
  const s = best(times);
  return { seconds: s, rows, rowsPerSec: rows / s };
}

function makeLoader(persistentWorkers = false): DataLoader {
  const source = cfg.format === 'parquet' ? parquetSource(cfg.path!) : arrowSource(cfg.path!);
  return new DataLoader(source, { label: 'label', batchSize: 1024, shuffle: true, shuffleBuffer: 65536, prefetch: cfg.prefetch ?? 4, workers: cfg.workers ?? 0, seed: 1, persistentWorkers });
}

async function loader(): Promise<object> {
  const times: number[] = [];
  let rows = 0;
  let batches = 0;
  let firstBatchMs = 0;
  let check = 0;
  let kernel = '';
  for (let p = 0; p < (cfg.passes ?? 1); p++) {
    const l = makeLoader();
    const t0 = performance.now();
    let n = 0;
    let k = 0;
    for await (const b of l) {
      if (k === 0) firstBatchMs = performance.now() - t0;
      n += b.n;
      k++;
      check += b.x[0] + b.y[b.n - 1];
    }
    times.push((performance.now() - t0) / 1000);
    rows = n;
    batches = k;
    kernel = l.currentKernel ?? 'worker';
  }
  if (rows !== cfg.rows) throw new Error(`loader gave ${rows} rows, expected ${cfg.rows}`);
  const s = best(times);
  return { seconds: s, rows, batches, rowsPerSec: rows / s, firstBatchMs, check, kernel };
}

/**
 * A consumer whose work per batch happens elsewhere for `us` microseconds, like a GPU step the
 * caller awaits: a worker thread sleeps (no CPU of ours is used) and signals back through a
 * SharedArrayBuffer; the caller awaits with Atomics.waitAsync. The round trip adds ~0.1 ms,
 * which is part of the consumer's own time too.
 */
class Device {
  private readonly flag = new Int32Array(new SharedArrayBuffer(16));
  private readonly worker: Worker;
  constructor() {
    this.worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const f = workerData;
       for (;;) {
         Atomics.wait(f, 0, 0);
         Atomics.wait(f, 2, 0, Atomics.load(f, 1) / 1000);
         Atomics.store(f, 0, 0);
         Atomics.notify(f, 0);
       }`,
      { eval: true, workerData: this.flag },
    );
  }
  async run(us: number): Promise<void> {
    Atomics.store(this.flag, 1, us);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
    const w = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync(this.flag, 0, 1);
    if (w.async) await w.value;
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function busy(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    /* spin */
  }
}

async function consume(batches: AsyncIterable<Batch> | Iterable<Batch>, us: number, kind: 'async' | 'busy', device?: Device, recycle?: DataLoader): Promise<{ seconds: number; n: number }> {
  const t0 = performance.now();
  let n = 0;
  for await (const b of batches) {
    n += b.n;
    // like fit after uploading a batch: the consumer is done with its arrays
    recycle?.recycle(b);
    if (kind === 'async') await device!.run(us);
    else busy(us);
  }
  return { seconds: (performance.now() - t0) / 1000, n };
}

/**
 * In one process (same JIT and page-cache state), with one loader (persistent workers, so
 * that thread start-up is not in the timed passes): a pass of the loader alone sizes the
 * consumer (its time per batch = loading time per batch, unless `consumerUs` is given); then
 * `rounds` interleaved pairs of (the loader with that consumer, the consumer alone over
 * batches already in memory). This machine's timing noise (a 2-vCPU VM: ±30 % between passes)
 * is larger than the effect, so the ratio is the median of the pairs' ratios.
 */
async function overlap(): Promise<object> {
  const device = cfg.consumer === 'async' ? new Device() : undefined;
  await device?.run(10);
  const loader = makeLoader(true);
  // loading alone (a warm-up pass, then the measured one)
  let load = { seconds: 0, n: 0, batches: 0 };
  for (let p = 0; p < 2; p++) {
    const t0 = performance.now();
    let n = 0;
    let k = 0;
    for await (const b of loader) {
      n += b.n;
      k++;
    }
    load = { seconds: (performance.now() - t0) / 1000, n, batches: k };
  }
  const us = cfg.consumerUs ?? Math.max(1, Math.round((load.seconds * 1e6) / load.batches));
  const ready: Batch[] = [];
  for await (const b of loader) {
    ready.push(b);
    if (ready.length >= 64) break;
  }
  function* cycle() {
    for (let i = 0; i < load.batches; i++) yield ready[i % ready.length];
  }
  const pairs: { seconds: number; ownSeconds: number; ratio: number }[] = [];
  let rows = 0;
  for (let r = 0; r < (cfg.rounds ?? 5); r++) {
    const both = await consume(loader, us, cfg.consumer ?? 'async', device, cfg.recycle ? loader : undefined);
    const own = await consume(cycle(), us, cfg.consumer ?? 'async', device);
    rows = both.n;
    pairs.push({ seconds: both.seconds, ownSeconds: own.seconds, ratio: both.seconds / own.seconds });
  }
  await loader.close();
  await device?.close();
  const mid = [...pairs].sort((a, b) => a.ratio - b.ratio)[pairs.length >> 1];
  return { consumerUs: us, loadSeconds: load.seconds, seconds: mid.seconds, ownSeconds: mid.ownSeconds, ratio: mid.ratio, ratios: pairs.map((p) => +p.ratio.toFixed(3)), rows };
}

const modes: Record<string, () => Promise<object>> = { prepare, raw, arrow, loader, overlap };
const fn = modes[mode];
if (!fn) {
  console.error(`child: unknown mode ${mode}`);
  process.exit(2);
}
reportAndExit(await fn());
