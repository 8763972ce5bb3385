/**
 * bench models child: streams an Arrow IPC file through @gantry/data's DataLoader and trains a
 * Gantry model on the WebGPU engine; prints per-epoch times, holdout accuracy and peak RSS.
 * Args: <arrow file> <holdout .f32 dir> <kind logistic|mlp> <epochs> <batch>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGpu } from '@gantry/gpu';
import { DataLoader, arrowSource } from '@gantry/data';
import { LogisticRegression, MLP } from '@gantry/models';
import { reportAndExit } from '../lib/rss.js';

const [file, holdDir, kind, epochsArg, batchArg] = process.argv.slice(2);
const epochs = Number(epochsArg);
const batchSize = Number(batchArg);
const hx = new Float32Array(readFileSync(join(holdDir, 'x.f32')).buffer.slice(0));
const hy = new Float32Array(readFileSync(join(holdDir, 'y.f32')).buffer.slice(0));
const gpu = await createGpu({ backend: 'webgpu' });
await gpu.warmup(['none', 'relu', 'sigmoid']);
const loader = new DataLoader(arrowSource(file), { label: 'label', batchSize, shuffle: true, shuffleBuffer: 16384, seed: 1 });
const model = kind === 'mlp' ? new MLP({ hidden: [64], activation: 'relu', classes: 2 }) : new LogisticRegression();
const t0 = performance.now();
const r = await model.fit(gpu, loader, {
  epochs,
  optimizer: 'adam',
  learningRate: kind === 'mlp' ? 1e-3 : 1e-2,
  seed: 1,

  validation: { x: hx, y: hy, cols: hx.length / hy.length },
  earlyStopping: { metric: 'accuracy', patience: epochs, restoreBest: false },
});
const totalMs = performance.now() - t0;
gpu.destroy();
reportAndExit({ kind, rows: r.rowsPerEpoch, epochMs: r.history.map((h) => h.ms), valAcc: r.history.map((h) => h.validation), loss: r.history.map((h) => h.loss), totalMs });
