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
