import type { TransformDef } from './def.js';
import { bad, checkKeys, isFiniteNumber, type ClipSpec } from './spec.js';

/** Clip: y = min(max(x, min), max) with fixed bounds (either may be left out). Stateless. */
export const clip: TransformDef<ClipSpec> = {
  type: 'clip',
  input: 'numeric',
  stateful: () => false,
  terminal: false,
  affine: false,
  validate(spec, w) {
    checkKeys(spec, ['min', 'max'], w);
    if (spec.min === undefined && spec.max === undefined) bad(w, 'give min, max or both');
    if (spec.min !== undefined && !isFiniteNumber(spec.min)) bad(w, `min must be a finite number, got ${JSON.stringify(spec.min)}`);
    if (spec.max !== undefined && !isFiniteNumber(spec.max)) bad(w, `max must be a finite number, got ${JSON.stringify(spec.max)}`);
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) bad(w, `min (${spec.min}) must not exceed max (${spec.max})`);
  },
  needs: () => ({}),
  finalize: (spec) => ({ op: 'clip', min: spec.min ?? null, max: spec.max ?? null }),
};
