import type { TransformDef } from './def.js';
import { checkKeys, type Log1pSpec } from './spec.js';

/** log1p: y = ln(1 + x) (Math.log1p; an accurate series near 0 on the GPU). Needs x > −1. Stateless. */
export const log1p: TransformDef<Log1pSpec> = {
  type: 'log1p',
  input: 'numeric',
  stateful: () => false,
  terminal: false,
  affine: false,
  validate: (spec, w) => checkKeys(spec, [], w),
  needs: () => ({}),
  finalize: () => ({ op: 'log1p' }),
};
