import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, isFiniteNumber, type RobustScaleSpec } from './spec.js';

/**
 * Robust scaler: y = (x − median) / (q_hi − q_lo), the quantiles (default the 25th and 75th
 * percentiles) from a KLL sketch (Karnin–Lang–Liberty 2016), exact — NumPy's linear interpolation,
 * as scikit-learn's `RobustScaler` — while the sketch has not compacted (n ≤ about 3k at k = 200).
 * IQR 0 → scale 1.
 */
export const robustScaler: TransformDef<RobustScaleSpec> = {
  type: 'robustScale',
  input: 'numeric',
  stateful: () => true,
  terminal: false,
  affine: true,
  validate(spec, w) {
    checkKeys(spec, ['quantileRange', 'withCentering', 'withScaling', 'k'], w);
    const r = spec.quantileRange;
    if (r !== undefined && !(Array.isArray(r) && r.length === 2 && isFiniteNumber(r[0]) && isFiniteNumber(r[1]) && r[0] >= 0 && r[0] < r[1] && r[1] <= 100)) {
      bad(w, `quantileRange must be [lo, hi] percentiles with 0 ≤ lo < hi ≤ 100, got ${JSON.stringify(r)}`);
    }
    for (const k of ['withCentering', 'withScaling'] as const) if (spec[k] !== undefined && typeof spec[k] !== 'boolean') bad(w, `${k} must be a boolean`);
    if (spec.k !== undefined && !(Number.isInteger(spec.k) && spec.k >= 8 && spec.k <= 65535)) bad(w, `k must be an integer in [8, 65535], got ${spec.k}`);
  },
  needs: (spec) => ({ kll: spec.k ?? 200 }),
  finalize(spec, obs, w) {
    const kll = obs?.kll;
    if (!kll || kll.n === 0) throw new FeatureError('NOT_FITTED', `${at(w)}: saw no values to fit`, w);
    const [lo, hi] = spec.quantileRange ?? [25, 75];
    const [q1, med, q3] = kll.quantiles([lo / 100, 0.5, hi / 100]);
    let iqr = q3 - q1;
    if (spec.withScaling === false || iqr < 10 * Number.EPSILON) iqr = 1;
    return { op: 'affine', center: spec.withCentering === false ? 0 : med, scale: iqr, offset: 0 };
  },
};
