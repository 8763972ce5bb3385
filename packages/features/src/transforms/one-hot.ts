import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, type OneHotSpec } from './spec.js';

/**
 * One-hot encoder: one column per category for the `topK` (default 20) most frequent categories
 * (exact counts up to `maxExact` distinct values, then Count-Min heavy hitters; at a tie the larger
 * value is kept, as scikit-learn),
 * in sorted order as scikit-learn's `OneHotEncoder`, then one 'other' column taking every other
 * value — unseen at serve time and missing ones included (scikit-learn's
 * `handle_unknown='infrequent_if_exist'` with `max_categories = topK + 1`). Terminal.
 */
export const oneHot: TransformDef<OneHotSpec> = {
  type: 'oneHot',
  input: 'categorical',
  stateful: () => true,
  terminal: true,
  affine: false,
  validate(spec, w) {
    checkKeys(spec, ['topK', 'maxExact'], w);
    if (spec.topK !== undefined && !(Number.isInteger(spec.topK) && spec.topK >= 1 && spec.topK <= 4096)) bad(w, `topK must be an integer in [1, 4096], got ${JSON.stringify(spec.topK)}`);
    if (spec.maxExact !== undefined && !(Number.isInteger(spec.maxExact) && spec.maxExact >= 1)) bad(w, `maxExact must be a positive integer, got ${JSON.stringify(spec.maxExact)}`);
  },
  needs: (spec) => ({ freq: { topK: Math.max(4 * (spec.topK ?? 20), 64), maxExact: spec.maxExact ?? 10_000 } }),
  finalize(spec, obs, w) {
    const f = obs?.freq;
    if (!f || f.total === 0) throw new FeatureError('NOT_FITTED', `${at(w)}: saw no values to fit`, w);
    // ties at the cut are broken as scikit-learn does (a stable ascending sort over the sorted
    // categories marks the smaller ones infrequent first): the larger value is kept
    const cand = f.top(f.topK).sort((a, b) => b.count - a.count || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const cats = cand.slice(0, spec.topK ?? 20).map((t) => t.key);
    return { op: 'oneHot', categories: cats.sort() };
  },
};
