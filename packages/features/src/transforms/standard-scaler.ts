import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, type StandardScaleSpec } from './spec.js';

/**
 * Standard scaler: y = (x − μ) / σ with μ, σ² the mean and population variance from Welford's
 * streaming update (merged across shards with Chan et al.'s formula). σ below 10·ε → scale 1, as
 * scikit-learn's `StandardScaler` (`_handle_zeros_in_scale`). `withMean: false` → μ = 0;
 * `withStd: false` → σ = 1.
 */
export const standardScaler: TransformDef<StandardScaleSpec> = {
  type: 'standardScale',
  input: 'numeric',
  stateful: () => true,
  terminal: false,
  affine: true,
  validate(spec, w) {
    checkKeys(spec, ['withMean', 'withStd'], w);
    for (const k of ['withMean', 'withStd'] as const) if (spec[k] !== undefined && typeof spec[k] !== 'boolean') bad(w, `${k} must be a boolean`);
  },
  needs: () => ({}),
  finalize(spec, obs, w) {
    const s = obs?.stats;
    if (!s || s.n === 0) throw new FeatureError('NOT_FITTED', `${at(w)}: saw no values to fit`, w);
    const std = Math.sqrt(s.variance);
    return { op: 'affine', center: spec.withMean === false ? 0 : s.mean, scale: spec.withStd === false || std < 10 * Number.EPSILON ? 1 : std, offset: 0 };
  },
};
