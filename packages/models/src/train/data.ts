import { ModelError } from '../errors.js';
import { Rng } from '../rng.js';

/** In-memory training data: rows × cols features (row-major) and one label per row. */
export interface ArrayData {
  /** Row-major [rows, cols] values, or one array per row. */
  x: Float32Array | ArrayLike<number> | ArrayLike<number>[];
  /** One label per row: a value (regression), 0/1 (binary) or a class index (multiclass). */
  y: ArrayLike<number>;
  rows?: number;
  cols?: number;
  featureNames?: string[];
}

/** A stream that takes its batches back for reuse once the consumer is done with them. */
interface Recycling {
  recycle?(b: BatchLike): void;
}

/** A batch as @gantry/data's DataLoader yields it (and anything shaped like it). */
export interface BatchLike {
  x: Float32Array;
  y?: Float32Array;
  n: number;
  featureNames?: string[];
}

/**
 * What `fit` accepts: in-memory arrays, or a stream of batches (a DataLoader, any
 * `AsyncIterable` that can be iterated once per epoch, or a function returning a fresh one).
 */
export type TrainingData = ArrayData | AsyncIterable<BatchLike> | Iterable<BatchLike> | (() => AsyncIterable<BatchLike> | Iterable<BatchLike>);

/** A matrix normalised from any accepted input. */
export interface Matrix {
  x: Float32Array;
  rows: number;
  cols: number;
}

export function isStream(d: unknown): d is AsyncIterable<BatchLike> | Iterable<BatchLike> | (() => AsyncIterable<BatchLike>) {
  if (typeof d === 'function') return true;
  if (!d || typeof d !== 'object') return false;
  return Symbol.asyncIterator in d || (Symbol.iterator in d && !('x' in d));
}

/**
 * Normalises x (a Float32Array, number[] row-major, number[][] or {x, rows, cols}) to a
 * row-major Float32Array of `cols` columns. `field` names the argument in errors.
 */
export function toMatrix(input: unknown, cols: number, field = 'x'): Matrix {
  if (input && typeof input === 'object' && !ArrayBuffer.isView(input) && !Array.isArray(input) && 'x' in input) {
    const o = input as { x: unknown; cols?: number };
    if (o.cols !== undefined && o.cols !== cols) throw new ModelError('SHAPE_MISMATCH', `${field}.cols is ${o.cols} but the model takes ${cols} features`);
    return toMatrix(o.x, cols, `${field}.x`);
  }
  if (!input || typeof (input as ArrayLike<unknown>).length !== 'number') {
    throw new ModelError('BAD_DATA', `${field} must be a Float32Array, an array of numbers or an array of rows, got ${typeof input}`);
  }
  const arr = input as ArrayLike<unknown>;
  if (arr.length > 0 && typeof arr[0] === 'object' && arr[0] !== null) {
    const rows = arr.length;
    const x = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const row = arr[r] as ArrayLike<number>;
      if (!row || row.length !== cols) throw new ModelError('SHAPE_MISMATCH', `${field}[${r}] has ${row?.length} values but the model takes ${cols} features`);
      for (let c = 0; c < cols; c++) x[r * cols + c] = row[c];
    }
    return { x, rows, cols };
  }
  if (arr.length % cols !== 0) throw new ModelError('SHAPE_MISMATCH', `${field} has ${arr.length} values, not a multiple of the model's ${cols} features`);
  const x = arr instanceof Float32Array ? arr : Float32Array.from(arr as ArrayLike<number>);
  return { x, rows: arr.length / cols, cols };
}

/** Infers the width of in-memory data. */
export function arrayCols(d: ArrayData): number {
  if (d.cols !== undefined) return d.cols;
  const first = (d.x as ArrayLike<unknown>)[0];
  if (first && typeof first === 'object') return (first as ArrayLike<number>).length;
  if (d.rows) return d.x.length / d.rows;
  if (d.y && d.y.length > 0) return d.x.length / d.y.length;
  throw new ModelError('BAD_DATA', 'cannot infer the number of columns: pass cols (or rows) with a flat x');
}

/** In-memory data normalised: x, y and their sizes, checked. */
export function normaliseArrays(d: ArrayData, field = 'data'): Matrix & { y: Float32Array; featureNames?: string[] } {
  const cols = arrayCols(d);
  const m = toMatrix(d.x, cols, `${field}.x`);
  if (!d.y || d.y.length !== m.rows) throw new ModelError('SHAPE_MISMATCH', `${field}.y has ${d.y?.length} labels but ${field}.x has ${m.rows} rows`);
  if (d.rows !== undefined && d.rows !== m.rows) throw new ModelError('SHAPE_MISMATCH', `${field}.rows is ${d.rows} but x holds ${m.rows} rows`);
  if (m.rows === 0) throw new ModelError('BAD_DATA', `${field} has no rows`);
  const y = d.y instanceof Float32Array ? d.y : Float32Array.from(d.y);
  return { ...m, y, featureNames: d.featureNames };
}

export interface Batch {
  x: Float32Array;
  y: Float32Array;
  n: number;
}

/**
 * One epoch of batches. In-memory data is shuffled (seeded per epoch) and gathered into
 * reused buffers; a stream is passed through, re-batched to `batchSize` when that is given.
 * Yielded arrays are valid until the next batch.
 */
export async function* epochBatches(
  data: TrainingData,
  cols: number,
  o: { batchSize?: number; shuffle: boolean; seed: number; epoch: number },
): AsyncGenerator<Batch> {
  if (!isStream(data)) {
    const d = normaliseArrays(data as ArrayData);
    if (d.cols !== cols) throw new ModelError('SHAPE_MISMATCH', `data has ${d.cols} columns but the model takes ${cols}`);
    const bs = Math.min(o.batchSize ?? 256, d.rows);
    const order = o.shuffle ? new Rng(o.seed * 1_000_003 + o.epoch).permutation(d.rows) : undefined;
    const xb = new Float32Array(bs * cols);
    const yb = new Float32Array(bs);
    for (let start = 0; start < d.rows; start += bs) {
      const n = Math.min(bs, d.rows - start);
      if (!order) {
        yield { x: d.x.subarray(start * cols, (start + n) * cols), y: d.y.subarray(start, start + n), n };
        continue;
      }
      for (let i = 0; i < n; i++) {
        const r = order[start + i];
        xb.set(d.x.subarray(r * cols, (r + 1) * cols), i * cols);
        yb[i] = d.y[r];
      }
      yield { x: xb.subarray(0, n * cols), y: yb.subarray(0, n), n };
    }
    return;
  }
  const src = typeof data === 'function' ? data() : data;
  // A loader that takes batches back (DataLoader.recycle) refills their arrays: each batch is
  // handed back once the consumer asks for the next, by when fit has uploaded it.
  const recycle = typeof (src as Recycling).recycle === 'function' ? (b: BatchLike) => (src as Recycling).recycle!(b) : undefined;
  const bs = o.batchSize;
  let xb: Float32Array | undefined;
  let yb: Float32Array | undefined;
  let fill = 0;
  let index = 0;
  for await (const b of src as AsyncIterable<BatchLike>) {
    if (!b || !(b.x instanceof Float32Array) || !Number.isInteger(b.n)) throw new ModelError('BAD_DATA', `batch ${index} must have x (Float32Array), y and n`);
    if (b.x.length !== b.n * cols) throw new ModelError('SHAPE_MISMATCH', `batch ${index} has ${b.x.length} values for ${b.n} rows, expected ${cols} columns per row`);
    if (!b.y || b.y.length !== b.n) throw new ModelError('BAD_DATA', `batch ${index} has ${b.y?.length ?? 'no'} labels for ${b.n} rows (did the loader get a label column?)`);
    index++;
    if (b.n === 0) continue;
    if (!bs || (fill === 0 && b.n === bs)) {
      yield { x: b.x, y: b.y, n: b.n };
      recycle?.(b);
      continue;
    }
    xb ??= new Float32Array(bs * cols);
    yb ??= new Float32Array(bs);
    let off = 0;
    while (off < b.n) {
      const take = Math.min(bs - fill, b.n - off);
      xb.set(b.x.subarray(off * cols, (off + take) * cols), fill * cols);
      yb.set(b.y.subarray(off, off + take), fill);
      fill += take;
      off += take;
      if (fill === bs) {
        yield { x: xb, y: yb, n: bs };
        fill = 0;
      }
    }
    recycle?.(b);
  }
  if (fill > 0 && xb && yb) yield { x: xb.subarray(0, fill * cols), y: yb.subarray(0, fill), n: fill };
}

/** Width of a stream: peeks at its first batch (DataLoaders report featureNames too). */
export async function streamCols(data: TrainingData): Promise<{ cols: number; featureNames?: string[] }> {
  // A DataLoader knows its columns without reading (a peek would start its pipeline, and its
  // workers); a transform may change the width, so then it is read.
  const loader = data as { info?: () => Promise<{ featureNames: string[] }>; options?: { transform?: unknown } };
  if (typeof loader.info === 'function' && !loader.options?.transform) {
    const { featureNames } = await loader.info();
    if (featureNames.length > 0) return { cols: featureNames.length, featureNames };
  }
  const src = typeof data === 'function' ? data() : data;
  for await (const b of src as AsyncIterable<BatchLike>) {
    if (!b || !Number.isInteger(b.n) || b.n <= 0 || !b.x) continue;
    return { cols: b.x.length / b.n, featureNames: b.featureNames };
  }
  throw new ModelError('BAD_DATA', 'the training stream yielded no rows');
}
