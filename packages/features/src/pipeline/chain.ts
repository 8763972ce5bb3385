import { categoricalValues, type ColumnData } from '../columns.js';
import { FeatureError } from '../errors.js';
import { FrequentItems, type FrequentItemsState } from '../sketches/frequent.js';
import { KllSketch, type KllState } from '../sketches/kll.js';
import { RunningStats, type RunningStatsState } from '../stats/welford.js';
import { applyNumericStep } from '../transforms/apply.js';
import type { Observations, TransformDef } from '../transforms/def.js';
import { defOf } from '../transforms/registry.js';
import type { CategoricalStep, FittedStep, NumericStep, TransformSpec } from '../transforms/spec.js';

/** One declared column of a pipeline: an input column and its chain of transforms. */
export interface ColumnSpec {
  column: string;
  transforms?: TransformSpec[];
  /** Output name (numeric chains) or prefix (categorical); default: the column name. */
  name?: string;
}

export type ChainKind = 'numeric' | 'categorical';

/** A validated column chain: its kind and each transform's definition. */
export interface Chain {
  column: string;
  name: string;
  kind: ChainKind;
  specs: TransformSpec[];
  defs: TransformDef<TransformSpec>[];
  stateful: boolean[];
}

/**
 * Validates a column chain. The rules that make a one-pass fit exact:
 * - a chain is numeric or categorical (oneHot / index / hash) — never both;
 * - bucketize, oneHot, index and hash come last;
 * - after a fitted scaler, a stateless step (clip, log1p) may only be followed by stateless steps:
 *   a transform fitted after a scaler sees the scaler pushed through its statistics (an affine
 *   map: exact for moments, min/max and quantiles), which a non-linear step in between would break.
 */
export function validateChain(spec: ColumnSpec, index: number): Chain {
  if (!spec || typeof spec !== 'object' || typeof spec.column !== 'string' || spec.column === '') {
    throw new FeatureError('BAD_OPTION', `FeaturePipeline: columns[${index}] must be { column: string, transforms: [...] }, got ${JSON.stringify(spec)}`);
  }
  const column = spec.column;
  for (const k of Object.keys(spec)) if (!['column', 'transforms', 'name'].includes(k)) throw new FeatureError('BAD_OPTION', `column '${column}': unknown key '${k}' (allowed: column, transforms, name)`, { column });
  if (spec.transforms !== undefined && !Array.isArray(spec.transforms)) throw new FeatureError('BAD_OPTION', `column '${column}': transforms must be an array`, { column });
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name === '')) throw new FeatureError('BAD_OPTION', `column '${column}': name must be a non-empty string`, { column });
  const specs = (spec.transforms ?? []).map((t) => ({ ...t }) as TransformSpec);
  const defs = specs.map((t) => defOf(t, { column }));
  const kinds = new Set(defs.map((d) => d.input).filter((k) => k !== 'either'));
  if (kinds.size > 1) {
    const num = defs.find((d) => d.input === 'numeric')?.type;
    const cat = defs.find((d) => d.input === 'categorical')?.type;
    throw new FeatureError('BAD_OPTION', `column '${column}': transform '${num}' takes numbers but '${cat}' takes categories; declare the column twice (with different names) to do both`, { column, transform: cat });
  }
  const kind: ChainKind = kinds.has('categorical') ? 'categorical' : 'numeric';
  let sawAffine = false;
  let statelessAfterAffine: string | undefined;
  defs.forEach((d, i) => {
    const w = { column, transform: d.type };
    if (d.terminal && i !== defs.length - 1) throw new FeatureError('BAD_OPTION', `column '${column}': transform '${d.type}' must be the last of its column (it is followed by '${defs[i + 1].type}')`, w);
    if (d.stateful(specs[i] as never) && statelessAfterAffine) {
      throw new FeatureError('BAD_OPTION', `column '${column}': transform '${d.type}' cannot be fitted in one pass after a scaler followed by '${statelessAfterAffine}'; move '${statelessAfterAffine}' before the scaler or after '${d.type}'`, w);
    }
    if (d.affine) sawAffine = true;
    else if (sawAffine && !d.stateful(specs[i] as never)) statelessAfterAffine = d.type;
    if (kind === 'numeric' && d.type === 'impute' && typeof (specs[i] as { value?: unknown }).value === 'string') {
      throw new FeatureError('BAD_OPTION', `column '${column}': transform 'impute' on a numeric chain needs a numeric constant, got ${JSON.stringify((specs[i] as { value?: unknown }).value)}`, w);
    }
    if (kind === 'categorical' && d.type === 'impute') {
      const st = (specs[i] as { strategy: string }).strategy;
      if (st === 'mean' || st === 'median') throw new FeatureError('BAD_OPTION', `column '${column}': transform 'impute' strategy '${st}' needs numbers; a categorical chain takes 'mostFrequent' or 'constant'`, w);
    }
  });
  return { column, name: spec.name ?? column, kind, specs, defs, stateful: defs.map((d, i) => d.stateful(specs[i] as never)) };
}

/** What one stateful transform observes. */
class Observer {
  stats = new RunningStats();
  kll?: KllSketch;
  freq?: FrequentItems;
  constructor(def: TransformDef<TransformSpec>, spec: TransformSpec) {
    const needs = def.needs(spec);
    if (needs.kll) this.kll = new KllSketch({ k: needs.kll });
    if (needs.freq) this.freq = new FrequentItems(needs.freq);
  }
}

/** Serialised state of a {@link ChainFitter} (per stateful transform). */
export type ChainFitterState = ({ stats: RunningStatsState; kll?: KllState; freq?: FrequentItemsState } | null)[];

/**
 * Fits one column chain in one streaming pass. Each stateful transform observes its input as the
 * stateless steps before it make it (clip, log1p; an impute leaves missing values missing); at
 * `finalize`, the upstream fitted scalers are pushed through its statistics (affine maps) and the
 * values an upstream impute fills in are added (`count` copies of the filled value, exactly).
 */
export class ChainFitter {
  readonly chain: Chain;
  private obs: (Observer | null)[];
  private stateless: (NumericStep | null)[];

  constructor(chain: Chain) {
    this.chain = chain;
    this.obs = chain.defs.map((d, i) => (chain.stateful[i] ? new Observer(d, chain.specs[i]) : null));
    this.stateless = chain.defs.map((d, i) => (chain.stateful[i] || chain.kind !== 'numeric' ? null : (d.finalize(chain.specs[i], undefined, { column: chain.column, transform: d.type }, 'numeric') as NumericStep)));
  }

  update(col: ColumnData, rowOffset = 0): void {
    const { chain } = this;
    if (chain.kind === 'categorical') {
      const vals = categoricalValues(col);
      let nulls = 0;
      for (let i = 0; i < vals.length; i++) if (vals[i] === null) nulls++;
      for (const o of this.obs) {
        if (!o) continue;
        o.stats.nulls += nulls;
        o.stats.n += vals.length - nulls;
        o.freq?.update(vals);
      }
      return;
    }
    const x = col.values as Float64Array;
    const first = chain.specs[0]?.type ?? 'identity';
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v === Infinity || v === -Infinity) {
        throw new FeatureError('NON_FINITE', `column '${chain.column}': row ${rowOffset + i} is ${v}; transform '${first}' needs finite values (missing ones are null or NaN)`, { column: chain.column, transform: first });
      }
    }
    let afterAffine = false;
    for (let s = 0; s < chain.defs.length; s++) {
      const o = this.obs[s];
      if (o) {
        o.stats.update(x);
        o.kll?.update(x);
        o.freq?.update(x);
      } else if (!afterAffine) {
        applyNumericStep(this.stateless[s] as NumericStep, chain.defs[s].type, x, chain.column, rowOffset);
      }
      if (chain.defs[s].affine) afterAffine = true;
    }
  }

  merge(other: ChainFitter): void {
    this.obs.forEach((o, i) => {
      const p = other.obs[i];
      if (!o || !p) return;
      o.stats.merge(p.stats);
      if (o.kll && p.kll) o.kll.merge(p.kll);
      if (o.freq && p.freq) o.freq.merge(p.freq);
    });
  }

  toJSON(): ChainFitterState {
    return this.obs.map((o) => (o ? { stats: o.stats.toJSON(), ...(o.kll ? { kll: o.kll.toJSON() } : {}), ...(o.freq ? { freq: o.freq.toJSON() } : {}) } : null));
  }

  loadState(s: ChainFitterState): void {
    if (!Array.isArray(s) || s.length !== this.obs.length) throw new FeatureError('BAD_STATE', `column '${this.chain.column}': fitter state has ${s?.length} transforms, expected ${this.obs.length}`, { column: this.chain.column });
    this.obs.forEach((o, i) => {
      const st = s[i];
      if (!o || !st) return;
      o.stats = RunningStats.fromJSON(st.stats);
      if (st.kll) o.kll = KllSketch.fromJSON(st.kll);
      if (st.freq) o.freq = FrequentItems.fromJSON(st.freq);
    });
  }

  /** The fitted steps of the chain. */
  finalize(): FittedStep[] {
    const { chain } = this;
    const steps: FittedStep[] = [];
    let a = 1;
    let b = 0;
    let affine = false;
    let imputed = false;
    for (let s = 0; s < chain.defs.length; s++) {
      const def = chain.defs[s];
      const w = { column: chain.column, transform: def.type };
      const o = this.obs[s];
      let step: FittedStep;
      if (!o) step = def.finalize(chain.specs[s], undefined, w, chain.kind);
      else {
        const obs: Observations = { stats: affine ? o.stats.affine(a, b) : o.stats.clone() };
        const fa = a;
        const fb = b;
        if (o.kll) obs.kll = affine ? o.kll.mapMonotone((x) => fa * x + fb) : KllSketch.fromJSON(o.kll.toJSON());
        if (o.freq) obs.freq = affine && chain.kind === 'numeric' ? remapKeys(o.freq, (x) => fa * x + fb) : FrequentItems.fromJSON(o.freq.toJSON());
        const nulls = o.stats.nulls;
        if (imputed && nulls > 0) {
          const fill = fillValue(steps, chain);
          if (typeof fill === 'number') {
            obs.stats.updateRepeated(fill, nulls);
            obs.kll?.addRepeated(fill, nulls);
            obs.freq?.add(String(fill), nulls);
          } else {
            obs.stats.n += nulls;
            obs.freq?.add(fill, nulls);
          }
          obs.stats.nulls = 0;
        }
        step = def.finalize(chain.specs[s], obs, w, chain.kind);
      }
      if (step.op === 'affine') {
        // y = (a·x + b − center) / scale + offset
        a = a / step.scale;
        b = (b - step.center) / step.scale + step.offset;
        affine = true;
      }
      if (step.op === 'impute' || step.op === 'imputeCategory') imputed = true;
      steps.push(step);
    }
    return steps;
  }
}

/** The value a missing input takes after `steps` (which include an impute). */
function fillValue(steps: FittedStep[], chain: Chain): number | string {
  if (chain.kind === 'categorical') {
    const s = steps.find((t) => t.op === 'imputeCategory') as Extract<CategoricalStep, { op: 'imputeCategory' }>;
    return s.value;
  }
  const x = Float64Array.of(NaN);
  steps.forEach((st, i) => applyNumericStep(st as NumericStep, chain.defs[i].type, x, chain.column));
  return x[0];
}

function remapKeys(f: FrequentItems, map: (x: number) => number): FrequentItems {
  const out = new FrequentItems({ maxExact: f.maxExact, topK: f.topK, epsilon: f.epsilon });
  const entries = f.isExact ? (f.toJSON().exact ?? []) : f.top(f.topK).map((t) => [t.key, t.count] as [string, number]);
  for (const [k, c] of entries) out.add(String(map(Number(k))), c);
  return out;
}
