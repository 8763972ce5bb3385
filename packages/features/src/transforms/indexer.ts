import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, type IndexSpec } from './spec.js';

/**
 * Categorical-to-index encoder (Spark's `StringIndexer`, order 'frequencyDesc'): the `topK`
 * (default 1000) most frequent categories get 0, 1, ... by descending frequency (ties by value);
 * any other value — unseen or missing — gets the number of categories. Terminal.
 */
export const indexer: TransformDef<IndexSpec> = {
  type: 'index',
  input: 'categorical',
  stateful: () => true,
  terminal: true,
  affine: false,
  validate(spec, w) {
    checkKeys(spec, ['topK', 'maxExact'], w);
    if (spec.topK !== undefined && !(Number.isInteger(spec.topK) && spec.topK >= 1 && spec.topK <= 1 << 20)) bad(w, `topK must be an integer in [1, 2^20], got ${JSON.stringify(spec.topK)}`);
    if (spec.maxExact !== undefined && !(Number.isInteger(spec.maxExact) && spec.maxExact >= 1)) bad(w, `maxExact must be a positive integer, got ${JSON.stringify(spec.maxExact)}`);
  },
  needs: (spec) => ({ freq: { topK: Math.max(spec.topK ?? 1000, 64), maxExact: Math.max(spec.maxExact ?? 10_000, spec.topK ?? 1000) } }),
  finalize(spec, obs, w) {
    const f = obs?.freq;
    if (!f || f.total === 0) throw new FeatureError('NOT_FITTED', `${at(w)}: saw no values to fit`, w);
    return { op: 'index', categories: f.top(spec.topK ?? 1000).map((t) => t.key) };
  },
};
