import { FeatureError } from '../errors.js';
import { bucketizer } from './bucketizer.js';
import { clip } from './clip.js';
import type { TransformDef } from './def.js';
import { hasher } from './hasher.js';
import { imputer } from './imputer.js';
import { indexer } from './indexer.js';
import { log1p } from './log1p.js';
import { minMaxScaler } from './min-max-scaler.js';
import { oneHot } from './one-hot.js';
import { robustScaler } from './robust-scaler.js';
import { TRANSFORM_TYPES, at, type TransformSpec, type Where } from './spec.js';
import { standardScaler } from './standard-scaler.js';

const DEFS: Record<string, TransformDef<never>> = {
  standardScale: standardScaler,
  minMaxScale: minMaxScaler,
  robustScale: robustScaler,
  impute: imputer,
  clip,
  log1p,
  bucketize: bucketizer,
  oneHot,
  hash: hasher,
  index: indexer,
} as unknown as Record<string, TransformDef<never>>;

/** The definition of a transform spec, validated; BAD_OPTION names the column and the transform. */
export function defOf(spec: TransformSpec, w: Where = {}): TransformDef<TransformSpec> {
  if (!spec || typeof spec !== 'object') throw new FeatureError('BAD_OPTION', `${at(w)}: a transform must be an object like { type: 'standardScale' }, got ${JSON.stringify(spec)}`, w);
  const def = DEFS[(spec as { type: string }).type] as unknown as TransformDef<TransformSpec> | undefined;
  if (!def) {
    throw new FeatureError('BAD_OPTION', `${at(w)}: unknown transform type ${JSON.stringify((spec as { type: unknown }).type)} (allowed: ${TRANSFORM_TYPES.join(', ')})`, w);
  }
  def.validate(spec, { ...w, transform: def.type });
  return def;
}
