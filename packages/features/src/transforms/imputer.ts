import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, isFiniteNumber, type ImputeSpec } from './spec.js';

const STRATEGIES = ['mean', 'median', 'mostFrequent', 'constant'];

/**
 * Imputer: missing values (null, NaN) → the mean (Welford), the median (KLL), the most frequent
 * value (exact counts, Count-Min beyond `maxExact` distinct values; ties → the smallest, as
 * scikit-learn's `SimpleImputer`) or a constant. On a categorical column only 'mostFrequent' and
 * 'constant' (a string) apply.
 */
export const imputer: TransformDef<ImputeSpec> = {
  type: 'impute',
  input: 'either',
  stateful: (spec) => spec.strategy !== 'constant',
  terminal: false,
  affine: false,
  validate(spec, w) {
    checkKeys(spec, ['strategy', 'value', 'k'], w);
    if (!STRATEGIES.includes(spec.strategy)) bad(w, `strategy must be one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(spec.strategy)}`);
    if (spec.strategy === 'constant' && !(isFiniteNumber(spec.value) || typeof spec.value === 'string')) bad(w, `strategy 'constant' needs a finite number or a string value, got ${JSON.stringify(spec.value)}`);
    if (spec.strategy !== 'constant' && spec.value !== undefined) bad(w, `value is only for strategy 'constant'`);
    if (spec.k !== undefined && !(Number.isInteger(spec.k) && spec.k >= 8 && spec.k <= 65535)) bad(w, `k must be an integer in [8, 65535], got ${spec.k}`);
  },
  needs: (spec) => (spec.strategy === 'median' ? { kll: spec.k ?? 200 } : spec.strategy === 'mostFrequent' ? { freq: { topK: 64, maxExact: 10_000 } } : {}),
  finalize(spec, obs, w, kind) {
    if (kind === 'categorical' && (spec.strategy === 'mean' || spec.strategy === 'median')) bad(w, `strategy '${spec.strategy}' needs a numeric column; a categorical column takes 'mostFrequent' or 'constant'`);
    if (kind === 'numeric' && typeof spec.value === 'string') bad(w, `a numeric column needs a numeric constant, got ${JSON.stringify(spec.value)}`);
    if (spec.strategy === 'constant') return kind === 'categorical' ? { op: 'imputeCategory', value: String(spec.value) } : { op: 'impute', value: spec.value as number };
    const empty = () => new FeatureError('NOT_FITTED', `${at(w)}: strategy '${spec.strategy}' saw no non-missing values to fit`, w);
    if (spec.strategy === 'mean') {
      if (!obs || obs.stats.n === 0) throw empty();
      return { op: 'impute', value: obs.stats.mean };
    }
    if (spec.strategy === 'median') {
      if (!obs?.kll || obs.kll.n === 0) throw empty();
      return { op: 'impute', value: obs.kll.quantile(0.5) };
    }
    const f = obs?.freq;
    if (!f || f.total === 0) throw empty();
    const top = f.top(64);
    const best = top[0].count;
    const ties = top.filter((t) => t.count === best).map((t) => t.key);
    if (kind === 'categorical') return { op: 'imputeCategory', value: ties.sort()[0] };
    return { op: 'impute', value: Math.min(...ties.map(Number)) };
  },
};
