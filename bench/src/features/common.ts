/** The benchmark's data set and pipeline: 32 columns (28 numeric, 4 categorical), streamed as Arrow IPC. */
import { mulberry32 } from '../lib/rng.js';
import { arrow, arrowSource, writeArrow, type Source } from '@gantry/data';
import type { ColumnSpec } from '@gantry/features';

export const NUMERIC = 28;
export const CATEGORICAL = 4;
export const BATCH = 65_536;

const rng = mulberry32;

/** One batch of rows [start, start + n): deterministic per row range. */
export function makeBatch(start: number, n: number, seed = 1): Record<string, Float32Array | string[]> {
  const r = rng(seed * 1_000_003 + start);
  const cols: Record<string, Float32Array | string[]> = {};
  for (let j = 0; j < NUMERIC; j++) {
    const a = new Float32Array(n);
    const loc = j * 10;
    for (let i = 0; i < n; i++) {
      if (j % 4 === 3 && r() < 0.05) a[i] = NaN;
      else {
        const u = Math.max(r(), 1e-12);
        const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(6.283185307179586 * r());
        a[i] = j % 4 === 1 ? Math.exp(z) : loc + (1 + j) * z;
      }
    }
    cols[`n${j}`] = a;
  }
  for (let j = 0; j < CATEGORICAL; j++) {
    const card = [12, 200, 5000, 50][j];
    const s: string[] = new Array(n);
    for (let i = 0; i < n; i++) s[i] = `v${Math.floor(card * r() * r())}`;
    cols[`c${j}`] = s;
  }
  return cols;
}

export const SPEC: ColumnSpec[] = [
  ...Array.from({ length: NUMERIC }, (_, j): ColumnSpec => {
    const column = `n${j}`;
    switch (j % 4) {
      case 0:
        return { column, transforms: [{ type: 'standardScale' }] };
      case 1:
        return { column, transforms: [{ type: 'log1p' }, { type: 'robustScale' }] };
      case 2:
        return { column, transforms: [{ type: 'minMaxScale' }, { type: 'clip', min: 0.05, max: 0.95 }] };
      default:
        return { column, transforms: [{ type: 'impute', strategy: 'median' }, { type: 'bucketize', buckets: 16 }] };
    }
  }),
  { column: 'c0', transforms: [{ type: 'oneHot', topK: 8 }] },
  { column: 'c1', transforms: [{ type: 'oneHot', topK: 16 }] },
  { column: 'c2', transforms: [{ type: 'hash', nFeatures: 32 }] },
  { column: 'c3', transforms: [{ type: 'index' }] },
];

/** Writes `rows` rows as an Arrow IPC file (Utf8 strings) with @gantry/data, batch by batch. */
export async function writeData(path: string, rows: number): Promise<void> {
  async function* gen(): AsyncGenerator<arrow.RecordBatch> {
    for (let s = 0; s < rows; s += BATCH) {
      const cols = makeBatch(s, Math.min(BATCH, rows - s));
      const vecs: Record<string, arrow.Vector> = {};
      // plain Utf8 strings: an IPC file cannot replace a dictionary from one batch to the next
      for (const [k, v] of Object.entries(cols)) vecs[k] = v instanceof Float32Array ? arrow.makeVector(v) : arrow.vectorFromArray(v, new arrow.Utf8());
      yield* new arrow.Table(vecs).batches;
    }
  }
  await writeArrow(path, gen());
}

/** The file as a @gantry/data source: its record batches are streamed (constant memory). */
export function readData(path: string): Source {
  return arrowSource(path);
}
