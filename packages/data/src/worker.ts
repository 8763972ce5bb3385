/**
 * Entry of a DataLoader worker thread: rebuilds the source from its descriptor once, then runs
 * one pipeline per `run` message on its split of the data, posting batches (buffers
 * transferred) as far ahead of the consumer as its credits allow (blocking beyond). A cancelled run stops at
 * its next batch and closes its files; the thread then waits for the next run (persistent
 * workers) until the loader terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from './errors.js';
import { encodeColumns, loadTransformSpec, type BatchTransformFn, type TransformSpec, type WireBatch } from './loader.js';
import { Pipeline, type PipelinePlan } from './pipeline.js';
import { CreditWriter, type CreditInit } from './credits.js';
import { BufferRecycler } from './recycle.js';
import { ScanStats, sourceFromDescriptor, type Source, type SourceDescriptor } from './source.js';
import type { Batch } from './batch.js';

interface Init {
  descriptor: SourceDescriptor;
  transform?: TransformSpec;
  credits: CreditInit;
}
interface RunMsg {
  type: 'run';
  run: number;
  plan: PipelinePlan;
}

const port = parentPort!;
const init = workerData as Init;
const credits = new CreditWriter(init.credits);
const runs: RunMsg[] = [];
let wake: (() => void) | undefined;
// Arrays the consumer handed back (DataLoader.recycle), refilled by this thread's pipelines.
const recycler = new BufferRecycler(16);
port.on('message', (m: RunMsg | { type: 'buffers'; buffers: ArrayBuffer[] }) => {
  if (m.type === 'buffers') {
    for (const b of m.buffers) recycler.give(new Float32Array(b));
    return;
  }
  if (m.type !== 'run') return;
  runs.push(m);
  const w = wake;
  wake = undefined;
  w?.();
});

function wire(b: Batch): { msg: WireBatch; transfer: ArrayBuffer[] } {
  const columns = encodeColumns(b.columns);
  const transfer = [b.x.buffer as ArrayBuffer];
  if (b.y.byteLength) transfer.push(b.y.buffer as ArrayBuffer);
  if (columns) transfer.push(columns.buffer as ArrayBuffer);
  return { msg: { x: b.x, y: b.y, n: b.n, featureNames: b.featureNames, label: b.label, columns }, transfer: [...new Set(transfer)] };
}

/** Loads only the module that registers this descriptor's source kind (worker start-up time). */
async function loadKind(kind: string): Promise<void> {
  if (kind === 'arrow') await import('./arrow.js');
  else if (kind === 'parquet') await import('./parquet.js');
  else if (kind === 'csv' || kind === 'jsonl') await import('./text.js');
  else if (kind.startsWith('synthetic.')) await import('./synthetic.js');
  else await import('./sources.js');
}

async function execute(source: Source, transform: BatchTransformFn | undefined, { run, plan }: RunMsg): Promise<void> {
  if (plan.passthrough.length) {
    const schema = await source.schema();
    plan.passthroughTypes = plan.passthrough.map((n) => schema.fields.find((f) => f.name === n)!.type);
  }
  const stats = new ScanStats();
  let reported = { skippedRows: 0, badRows: 0 };
  let pendingTail: { msg: WireBatch; transfer: ArrayBuffer[] } | undefined;
  const pipeline = new Pipeline(source, plan, stats, recycler);
  for await (const ev of pipeline.run()) {
    if (ev.kind === 'batch') {
      if (!(await credits.acquire(run))) break; // cancelled: leaving the loop closes the pipeline's files
      const b = transform ? await transform(ev.batch) : ev.batch;
      const { msg, transfer } = wire(b);
      port.postMessage({ type: 'batch', run, batch: msg }, transfer);
    } else if (ev.kind === 'tail') {
      pendingTail = wire(ev.batch);
    } else {
      const delta = { skippedRows: stats.skippedRows - reported.skippedRows, badRows: stats.badRows.slice(reported.badRows) };
      reported = { skippedRows: stats.skippedRows, badRows: stats.badRows.length };
      const t = pendingTail;
      pendingTail = undefined;
      port.postMessage({ type: 'epochEnd', run, epoch: ev.epoch, tail: t?.msg, stats: delta, kernel: pipeline.kernelKind }, t?.transfer ?? []);
    }
  }
}

async function main(): Promise<void> {
  await loadKind(init.descriptor.kind);
  const source = sourceFromDescriptor(init.descriptor);
  const transform = init.transform ? await loadTransformSpec(init.transform) : undefined;
  for (;;) {
    while (!runs.length) await new Promise<void>((r) => (wake = r));
    const m = runs.shift()!;
    try {
      await execute(source, transform, m);
      port.postMessage({ type: 'runEnd', run: m.run });
    } catch (e) {
      port.postMessage({ type: 'error', run: m.run, error: serializeError(e) });
    }
  }
}

// Start-up failures (a source module or transform that cannot load) fail every run.
main().catch((e) => {
  port.postMessage({ type: 'error', run: -1, error: serializeError(e) });
});
