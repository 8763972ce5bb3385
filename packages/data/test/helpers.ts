import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float32, Int32, RecordBatch, Schema, Struct, makeData } from 'apache-arrow';
import type { Batch, DataLoader } from '../src/index.js';

export function tempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-data-'));
  return { dir, path: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A record batch with an `id` column 0..n-1 (offset by `start`) and `d` feature columns f_j = id * 10 + j. */
export function idBatch(start: number, n: number, d = 3): RecordBatch {
  const fields = [new Field('id', new Int32(), false), ...Array.from({ length: d }, (_, j) => new Field(`f${j}`, new Float32(), false))];
  const id = Int32Array.from({ length: n }, (_, i) => start + i);
  const children = [makeData({ type: new Int32(), length: n, data: id })];
  for (let j = 0; j < d; j++) children.push(makeData({ type: new Float32(), length: n, data: Float32Array.from({ length: n }, (_, i) => (start + i) * 10 + j) }) as never);
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, children, nullCount: 0 }));
}

export function* idBatches(total: number, per: number, d = 3): Generator<RecordBatch> {
  for (let s = 0; s < total; s += per) yield idBatch(s, Math.min(per, total - s), d);
}

/** Collects every batch of a loader. */
export async function collect(loader: DataLoader): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

/** The label values (ids) of all batches, in order. */
export function ids(batches: Batch[]): number[] {
  const out: number[] = [];
  for (const b of batches) for (let i = 0; i < b.n; i++) out.push(b.y[i]);
  return out;
}

export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}
