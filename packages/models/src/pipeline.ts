import type { NumericPlan } from '@gantry/features';
import { ModelError } from './errors.js';

/**
 * What a model needs from an attached feature pipeline (@gantry/features' fitted
 * `FeaturePipeline` satisfies it): the names and width of its output, the row and batch
 * transforms, its serialised form, and optionally a plain-data description of its numeric
 * steps for ONNX export.
 */
export interface FeaturePipelineLike {
  readonly outputNames: readonly string[];
  readonly outputWidth: number;
  /** One raw row (a JSON object) to `outputWidth` features. */
  transformRow(row: Record<string, unknown>): Float32Array;
  /** Raw rows to a row-major [rows, outputWidth] matrix. */
  transformBatch(rows: Record<string, unknown>[]): Float32Array;
  /** Plain JSON that `fromJSON` turns back into an equal pipeline. */
  toJSON(): unknown;
  /** The numeric part as ONNX-expressible steps; undefined when the pipeline has other steps. */
  numericSteps?(): NumericPipeline | undefined;
}

/**
 * A numeric feature pipeline in plain data: raw numeric inputs (named) go through the steps in
 * order, each mapping a [rows, width] matrix to one of the same width (per column constants).
 */
export interface NumericPipeline {
  inputNames: string[];
  /** The input column of each output column (default: output c is input c). */
  select?: number[];
  steps: NumericStep[];
}

export type NumericStep =
  /** NaN → value[c]. */
  | { kind: 'impute'; values: number[] }
  /** x·scale[c] + shift[c] (standard / min-max scaling). */
  | { kind: 'affine'; scale: number[]; shift: number[] }
  /** (x − center[c]) / scale[c] + offset[c]: @gantry/features' affine step, same operations. */
  | { kind: 'standardize'; center: number[]; scale: number[]; offset: number[] }
  /** min(max(x, min[c]), max[c]). */
  | { kind: 'clip'; min: number[]; max: number[] }
  /** log(1 + x) on the columns where mask[c] is true. */
  | { kind: 'log1p'; mask: boolean[] };

/** Restores a pipeline from its `toJSON()` (for artifacts that carry one). */
export type PipelineFromJSON = (json: unknown) => FeaturePipelineLike | Promise<FeaturePipelineLike>;

/** True for a raw row (a plain object, not an array of numbers). */
export function isRawRows(x: unknown): x is Record<string, unknown>[] {
  return Array.isArray(x) && x.length > 0 && typeof x[0] === 'object' && x[0] !== null && !Array.isArray(x[0]) && !ArrayBuffer.isView(x[0]);
}

export function checkPipeline(p: unknown): FeaturePipelineLike {
  const q = p as FeaturePipelineLike;
  if (!q || typeof q.transformRow !== 'function' || typeof q.transformBatch !== 'function' || typeof q.toJSON !== 'function' || !Number.isInteger(q.outputWidth) || !q.outputNames) {
    throw new ModelError('BAD_OPTION', 'pipeline must be a fitted feature pipeline with outputNames, outputWidth, transformRow, transformBatch and toJSON');
  }
  return q;
}

/** The parts of @gantry/features' fitted `FeaturePipeline` the adapter uses. */
export interface GantryFeaturePipeline {
  readonly outputNames: readonly string[];
  readonly outputWidth: number;
  transformRow(row: Record<string, unknown>): Float32Array;
  toJSON(): unknown;
  numericPlan?(): NumericPlan;
}

/**
 * A fitted pipeline's numeric plan (per output column, a chain of steps on one raw input
 * column) as column-wise steps: the chains are aligned by position, and each position becomes
 * one step per kind found there, identity (NaN fill value, center 0 / scale 1 / offset 0,
 * unbounded clip, no log) on the columns that have another kind there. Undefined when the
 * pipeline has categorical outputs or a step with no column-wise form here (bucketize).
 */
export function numericStepsFromPlan(plan: NumericPlan): NumericPipeline | undefined {
  if (plan.categorical.width > 0 || plan.outputs.length !== plan.width) return undefined;
  const outs = plan.outputs;
  const W = outs.length;
  if (outs.some((o) => o.steps.some((st) => st.op === 'bucketize'))) return undefined;
  const depth = Math.max(0, ...outs.map((o) => o.steps.length));
  const steps: NumericStep[] = [];
  for (let p = 0; p < depth; p++) {
    const kinds = [...new Set(outs.map((o) => o.steps[p]?.op).filter((k) => k !== undefined))];
    for (const kind of kinds) {
      const at = (c: number) => (outs[c].steps[p]?.op === kind ? outs[c].steps[p] : undefined);
      if (kind === 'impute') steps.push({ kind, values: outs.map((_, c) => (at(c) as { value: number } | undefined)?.value ?? Number.NaN) });
      else if (kind === 'affine') {
        const a = (c: number) => at(c) as { center: number; scale: number; offset: number } | undefined;
        steps.push({ kind: 'standardize', center: outs.map((_, c) => a(c)?.center ?? 0), scale: outs.map((_, c) => a(c)?.scale ?? 1), offset: outs.map((_, c) => a(c)?.offset ?? 0) });
      } else if (kind === 'clip') {
        const a = (c: number) => at(c) as { min: number | null; max: number | null } | undefined;
        steps.push({ kind, min: outs.map((_, c) => a(c)?.min ?? -Infinity), max: outs.map((_, c) => a(c)?.max ?? Infinity) });
      } else if (kind === 'log1p') steps.push({ kind, mask: outs.map((_, c) => at(c) !== undefined) });
      else return undefined;
    }
  }
  const select = outs.map((o) => o.input);
  const identity = select.length === plan.inputs.length && select.every((v, i) => v === i);
  return { inputNames: [...plan.inputs], ...(identity ? {} : { select }), steps: W ? steps : [] };
}

/**
 * Adapts a fitted @gantry/features `FeaturePipeline` (whose `transformBatch` takes Arrow or
 * column batches) to `FeaturePipelineLike`: raw-row batches go through its `transformRow`, so
 * training and serving share the same code path. Its numeric plan becomes column-wise steps
 * (`numericStepsFromPlan`), so ONNX exports take the raw numeric columns.
 */
export function fromFeaturePipeline(p: GantryFeaturePipeline): FeaturePipelineLike {
  if (!p || typeof p.transformRow !== 'function' || typeof p.toJSON !== 'function') {
    throw new ModelError('BAD_OPTION', 'fromFeaturePipeline: pipeline must be a fitted FeaturePipeline (transformRow, toJSON)');
  }
  return {
    get outputNames() {
      return p.outputNames;
    },
    get outputWidth() {
      return p.outputWidth;
    },
    transformRow: (row) => p.transformRow(row),
    transformBatch: (rows) => {
      const w = p.outputWidth;
      const out = new Float32Array(rows.length * w);
      rows.forEach((r, i) => out.set(p.transformRow(r), i * w));
      return out;
    },
    toJSON: () => p.toJSON(),
    numericSteps: () => (typeof p.numericPlan === 'function' ? numericStepsFromPlan(p.numericPlan()) : undefined),
  };
}
