import type { TransformDef } from './def.js';
import { bad, checkKeys, type HashSpec } from './spec.js';

/**
 * Feature hasher (Weinberger et al. 2009, "Feature hashing for large scale multitask learning"),
 * scikit-learn's `FeatureHasher` convention: h = MurmurHash3_x86_32(utf8(s), seed 0) read as a
 * signed int32, column |h| mod nFeatures, value +1 if h ≥ 0 else −1 (`alternateSign`, default
 * true). s = the value (input_type='string') or `column=value` (`input: 'pair'`, input_type='dict').
 * Stateless. Terminal.
 */
export const hasher: TransformDef<HashSpec> = {
  type: 'hash',
  input: 'categorical',
  stateful: () => false,
  terminal: true,
  affine: false,
  validate(spec, w) {
    checkKeys(spec, ['nFeatures', 'alternateSign', 'input'], w);
    if (!(Number.isInteger(spec.nFeatures) && spec.nFeatures >= 1 && spec.nFeatures <= 1 << 20)) bad(w, `nFeatures must be an integer in [1, 2^20], got ${JSON.stringify(spec.nFeatures)}`);
    if (spec.alternateSign !== undefined && typeof spec.alternateSign !== 'boolean') bad(w, 'alternateSign must be a boolean');
    if (spec.input !== undefined && spec.input !== 'value' && spec.input !== 'pair') bad(w, `input must be 'value' or 'pair', got ${JSON.stringify(spec.input)}`);
  },
  needs: () => ({}),
  finalize: (spec) => ({ op: 'hash', nFeatures: spec.nFeatures, alternateSign: spec.alternateSign ?? true, input: spec.input ?? 'value' }),
};
