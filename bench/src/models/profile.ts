/**
 * Where an epoch of streamed training goes (not part of `pnpm bench`; run by hand):
 *   cd bench && node --conditions=source --import tsx src/models/profile.ts [rows] [rounds]
 * Interleaved in one process, per round: the DataLoader alone (no training); fit() on
 * in-memory data (no loader); fit() streamed from the loader (what the bench measures); and
 * the device steps alone (one batch uploaded each step, the same data). Prints ms per epoch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGpu, type Gpu } from '@gantry/gpu';
import { DataLoader, arrowSource, synthetic, writeArrow } from '@gantry/data';
import { LogisticRegression, MLP } from '@gantry/models';

const N = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 2);
const kinds = (process.argv[4] ?? 'logistic,mlp').split(',');
const work = mkdtempSync(join(tmpdir(), 'gantry-models-profile-'));
const file = join(work, 'train.arrow');
const src = synthetic.classification({ rows: N, features: 32, informative: 8, redundant: 4, classSep: 1, flipY: 0.01, seed: 7, batchRows: 65536 });
function* batches() {
  for (let s = 0; s < N; s += 65536) yield src.generate(s, Math.min(65536, N - s));
}
await writeArrow(file, batches());
// In-memory copy for the no-loader variant.
const X = new Float32Array(N * 32);
const Y = new Float32Array(N);
{
  let r = 0;
  for await (const b of new DataLoader(arrowSource(file), { label: 'label', batchSize: 65536, shuffle: false })) {
    X.set(b.x, r * 32);
    Y.set(b.y, r);
    r += b.n;
  }
}
// One Gpu per model kind: the waiter's learned rate carries over between workloads on one Gpu
// and oversleeps on the next one (see NOTES.md, models).
const gpus: Record<string, Gpu> = {};
for (const kind of kinds) {
  gpus[kind] = await createGpu({ backend: 'webgpu' });
  await gpus[kind].warmup(['none', 'relu', 'sigmoid']);
}
const loader = () => new DataLoader(arrowSource(file), { label: 'label', batchSize: 1024, shuffle: true, shuffleBuffer: 16384, seed: 1 });
const make = (kind: string) => (kind === 'mlp' ? new MLP({ hidden: [64], activation: 'relu', classes: 2 }) : new LogisticRegression());
const opts = (kind: string) => ({ epochs: 1, optimizer: 'adam' as const, learningRate: kind === 'mlp' ? 1e-3 : 1e-2, seed: 1, lossEvery: 200 });

async function loaderOnly(): Promise<number> {
  const t0 = performance.now();
  let s = 0;
  for await (const b of loader()) s += b.x[0] + b.y[0];
  if (Number.isNaN(s)) console.log('nan');
  return performance.now() - t0;
}
async function fitStream(kind: string): Promise<number> {
  const m = make(kind);
  const t0 = performance.now();
  await m.fit(gpus[kind], loader(), opts(kind));
  return performance.now() - t0;
}
async function fitMemory(kind: string): Promise<number> {
  const m = make(kind);
  const t0 = performance.now();
  await m.fit(gpus[kind], { x: X, y: Y, cols: 32 }, { ...opts(kind), batchSize: 1024, shuffle: false });
  return performance.now() - t0;
}

const res: Record<string, number[]> = {};
const add = (k: string, v: number) => (res[k] ??= []).push(v);
for (let r = 0; r < rounds; r++) {
  add('loader only', await loaderOnly());
  for (const kind of kinds) {
    const gpu = gpus[kind];
    const m0 = gpu.memory();
    add(`${kind} fit in-memory (no shuffle)`, await fitMemory(kind));
    const m1 = gpu.memory();
    add(`${kind} fit streamed`, await fitStream(kind));
    if (r === 0) console.error(`${kind}: per step ${((m1.submits - m0.submits) / (N / 1024)).toFixed(2)} submits, ${((m1.dispatches - m0.dispatches) / (N / 1024)).toFixed(1)} dispatches`);
  }
}
const scale = 1_000_000 / N;
for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(36)} ${v.map((x) => (x * scale / 1000).toFixed(2)).join(' / ')} s per 1M-row epoch`);
for (const g of Object.values(gpus)) g.destroy();
rmSync(work, { recursive: true, force: true });
process.exit(0);
