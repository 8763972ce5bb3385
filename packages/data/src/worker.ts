/**
 * Entry of a DataLoader worker thread: rebuilds the source from its descriptor, runs one
 * pipeline on its split of the data and posts batches (buffers transferred) as the main thread
 * grants credits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from './errors.js';
import { encodeColumns, loadTransformSpec, type BatchTransformFn, type TransformSpec, type WireBatch } from './loader.js';
import { Pipeline, type PipelinePlan } from './pipeline.js';
import { ScanStats, sourceFromDescriptor, type SourceDescriptor } from './source.js';
import type { Batch } from './batch.js';

interface Init {
  descriptor: SourceDescriptor;
  plan: PipelinePlan;
  transform?: TransformSpec;
  credits: number;
}

const port = parentPort!;
const init = workerData as Init;
let credits = init.credits;
let wake: (() => void) | undefined;
port.on('message', (m: { type: string; n: number }) => {
  if (m.type === 'credit') {
    credits += m.n;
    const w = wake;
    wake = undefined;
    w?.();
  }
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

async function main(): Promise<void> {
  await loadKind(init.descriptor.kind);
  const source = sourceFromDescriptor(init.descriptor);
  const plan = init.plan;
  if (plan.passthrough.length) {
    const schema = await source.schema();
    plan.passthroughTypes = plan.passthrough.map((n) => schema.fields.find((f) => f.name === n)!.type);
  }
  const transform: BatchTransformFn | undefined = init.transform ? await loadTransformSpec(init.transform) : undefined;
  const stats = new ScanStats();
  let reported = { skippedRows: 0, badRows: 0 };
  const pipeline = new Pipeline(source, plan, stats);
  for await (const ev of pipeline.run()) {
    if (ev.kind === 'batch') {
      while (credits <= 0) await new Promise<void>((r) => (wake = r));
      credits--;
      const b = transform ? await transform(ev.batch) : ev.batch;
      const { msg, transfer } = wire(b);
      port.postMessage({ type: 'batch', batch: msg }, transfer);
    } else if (ev.kind === 'tail') {
      pendingTail = wire(ev.batch);
    } else {
      const delta = { skippedRows: stats.skippedRows - reported.skippedRows, badRows: stats.badRows.slice(reported.badRows) };
      reported = { skippedRows: stats.skippedRows, badRows: stats.badRows.length };
      const t = pendingTail;
      pendingTail = undefined;
      port.postMessage({ type: 'epochEnd', epoch: ev.epoch, tail: t?.msg, stats: delta, kernel: pipeline.kernelKind }, t?.transfer ?? []);
    }
  }
}

let pendingTail: { msg: WireBatch; transfer: ArrayBuffer[] } | undefined;

// On success or failure the thread stays until the loader terminates it, so that every message
// posted here reaches the main thread.
main().catch((e) => {
  port.postMessage({ type: 'error', error: serializeError(e) });
});
