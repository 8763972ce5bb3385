/**
 * Entry of a DataLoader worker thread: rebuilds the source from its descriptor once, then runs
 * one pipeline per `run` message on its split of the data, writing batches into the slots of
 * its ring (slots.ts) as far ahead of the consumer as the free slots allow (waiting beyond). A
 * cancelled run stops at its next batch and closes its files; the thread then waits for the
 * next run (persistent workers) until the loader terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from './errors.js';
import { encodeColumns, loadTransformSpec, type BatchTransformFn, type TransformSpec, type WireBatch } from './loader.js';
import { Pipeline, type PipelinePlan } from './pipeline.js';
import { SlotWriter, type SlotRingInit } from './slots.js';
import { BufferRecycler } from './recycle.js';
import { ScanStats, sourceFromDescriptor, type Source, type SourceDescriptor } from './source.js';
import type { Batch } from './batch.js';

interface Init {
  descriptor: SourceDescriptor;
  transform?: TransformSpec;
}
interface RunMsg {
  type: 'run';
  run: number;
  plan: PipelinePlan;
  ring: SlotRingInit;
}

const port = parentPort!;
const init = workerData as Init;
const runs: RunMsg[] = [];
let wake: (() => void) | undefined;
port.on('message', (m: RunMsg) => {
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

/** Whether a batch can go through a slot: numeric only, the plan's columns, within the slot's size. */
function plain(b: Batch, plan: PipelinePlan, ring: SlotWriter): boolean {
  if (b.label !== plan.label || !ring.fits(b.x, b.y)) return false;
  for (const _ in b.columns) return false;
  const f = b.featureNames;
  if (f !== plan.features) {
    if (f.length !== plan.features.length) return false;
    for (let j = 0; j < f.length; j++) if (f[j] !== plan.features[j]) return false;
  }
  return true;
}

/** Loads only the module that registers this descriptor's source kind (worker start-up time). */
async function loadKind(kind: string): Promise<void> {
  if (kind === 'arrow') await import('./arrow.js');
  else if (kind === 'parquet') await import('./parquet.js');
  else if (kind === 'csv' || kind === 'jsonl') await import('./text.js');
  else if (kind.startsWith('synthetic.')) await import('./synthetic.js');
  else await import('./sources.js');
}

/** One run of a pipeline, handing its items to the main thread through the ring. */
class RunSender {
  private readonly ring: SlotWriter;
  private reported = { skippedRows: 0, badRows: 0 };
  private pendingTail?: { msg: WireBatch; transfer: ArrayBuffer[] };

  constructor(
    private readonly run: number,
    private readonly plan: PipelinePlan,
    ring: SlotRingInit,
    private readonly stats: ScanStats,
    private readonly pipeline: Pipeline,
    /** The pipeline's arrays, reused once copied into a slot (none with a transform). */
    private readonly recycler: BufferRecycler | undefined,
  ) {
    this.ring = new SlotWriter(ring);
  }

  /** Waits for a free slot; false once the run is cancelled. */
  acquire(): Promise<boolean> {
    return this.ring.acquire(this.run);
  }

  /** Into a slot when it fits, else by message (a marker takes the slot). */
  batch(b: Batch): void {
    const { ring } = this;
    if (plain(b, this.plan, ring)) {
      ring.publishBatch(this.run, b.n, b.x, b.y);
      this.recycler?.give(b.x);
      this.recycler?.give(b.y);
      return;
    }
    const { msg, transfer } = wire(b);
    port.postMessage({ type: 'batch', run: this.run, batch: msg }, transfer);
    ring.publishMessage(this.run);
  }

  tail(b: Batch): void {
    this.pendingTail = wire(b);
  }

  /** Needs a slot (acquire first): the epoch's end, with its stats and tail. */
  epochEnd(epoch: number): void {
    const { stats } = this;
    const delta = { skippedRows: stats.skippedRows - this.reported.skippedRows, badRows: stats.badRows.slice(this.reported.badRows) };
    this.reported = { skippedRows: stats.skippedRows, badRows: stats.badRows.length };
    const t = this.pendingTail;
    this.pendingTail = undefined;
    port.postMessage({ type: 'epochEnd', run: this.run, epoch, tail: t?.msg, stats: delta, kernel: this.pipeline.kernelKind }, t?.transfer ?? []);
    this.ring.publishMessage(this.run);
  }
}

async function execute(source: Source, transform: BatchTransformFn | undefined, { run, plan, ring }: RunMsg): Promise<void> {
  if (plan.passthrough.length) {
    const schema = await source.schema();
    plan.passthroughTypes = plan.passthrough.map((n) => schema.fields.find((f) => f.name === n)!.type);
  }
  const stats = new ScanStats();
  // The pipeline cuts each batch into one of a few arrays, copied into a slot and then reused;
  // not with a transform, which may keep the arrays it was given.
  const recycler = transform ? undefined : new BufferRecycler(2);
  const pipeline = new Pipeline(source, plan, stats, recycler);
  const send = new RunSender(run, plan, ring, stats, pipeline, recycler);
  for await (const ev of pipeline.run()) {
    if (ev.kind === 'tail') send.tail(ev.batch);
    else if (!(await send.acquire())) break; // cancelled: leaving the loop closes the pipeline's files
    else if (ev.kind === 'batch') send.batch(transform ? await transform(ev.batch) : ev.batch);
    else send.epochEnd(ev.epoch);
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
