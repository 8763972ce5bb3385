// A transform module for the worker tests: the factory gets its options in each thread.
import { Batch } from '../src/batch.js';

export function scale(options: { factor: number }) {
  return (b: Batch) => {
    const x = b.x.map((v) => v * options.factor);
    return new Batch({ x, y: b.y, n: b.n, featureNames: b.featureNames, label: b.label, columns: b.columns, epoch: b.epoch, index: b.index });
  };
}

export function fail(options: { afterBatches: number }) {
  let k = 0;
  return (b: Batch) => {
    if (++k > options.afterBatches) throw new Error(`transform failed on purpose after ${options.afterBatches} batches`);
    return b;
  };
}

export function crash() {
  return () => {
    process.exit(3);
  };
}

/** Appends `extra` columns of ones (a transform that changes the width of x). */
export function widen(options: { extra: number }) {
  return (b: Batch) => {
    const d = b.d + options.extra;
    const x = new Float32Array(b.n * d).fill(1);
    for (let i = 0; i < b.n; i++) x.set(b.x.subarray(i * b.d, (i + 1) * b.d), i * d);
    const names = [...b.featureNames, ...Array.from({ length: options.extra }, (_, j) => `one${j}`)];
    return new Batch({ x, y: b.y, n: b.n, featureNames: names, label: b.label, columns: b.columns, epoch: b.epoch, index: b.index });
  };
}

/**
 * Widens only the batches whose first label is a multiple of `every` (decided by content, so
 * that every thread decides alike): batches of two shapes, so that workers hand some over by
 * slot and some by message.
 */
export function widenSome(options: { extra: number; every: number }) {
  const w = widen(options);
  return (b: Batch) => (Math.round(b.y[0]) % options.every === 0 ? w(b) : b);
}
