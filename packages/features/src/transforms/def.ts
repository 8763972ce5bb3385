import type { KllSketch } from '../sketches/kll.js';
import type { FrequentItems } from '../sketches/frequent.js';
import type { RunningStats } from '../stats/welford.js';
import type { FittedStep, TransformSpec, Where } from './spec.js';

/**
 * What a stateful transform saw during the fit, expressed in its own input's terms: the column
 * fitter has pushed the upstream fitted scalers through the statistics and added the values an
 * upstream impute fills in.
 */
export interface Observations {
  stats: RunningStats;
  kll?: KllSketch;
  freq?: FrequentItems;
}

/** What a transform needs to observe while fitting. */
export interface Needs {
  kll?: number;
  freq?: { topK: number; maxExact: number };
}

/** The definition of one transform type: its rules, what it observes and how it is fitted. */
export interface TransformDef<S extends TransformSpec = TransformSpec> {
  type: S['type'];
  /** Input it takes: numbers, categories (strings, or numbers keyed by their string), or per spec. */
  input: 'numeric' | 'categorical' | 'either';
  stateful: (spec: S) => boolean;
  /** Must be the last transform of its column (changes the output's meaning or width). */
  terminal: boolean;
  /** Fitted, the transform is y = a·x + b with a > 0 (statistics can be pushed through it). */
  affine: boolean;
  validate(spec: S, w: Where): void;
  needs(spec: S): Needs;
  /** `kind`: the kind of the column's chain (an impute serves either). */
  finalize(spec: S, obs: Observations | undefined, w: Where, kind: 'numeric' | 'categorical'): FittedStep;
}
