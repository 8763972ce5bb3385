import { readFileSync } from 'node:fs';
import type { RecordBatch, Table } from 'apache-arrow';
import type { Gpu } from '@gantry/gpu';
import { categoricalValues, toColumnBatch, type BatchInput, type ColumnBatch, type ColumnData, type ColumnKind } from '../columns.js';
import { FeatureError } from '../errors.js';
import { applyNumeric, compileCategorical, type CategoricalEncoder } from '../transforms/apply.js';
import type { CategoricalStep, FittedStep, NumericStep, TransformSpec } from '../transforms/spec.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ChainFitter, validateChain, type Chain, type ChainFitterState, type ColumnSpec } from './chain.js';
import { GpuFeatures } from './gpu.js';
import { contentHash } from './hash.js';
import type { NumericPlan } from './plan.js';

/** The format version written by {@link FeaturePipeline.toJSON}. */
export const PIPELINE_VERSION = 1;
export const PIPELINE_FORMAT = 'gantry.features.pipeline';

/** A fitted column in the serialised pipeline. */
export interface FittedColumnJSON {
  column: string;
  name: string;
  kind: 'numeric' | 'categorical';
  transforms: TransformSpec[];
  steps: FittedStep[];
}

/** The serialised, fitted pipeline. `hash` is over everything else (canonical JSON, SHA-256). */
export interface PipelineJSON {
  format: typeof PIPELINE_FORMAT;
  version: number;
  hash: string;
  /** Input columns and their kinds at fit time (the schema a batch must match). */
  inputs: { name: string; kind: ColumnKind }[];
  columns: FittedColumnJSON[];
  /** Rows the pipeline was fitted on. */
  rows: number;
}

/** Something a pipeline can fit on: batches (async or not), a single batch, or a source with `batches()`. */
export type FitSource =
  | AsyncIterable<BatchInput>
  | Iterable<BatchInput>
  | BatchInput
  | { batches(): AsyncIterable<RecordBatch> };

export interface FitOptions {
  /** Called after each batch with the rows seen so far. */
  onProgress?: (rows: number) => void;
}

interface Compiled {
  numeric: { chain: Chain; steps: NumericStep[]; names: string[]; input: number }[];
  categorical: { chain: Chain; steps: CategoricalStep[]; encoder: CategoricalEncoder; offset: number }[];
  numericInputs: string[];
  outputNames: string[];
  numericWidth: number;
  width: number;
}

/**
 * A declared feature pipeline: per input column, a chain of transforms. `fit` streams batches once
 * (constant memory: Welford moments, KLL quantiles, exact-then-Count-Min frequencies per stateful
 * transform, all mergeable across shards); the fitted pipeline then runs
 * - on the CPU: `transformBatch` (Arrow batches, DataLoader batches, column objects) and
 *   `transformRow` (one JSON row: the serving path) — the same code, bit-identical results;
 * - on @gantry/gpu: `toGpu(gpu)` gives one generated WGSL kernel for the numeric part.
 *
 * Output layout: the numeric chains first (one column each, in declaration order), then the
 * categorical chains (oneHot: topK + 1 columns, hash: nFeatures, index: 1) in declaration order.
 *
 * @example
 * const p = new FeaturePipeline([
 *   { column: 'age', transforms: [{ type: 'impute', strategy: 'median' }, { type: 'standardScale' }] },
 *   { column: 'city', transforms: [{ type: 'oneHot', topK: 2 }] },
 * ]);
 * await p.fit([{ age: [20, 30, null, 40], city: ['a', 'b', 'a', 'c'] }]);
 * p.outputNames;                                   // ['age', 'city=a', 'city=b', 'city=__other__']
 * p.transformRow({ age: 30, city: 'z' });          // Float32Array [0, 0, 0, 1]
 */
export class FeaturePipeline {
  readonly chains: Chain[];
  private fittedSteps: FittedStep[][] | undefined;
  private schema: Map<string, ColumnKind> | undefined;
  private compiled: Compiled | undefined;
  private json: PipelineJSON | undefined;
  private rows = 0;

  constructor(columns: ColumnSpec[]) {
    if (!Array.isArray(columns) || columns.length === 0) throw new FeatureError('BAD_OPTION', 'FeaturePipeline: columns must be a non-empty array of { column, transforms }');
    this.chains = columns.map((c, i) => validateChain(c, i));
    const seen = new Set<string>();
    for (const c of this.chains) {
      if (seen.has(c.name)) throw new FeatureError('BAD_OPTION', `FeaturePipeline: output name '${c.name}' is declared twice; give the second declaration of column '${c.column}' a different name`, { column: c.column });
      seen.add(c.name);
    }
  }

  /** True once fitted (or loaded). */
  get fitted(): boolean {
    return this.fittedSteps !== undefined;
  }

  /** A fitter for this declaration: update with batches, merge shards, then `load` it. */
  fitter(): PipelineFitter {
    return new PipelineFitter(this.chains);
  }

  /** Fits in one streaming pass over `source`. Returns this. */
  async fit(source: FitSource, opts: FitOptions = {}): Promise<this> {
    const f = this.fitter();
    for await (const b of iterate(source)) {
      f.update(b);
      opts.onProgress?.(f.rows);
    }
    return this.load(f);
  }

  /** Takes the fitted state of a (possibly merged) fitter. Returns this. */
  load(f: PipelineFitter): this {
    const { steps, schema, rows } = f.finalize();
    this.fittedSteps = steps;
    this.schema = schema;
    this.rows = rows;
    this.compiled = undefined;
    this.json = undefined;
    return this;
  }

  private need(op: string): Compiled {
    if (!this.fittedSteps || !this.schema) throw new FeatureError('NOT_FITTED', `FeaturePipeline.${op}: the pipeline is not fitted; call fit(source) or FeaturePipeline.fromJSON(json) first`);
    if (!this.compiled) this.compiled = compile(this.chains, this.fittedSteps);
    return this.compiled;
  }

  /** Names of the output columns, in order. */
  get outputNames(): string[] {
    return [...this.need('outputNames').outputNames];
  }
  /** Number of output columns. */
  get outputWidth(): number {
    return this.need('outputWidth').width;
  }
  /** Output columns computed by the numeric part (the first ones). */
  get numericWidth(): number {
    return this.need('numericWidth').numericWidth;
  }
  /** Raw numeric input columns the numeric part reads (the GPU path's input matrix). */
  get numericInputs(): string[] {
    return [...this.need('numericInputs').numericInputs];
  }
  /** The content hash of the fitted pipeline. */
  get hash(): string {
    return this.toJSON().hash;
  }
  get version(): number {
    return PIPELINE_VERSION;
  }

  private checkSchema(cb: ColumnBatch, op: string): void {
    const schema = this.schema as Map<string, ColumnKind>;
    for (const [name, kind] of schema) {
      const k = cb.kind(name);
      const user = this.chains.find((c) => c.column === name);
      const t = user?.specs[0]?.type ?? 'identity';
      if (!k) {
        throw new FeatureError('SCHEMA_MISMATCH', `FeaturePipeline.${op}: the batch has no column '${name}' (needed by transform '${t}'; the pipeline was fitted on ${[...schema].map(([n, kk]) => `${n} (${kk})`).join(', ')}; the batch has ${cb.names.join(', ') || 'no columns'})`, { column: name, transform: t });
      }
      if (k.kind !== kind) {
        throw new FeatureError('SCHEMA_MISMATCH', `FeaturePipeline.${op}: column '${name}' is ${k.type} (${k.kind}) but was ${kind} when the pipeline was fitted (transform '${t}')`, { column: name, transform: t });
      }
    }
  }

  /**
   * The feature matrix of a batch on the CPU: row-major float32 [n, outputWidth]. Float64 arithmetic,
   * rounded once. Bad input throws a FeatureError naming the column and the transform.
   */
  transformBatch(batch: BatchInput): Float32Array {
    const c = this.need('transformBatch');
    const cb = toColumnBatch(batch);
    this.checkSchema(cb, 'transformBatch');
    const n = cb.n;
    const out = new Float32Array(n * c.width);
    const cache = new Map<string, ColumnData>();
    const get = (name: string): ColumnData => {
      let d = cache.get(name);
      if (!d) {
        d = cb.column(name) as ColumnData;
        cache.set(name, d);
      }
      return d;
    };
    c.numeric.forEach((nc, j) => {
      const x = Float64Array.from(get(nc.chain.column).values as Float64Array);
      applyNumeric(nc.steps, nc.names, x, nc.chain.column);
      const w = c.width;
      for (let i = 0; i < n; i++) out[i * w + j] = x[i];
    });
    for (const cc of c.categorical) cc.encoder.encode(categoricalValues(get(cc.chain.column)), out, c.width, cc.offset);
    return out;
  }

  /** Only the categorical block [n, outputWidth − numericWidth] (to pass to the GPU kernel). */
  transformCategorical(batch: BatchInput): Float32Array {
    const c = this.need('transformCategorical');
    const cb = toColumnBatch(batch);
    this.checkSchema(cb, 'transformCategorical');
    const w = c.width - c.numericWidth;
    const out = new Float32Array(cb.n * w);
    for (const cc of c.categorical) cc.encoder.encode(categoricalValues(cb.column(cc.chain.column) as ColumnData), out, w, cc.offset - c.numericWidth);
    return out;
  }

  /** The raw numeric inputs of a batch as row-major float32 [n, numericInputs.length] (NaN for missing): the GPU path's input. */
  numericMatrix(batch: BatchInput): Float32Array {
    const c = this.need('numericMatrix');
    const cb = toColumnBatch(batch);
    this.checkSchema(cb, 'numericMatrix');
    const k = c.numericInputs.length;
    const out = new Float32Array(cb.n * k);
    c.numericInputs.forEach((name, j) => {
      const x = (cb.column(name) as ColumnData).values as Float64Array;
      for (let i = 0; i < cb.n; i++) out[i * k + j] = x[i];
    });
    return out;
  }

  /**
   * One JSON row → its features (the serving path): numbers (or null) for numeric inputs, strings
   * (or numbers, or null) for categorical ones. Same code as `transformBatch`, bit-identical output.
   */
  transformRow(row: Record<string, unknown>): Float32Array {
    const c = this.need('transformRow');
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new FeatureError('WRONG_TYPE', `FeaturePipeline.transformRow: expected a JSON object of column values, got ${Array.isArray(row) ? 'an array' : typeof row}`);
    const out = new Float32Array(c.width);
    const schema = this.schema as Map<string, ColumnKind>;
    const nums = new Map<string, number>();
    const cats = new Map<string, string | null>();
    for (const [name, kind] of schema) {
      const t = this.chains.find((ch) => ch.column === name)?.specs[0]?.type ?? 'identity';
      if (!(name in row)) throw new FeatureError('SCHEMA_MISMATCH', `FeaturePipeline.transformRow: the row has no field '${name}' (needed by transform '${t}'; use null for a missing value)`, { column: name, transform: t });
      const v = row[name];
      const usedNumeric = this.chains.some((ch) => ch.column === name && ch.kind === 'numeric');
      if (kind === 'numeric' && usedNumeric) {
        if (v === null || v === undefined) nums.set(name, NaN);
        else if (typeof v === 'number') nums.set(name, v);
        else if (typeof v === 'boolean') nums.set(name, v ? 1 : 0);
        else throw new FeatureError('WRONG_TYPE', `FeaturePipeline.transformRow: field '${name}' must be a number or null (transform '${t}'), got ${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`, { column: name, transform: t });
      }
      if (v === null || v === undefined) cats.set(name, null);
      else if (typeof v === 'string') {
        if (kind === 'numeric') throw new FeatureError('WRONG_TYPE', `FeaturePipeline.transformRow: field '${name}' must be a number or null (transform '${t}'), got string ${JSON.stringify(v).slice(0, 40)}`, { column: name, transform: t });
        cats.set(name, v);
      } else if (typeof v === 'number') cats.set(name, v !== v ? null : String(v));
      else if (typeof v === 'boolean' && kind === 'numeric') cats.set(name, v ? '1' : '0');
      else throw new FeatureError('WRONG_TYPE', `FeaturePipeline.transformRow: field '${name}' must be a string, a number or null (transform '${t}'), got ${typeof v}`, { column: name, transform: t });
    }
    const x = new Float64Array(1);
    c.numeric.forEach((nc, j) => {
      x[0] = nums.get(nc.chain.column) as number;
      applyNumeric(nc.steps, nc.names, x, nc.chain.column);
      out[j] = x[0];
    });
    for (const cc of c.categorical) cc.encoder.encode([cats.get(cc.chain.column) ?? null], out, c.width, cc.offset);
    return out;
  }

  /** The numeric part as plain data (per output: input column index and steps): for ONNX export and the WGSL kernel. */
  numericPlan(): NumericPlan {
    const c = this.need('numericPlan');
    return {
      inputs: [...c.numericInputs],
      outputs: c.numeric.map((nc) => {
        const hasImpute = nc.steps.some((s) => s.op === 'impute');
        let missing: number | null = null;
        if (hasImpute) {
          const x = Float64Array.of(NaN);
          applyNumeric(nc.steps, nc.names, x, nc.chain.column);
          missing = Math.fround(x[0]);
        }
        return { name: nc.chain.name, input: nc.input, steps: nc.steps.map((s) => structuredClone(s)), missing };
      }),
      categorical: { names: c.outputNames.slice(c.numericWidth), offset: c.numericWidth, width: c.width - c.numericWidth },
      width: c.width,
    };
  }

  /**
   * The numeric part as one fused WGSL kernel on `gpu` (see {@link GpuFeatures}).
   * `maxWorkgroupsX` (default 65535, the WebGPU limit) is where the launch folds into 2-D.
   */
  toGpu(gpu: Gpu, opts: { maxWorkgroupsX?: number } = {}): GpuFeatures {
    return new GpuFeatures(gpu, this.numericPlan(), this.hash, opts);
  }

  toJSON(): PipelineJSON {
    this.need('toJSON');
    if (this.json) return structuredClone(this.json);
    const body = {
      format: PIPELINE_FORMAT,
      version: PIPELINE_VERSION,
      inputs: [...(this.schema as Map<string, ColumnKind>)].map(([name, kind]) => ({ name, kind })),
      columns: this.chains.map((ch, i) => ({ column: ch.column, name: ch.name, kind: ch.kind, transforms: ch.specs, steps: (this.fittedSteps as FittedStep[][])[i] })),
      rows: this.rows,
    };
    this.json = { ...body, hash: contentHash(body) } as PipelineJSON;
    return structuredClone(this.json);
  }

  /** Loads a serialised pipeline, checking its format, version and content hash. */
  static fromJSON(json: PipelineJSON | string): FeaturePipeline {
    const j = (typeof json === 'string' ? JSON.parse(json) : json) as PipelineJSON;
    if (!j || j.format !== PIPELINE_FORMAT) throw new FeatureError('BAD_STATE', `FeaturePipeline.fromJSON: not a pipeline (format ${JSON.stringify(j?.format)}, expected '${PIPELINE_FORMAT}')`);
    if (j.version !== PIPELINE_VERSION) throw new FeatureError('BAD_STATE', `FeaturePipeline.fromJSON: version ${j.version} is not supported (this build reads version ${PIPELINE_VERSION})`);
    const { hash, ...body } = j;
    const h = contentHash(body);
    if (h !== hash) throw new FeatureError('BAD_STATE', `FeaturePipeline.fromJSON: content hash mismatch (file says ${hash}, content is ${h}): the pipeline was modified or corrupted`);
    const p = new FeaturePipeline(j.columns.map((c) => ({ column: c.column, name: c.name, transforms: c.transforms })));
    p.fittedSteps = j.columns.map((c) => c.steps);
    p.schema = new Map(j.inputs.map((i) => [i.name, i.kind]));
    p.rows = j.rows;
    p.json = structuredClone(j);
    return p;
  }

  /** Writes the fitted pipeline as JSON, atomically (temp file + rename). */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON()) + '\n');
  }

  static load(path: string): FeaturePipeline {
    return FeaturePipeline.fromJSON(readFileSync(path, 'utf8'));
  }
}

/** Serialised state of a {@link PipelineFitter}: merge shards fitted in other processes. */
export interface PipelineFitterState {
  rows: number;
  schema: [string, ColumnKind][];
  chains: ChainFitterState[];
}

/**
 * The streaming fit of a pipeline: `update(batch)` per batch, `merge(other)` across shards (Chan
 * for moments, KLL and Count-Min merges), `toJSON()`/`fromJSON()` to ship state between processes.
 */
export class PipelineFitter {
  rows = 0;
  private readonly fitters: ChainFitter[];
  private schema = new Map<string, ColumnKind>();

  constructor(readonly chains: Chain[]) {
    this.fitters = chains.map((c) => new ChainFitter(c));
  }

  update(batch: BatchInput): this {
    const cb = toColumnBatch(batch);
    const cache = new Map<string, ColumnData>();
    for (const f of this.fitters) {
      const { column, kind } = f.chain;
      const k = cb.kind(column);
      const first = f.chain.specs[0]?.type ?? 'identity';
      if (!k) throw new FeatureError('UNKNOWN_COLUMN', `FeaturePipeline.fit: unknown column '${column}' (transform '${first}'); the data has ${cb.names.join(', ') || 'no columns'}`, { column, transform: first });
      if (k.kind === 'other') throw new FeatureError('WRONG_TYPE', `FeaturePipeline.fit: column '${column}' has type ${k.type}, which transform '${first}' cannot take (allowed: numbers, strings)`, { column, transform: first });
      if (kind === 'numeric' && k.kind !== 'numeric') {
        const t = f.chain.specs.find((_, i) => f.chain.defs[i].input === 'numeric')?.type ?? first;
        throw new FeatureError('WRONG_TYPE', `FeaturePipeline.fit: column '${column}' holds strings (${k.type}) but transform '${t}' needs numbers; use oneHot, index or hash for a categorical column`, { column, transform: t });
      }
      const prev = this.schema.get(column);
      if (prev && prev !== k.kind) throw new FeatureError('SCHEMA_MISMATCH', `FeaturePipeline.fit: column '${column}' is ${k.type} (${k.kind}) in this batch but was ${prev} in earlier ones (transform '${first}')`, { column, transform: first });
      this.schema.set(column, k.kind);
      let d = cache.get(column);
      if (!d) {
        d = cb.column(column) as ColumnData;
        cache.set(column, d);
      }
      // the chain may modify numeric values in place: give it its own copy
      f.update(d.kind === 'numeric' ? { ...d, values: Float64Array.from(d.values) } : d, this.rows);
    }
    this.rows += cb.n;
    return this;
  }

  merge(other: PipelineFitter): this {
    if (other.fitters.length !== this.fitters.length) throw new FeatureError('INCOMPATIBLE', 'PipelineFitter.merge: the fitters belong to different pipelines');
    for (const [k, v] of other.schema) {
      const mine = this.schema.get(k);
      if (mine && mine !== v) throw new FeatureError('SCHEMA_MISMATCH', `PipelineFitter.merge: column '${k}' is ${v} in one shard and ${mine} in the other`, { column: k });
      this.schema.set(k, v);
    }
    this.fitters.forEach((f, i) => f.merge(other.fitters[i]));
    this.rows += other.rows;
    return this;
  }

  finalize(): { steps: FittedStep[][]; schema: Map<string, ColumnKind>; rows: number } {
    if (this.rows === 0) throw new FeatureError('NOT_FITTED', 'FeaturePipeline.fit: the source yielded no rows');
    const schema = new Map<string, ColumnKind>();
    for (const c of this.chains) schema.set(c.column, this.schema.get(c.column) as ColumnKind);
    return { steps: this.fitters.map((f) => f.finalize()), schema, rows: this.rows };
  }

  toJSON(): PipelineFitterState {
    return { rows: this.rows, schema: [...this.schema], chains: this.fitters.map((f) => f.toJSON()) };
  }

  /** A fitter for `pipeline` with the state `s` (from another process's `toJSON()`). */
  static fromJSON(pipeline: FeaturePipeline, s: PipelineFitterState): PipelineFitter {
    const f = pipeline.fitter();
    f.rows = s.rows;
    f.schema = new Map(s.schema);
    f.fitters.forEach((c, i) => c.loadState(s.chains[i]));
    return f;
  }
}

function compile(chains: Chain[], steps: FittedStep[][]): Compiled {
  const numeric: Compiled['numeric'] = [];
  const categorical: Compiled['categorical'] = [];
  const numericInputs: string[] = [];
  chains.forEach((ch, i) => {
    if (ch.kind !== 'numeric') return;
    let input = numericInputs.indexOf(ch.column);
    if (input < 0) input = numericInputs.push(ch.column) - 1;
    numeric.push({ chain: ch, steps: steps[i] as NumericStep[], names: ch.specs.map((s) => s.type), input });
  });
  const outputNames = numeric.map((n) => n.chain.name);
  let offset = numeric.length;
  chains.forEach((ch, i) => {
    if (ch.kind !== 'categorical') return;
    const st = steps[i] as CategoricalStep[];
    const encoder = compileCategorical(st, ch.column);
    categorical.push({ chain: ch, steps: st, encoder, offset });
    const term = st[st.length - 1];
    if (term.op === 'oneHot') outputNames.push(...term.categories.map((c) => `${ch.name}=${c}`), `${ch.name}=__other__`);
    else if (term.op === 'index') outputNames.push(ch.name);
    else if (term.op === 'hash') for (let k = 0; k < term.nFeatures; k++) outputNames.push(`${ch.name}#${k}`);
    offset += encoder.width;
  });
  return { numeric, categorical, numericInputs, outputNames, numericWidth: numeric.length, width: offset };
}

async function* iterate(source: FitSource): AsyncGenerator<BatchInput> {
  const s = source as { batches?: () => AsyncIterable<RecordBatch>; [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown };
  if (s && typeof s[Symbol.asyncIterator] === 'function') {
    for await (const b of source as AsyncIterable<BatchInput>) yield b;
  } else if (s && typeof s.batches === 'function' && !('getChild' in s)) {
    for await (const b of s.batches()) yield b;
  } else if (s && typeof s[Symbol.iterator] === 'function' && !('getChild' in s) && !ArrayBuffer.isView(s)) {
    for (const b of source as Iterable<BatchInput>) yield b;
  } else yield source as RecordBatch | Table;
}
