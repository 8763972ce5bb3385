import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, isFiniteNumber, type MinMaxScaleSpec } from './spec.js';

/**
 * Min-max scaler: y = (x − min) / (max − min) · (hi − lo) + lo, min and max streamed exactly
 * (scikit-learn `MinMaxScaler(feature_range=(lo, hi))`); max = min → the range counts as 1.
 */
export const minMaxScaler: TransformDef<MinMaxScaleSpec> = {
  type: 'minMaxScale',
  input: 'numeric',
  stateful: () => true,
  terminal: false,
  affine: true,
  validate(spec, w) {
    checkKeys(spec, ['range'], w);
    const r = spec.range;
    if (r !== undefined && !(Array.isArray(r) && r.length === 2 && isFiniteNumber(r[0]) && isFiniteNumber(r[1]) && r[0] < r[1])) {
      bad(w, `range must be [lo, hi] with finite lo < hi, got ${JSON.stringify(r)}`);
    }
  },
  needs: () => ({}),
  finalize(spec, obs, w) {
    const s = obs?.stats;
    if (!s || s.n === 0) throw new FeatureError('NOT_FITTED', `${at(w)}: saw no values to fit`, w);
    const [lo, hi] = spec.range ?? [0, 1];
    let range = s.max - s.min;
    if (range < 10 * Number.EPSILON) range = 1;
    return { op: 'affine', center: s.min, scale: range / (hi - lo), offset: lo };
  },
};
