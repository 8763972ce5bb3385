import { FeatureError } from '../errors.js';
import type { TransformDef } from './def.js';
import { at, bad, checkKeys, isFiniteNumber, type BucketizeSpec } from './spec.js';

/**
 * Quantile bucketizer: bucket = number of boundaries ≤ x (NumPy `digitize(x, boundaries)`), the
 * boundaries being the i/buckets quantiles (i = 1..buckets−1) of a KLL sketch, deduplicated, or
 * given. Boundaries are rounded to float32 so that the CPU path and the WGSL kernel compare float32
 * inputs against the same thresholds. Terminal.
 */
export const bucketizer: TransformDef<BucketizeSpec> = {
  type: 'bucketize',
  input: 'numeric',
  stateful: (spec) => spec.boundaries === undefined,
  terminal: true,
  affine: false,
  validate(spec, w) {
    checkKeys(spec, ['buckets', 'boundaries', 'k'], w);
    if ((spec.buckets === undefined) === (spec.boundaries === undefined)) bad(w, 'give either buckets (quantile buckets, fitted) or boundaries (fixed)');
    if (spec.buckets !== undefined && !(Number.isInteger(spec.buckets) && spec.buckets >= 2 && spec.buckets <= 1024)) bad(w, `buckets must be an integer in [2, 1024], got ${JSON.stringify(spec.buckets)}`);
    const b = spec.boundaries;
    if (b !== undefined && !(Array.isArray(b) && b.length >= 1 && b.length <= 1023 && b.every(isFiniteNumber) && b.every((x, i) => i === 0 || x > b[i - 1]))) {
      bad(w, `boundaries must be 1 to 1023 finite, strictly increasing numbers, got ${JSON.stringify(b)}`);
    }
    if (spec.k !== undefined && !(Number.isInteger(spec.k) && spec.k >= 8 && spec.k <= 65535)) bad(w, `k must be an integer in [8, 65535], got ${spec.k}`);
  },
  needs: (spec) => (spec.boundaries === undefined ? { kll: spec.k ?? 200 } : {}),
  finalize(spec, obs, w) {
    if (spec.boundaries) return { op: 'bucketize', boundaries: spec.boundaries.map(Math.fround) };
    const kll = obs?.kll;
    if (!kll || kll.n === 0) throw new FeatureError('NOT_FITTED', `${at(w)}: saw no values to fit`, w);
    const nb = spec.buckets as number;
    const qs = kll.quantiles(Array.from({ length: nb - 1 }, (_, i) => (i + 1) / nb)).map(Math.fround);
    const out: number[] = [];
    for (const q of qs) if (out.length === 0 || q > out[out.length - 1]) out.push(q);
    return { op: 'bucketize', boundaries: out };
  },
};
