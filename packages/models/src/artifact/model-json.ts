import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HIDDEN_ACTIVATIONS, layerDims, type NetworkSpec, type NetworkWeights } from '../core/network.js';
import { ModelError } from '../errors.js';
import { LinearRegression } from '../models/linear.js';
import { LogisticRegression } from '../models/logistic.js';
import { MLP } from '../models/mlp.js';
import type { Model, ModelKind, Task } from '../models/model.js';
import { SoftmaxRegression } from '../models/softmax.js';
import { fromFeaturePipeline, type FeaturePipelineLike, type GantryFeaturePipeline, type PipelineFromJSON } from '../pipeline.js';
import type { FitResult } from '../train/trainer.js';
import { VERSION } from '../version.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { syncDir, tempSibling, writeSynced } from './fs-atomic.js';

export const FORMAT = 'gantry.model';
/** The artifact format version this build writes and the highest it reads. */
export const FORMAT_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_FILE = 'model.safetensors';

/** The contents of model.json. */
export interface ModelJson {
  format: typeof FORMAT;
  formatVersion: number;
  kind: ModelKind;
  task: Task;
  libraryVersion: string;
  createdAt: string;
  hyperParameters: Record<string, unknown>;
  network: NetworkSpec;
  input: { names: string[]; width: number; dtype: 'float32'; rawInputs?: string[] };
  output: { task: Task; width: number; classes?: number };
  featurePipeline: unknown | null;
  training: Omit<FitResult, 'history'> & { history?: FitResult['history'] } | null;
  /** sha256 of the training data description. */
  dataHash: string | null;
  weights: { file: string; sha256: string; bytes: number; layout: 'in_out'; tensors: string[] };
}

const KINDS: Record<ModelKind, { task: Task[]; make: (hp: Record<string, unknown>) => Model }> = {
  linear: { task: ['regression'], make: (hp) => new LinearRegression(hp) },
  logistic: { task: ['binary'], make: (hp) => new LogisticRegression(hp) },
  softmax: { task: ['multiclass'], make: (hp) => new SoftmaxRegression(hp) },
  mlp: { task: ['multiclass', 'regression'], make: (hp) => new MLP(hp) },
};

export function tensorNames(spec: NetworkSpec): string[] {
  return layerDims(spec).flatMap((_, i) => [`layers.${i}.weight`, `layers.${i}.bias`]);
}

/** The two files of an artifact as bytes (model.json last: it names the weights' hash). */
export function encodeArtifact(model: Model): { json: string; weights: Uint8Array } {
  const st = model.fitted('save');
  const spec = st.spec;
  const dims = layerDims(spec);
  const tensors: NamedTensor[] = dims.flatMap(([i, o], l) => [
    { name: `layers.${l}.weight`, shape: [i, o], data: st.weights.weights[l] },
    { name: `layers.${l}.bias`, shape: [o], data: st.weights.biases[l] },
  ]);
  const weights = encodeSafetensors(tensors, { format: FORMAT, kind: model.kind, layout: 'in_out (z = x·W + b)' });
  const training = st.training ? { ...st.training } : null;
  const pipe = model.pipeline;
  const numeric = pipe?.numericSteps?.();
  const meta: ModelJson = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    kind: model.kind,
    task: model.task,
    libraryVersion: VERSION,
    createdAt: st.createdAt,
    hyperParameters: model.hyperParameters,
    network: spec,
    input: { names: st.inputNames, width: spec.inputWidth, dtype: 'float32', ...(numeric ? { rawInputs: numeric.inputNames } : {}) },
    output: { task: model.task, width: spec.outputs, ...(model.task === 'regression' ? {} : { classes: model.classes }) },
    featurePipeline: pipe ? pipe.toJSON() : null,
    training,
    dataHash: st.training?.dataHash ?? null,
    weights: { file: WEIGHTS_FILE, sha256: sha256(weights), bytes: weights.length, layout: 'in_out', tensors: tensors.map((t) => t.name) },
  };
  return { json: JSON.stringify(meta, null, 2) + '\n', weights };
}

/** Writes the artifact files into an existing, empty folder (fsynced). */
export function writeArtifactFiles(model: Model, dir: string, extra: Record<string, Uint8Array | string> = {}): void {
  const { json, weights } = encodeArtifact(model);
  writeSynced(join(dir, WEIGHTS_FILE), weights);
  for (const [name, data] of Object.entries(extra)) writeSynced(join(dir, name), data);
  writeSynced(join(dir, MODEL_JSON), json);
  syncDir(dir);
}

/**
 * Saves a fitted model as an artifact folder (model.json + model.safetensors), atomically:
 * the files are written into a temp folder beside `dir`, fsynced, and renamed to `dir`.
 * An existing `dir` is refused unless `overwrite`.
 */
export function saveModel(model: Model, dir: string, options: { overwrite?: boolean; extra?: Record<string, Uint8Array | string> } = {}): string {
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  if (existsSync(target) && !options.overwrite) throw new ModelError('CONFLICT', `${target} exists; pass { overwrite: true } to replace it`);
  const tmp = tempSibling(target);
  mkdirSync(tmp);
  try {
    writeArtifactFiles(model, tmp, options.extra);
    if (existsSync(target)) {
      const trash = tempSibling(target, 'old');
      renameSync(target, trash);
      renameSync(tmp, target);
      rmSync(trash, { recursive: true, force: true });
    } else renameSync(tmp, target);
    syncDir(dirname(target));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return target;
}

export interface LoadOptions {
  /** Restores the artifact's feature pipeline (default: @gantry/features' FeaturePipeline.fromJSON). */
  pipelineFromJSON?: PipelineFromJSON;
  /** Load without the artifact's pipeline (predict then takes features, not raw rows). Default false. */
  ignorePipeline?: boolean;
}

/**
 * Loads an artifact folder, validating everything: the format and its version, the kind and
 * task, the network and schema, the weights file's sha256 and its safetensors header, every
 * tensor's name and shape. A corrupt artifact is refused with CORRUPT_ARTIFACT, one from an
 * unknown format version or kind with INCOMPATIBLE_ARTIFACT, a missing one with NOT_FOUND.
 */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<Model> {
  const root = resolve(dir);
  const jsonPath = join(root, MODEL_JSON);
  if (!existsSync(jsonPath)) throw new ModelError('NOT_FOUND', `no ${MODEL_JSON} in ${root}`);
  const meta = parseModelJson(readFileSync(jsonPath, 'utf8'), jsonPath);
  const wPath = join(root, meta.weights.file);
  if (meta.weights.file.includes('/') || meta.weights.file.includes('\\') || !existsSync(wPath) || !statSync(wPath).isFile()) {
    throw new ModelError('CORRUPT_ARTIFACT', `${jsonPath}: weights file ${JSON.stringify(meta.weights.file)} is missing from ${root}`);
  }
  const buf = new Uint8Array(readFileSync(wPath));
  if (buf.length !== meta.weights.bytes) throw new ModelError('CORRUPT_ARTIFACT', `${wPath} has ${buf.length} bytes, model.json says ${meta.weights.bytes} (truncated or replaced)`);
  const hash = sha256(buf);
  if (hash !== meta.weights.sha256) throw new ModelError('CORRUPT_ARTIFACT', `${wPath}: sha256 ${hash} does not match model.json's ${meta.weights.sha256}`);
  const { tensors } = decodeSafetensors(buf, wPath);
  const weights = toWeights(meta.network, tensors, wPath);
  let pipeline: FeaturePipelineLike | undefined;
  if (meta.featurePipeline !== null && !options.ignorePipeline) {
    const restore = options.pipelineFromJSON ?? (await defaultPipelineRestorer());
    try {
      pipeline = await restore(meta.featurePipeline);
    } catch (e) {
      throw new ModelError('CORRUPT_ARTIFACT', `${jsonPath}: featurePipeline could not be restored (${(e as Error).message})`);
    }
    if (pipeline.outputWidth !== meta.network.inputWidth) throw new ModelError('CORRUPT_ARTIFACT', `${jsonPath}: featurePipeline outputs ${pipeline.outputWidth} features, the network takes ${meta.network.inputWidth}`);
  }
  const hp = Object.fromEntries(Object.entries(meta.hyperParameters).filter(([, v]) => v !== null));
  let model: Model;
  try {
    model = KINDS[meta.kind].make(hp);
  } catch (e) {
    throw new ModelError('CORRUPT_ARTIFACT', `${jsonPath}: hyperParameters are invalid (${(e as Error).message})`);
  }
  const training = meta.training ? ({ history: [], ...meta.training } as FitResult) : undefined;
  return model._restore({ spec: meta.network, weights, inputNames: meta.input.names, training, createdAt: meta.createdAt }, pipeline);
}

async function defaultPipelineRestorer(): Promise<PipelineFromJSON> {
  const name = '@gantry/features';
  let mod: { FeaturePipeline?: { fromJSON?: (j: unknown) => GantryFeaturePipeline } };
  try {
    mod = (await import(name)) as typeof mod;
  } catch (e) {
    throw new ModelError('INCOMPATIBLE_ARTIFACT', `the artifact carries a feature pipeline and ${name} cannot be loaded (${(e as Error).message}); pass loadModel(dir, { pipelineFromJSON }) or { ignorePipeline: true }`);
  }
  const fromJSON = mod.FeaturePipeline?.fromJSON;
  if (typeof fromJSON !== 'function') throw new ModelError('INCOMPATIBLE_ARTIFACT', `${name} has no FeaturePipeline.fromJSON; pass loadModel(dir, { pipelineFromJSON })`);
  return (j) => fromFeaturePipeline(fromJSON.call(mod.FeaturePipeline, j));
}

function toWeights(spec: NetworkSpec, tensors: Map<string, NamedTensor>, file: string): NetworkWeights {
  const dims = layerDims(spec);
  const expected = new Set(tensorNames(spec));
  for (const name of tensors.keys()) if (!expected.has(name)) throw new ModelError('CORRUPT_ARTIFACT', `${file}: unexpected tensor ${JSON.stringify(name)} (expected ${[...expected].join(', ')})`);
  const get = (name: string, shape: number[]) => {
    const t = tensors.get(name);
    if (!t) throw new ModelError('CORRUPT_ARTIFACT', `${file}: tensor ${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new ModelError('CORRUPT_ARTIFACT', `${file}: tensor ${name} has shape [${t.shape.join(', ')}], the network needs [${shape.join(', ')}]`);
    return t.data;
  };
  return { weights: dims.map(([i, o], l) => get(`layers.${l}.weight`, [i, o])), biases: dims.map(([, o], l) => get(`layers.${l}.bias`, [o])) };
}

/** Parses and validates model.json text. */
export function parseModelJson(text: string, file = MODEL_JSON): ModelJson {
  const bad = (msg: string) => new ModelError('CORRUPT_ARTIFACT', `${file}: ${msg}`);
  let m: ModelJson;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object') throw bad('must be a JSON object');
  if (m.format !== FORMAT) throw new ModelError('INCOMPATIBLE_ARTIFACT', `${file}: format is ${JSON.stringify(m.format)}, expected '${FORMAT}'`);
  if (!Number.isInteger(m.formatVersion) || m.formatVersion < 1) throw bad(`formatVersion must be an integer ≥ 1, got ${JSON.stringify(m.formatVersion)}`);
  if (m.formatVersion > FORMAT_VERSION) throw new ModelError('INCOMPATIBLE_ARTIFACT', `${file}: formatVersion ${m.formatVersion} is newer than this library reads (${FORMAT_VERSION}; library ${VERSION}, artifact written by ${m.libraryVersion})`);
  if (!Object.hasOwn(KINDS, m.kind)) throw new ModelError('INCOMPATIBLE_ARTIFACT', `${file}: kind ${JSON.stringify(m.kind)} is unknown (known: ${Object.keys(KINDS).join(', ')})`);
  if (!KINDS[m.kind].task.includes(m.task)) throw bad(`task ${JSON.stringify(m.task)} is not valid for kind '${m.kind}' (allowed: ${KINDS[m.kind].task.join(', ')})`);
  const n = m.network;
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!n || !posInt(n.inputWidth) || !posInt(n.outputs) || !Array.isArray(n.hidden)) throw bad('network must have integer inputWidth ≥ 1, outputs ≥ 1 and a hidden array');
  n.hidden.forEach((h, i) => {
    if (!h || !posInt(h.units) || !HIDDEN_ACTIVATIONS.includes(h.activation)) throw bad(`network.hidden[${i}] must be { units ≥ 1, activation: ${HIDDEN_ACTIVATIONS.join(' | ')} }`);
  });
  const heads: Record<Task, [string, string[]]> = { regression: ['identity', ['mse', 'huber']], binary: ['sigmoid', ['bce']], multiclass: ['softmax', ['ce']] };
  const [head, losses] = heads[m.task];
  if (n.head !== head || !losses.includes(n.loss)) throw bad(`network head/loss ${JSON.stringify(n.head)}/${JSON.stringify(n.loss)} do not fit task '${m.task}' (expected '${head}' with ${losses.join(' or ')})`);
  if (m.kind !== 'mlp' && n.hidden.length) throw bad(`a '${m.kind}' model has no hidden layers, found ${n.hidden.length}`);
  if (m.task === 'binary' && n.outputs !== 1) throw bad('a binary model has 1 output');
  if (m.task === 'multiclass' && n.outputs < 2) throw bad('a multiclass model has at least 2 outputs');
  if (!m.input || !Array.isArray(m.input.names) || m.input.names.length !== n.inputWidth || m.input.width !== n.inputWidth) {
    throw bad(`input must list ${n.inputWidth} names and width ${n.inputWidth} (the network's inputWidth)`);
  }
  if (!m.output || m.output.width !== n.outputs) throw bad(`output.width must be ${n.outputs}`);
  const w = m.weights;
  if (!w || typeof w.file !== 'string' || typeof w.sha256 !== 'string' || !Number.isInteger(w.bytes)) throw bad('weights must have file, sha256 and bytes');
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt))) throw bad(`createdAt must be an ISO date, got ${JSON.stringify(m.createdAt)}`);
  if (!m.hyperParameters || typeof m.hyperParameters !== 'object') throw bad('hyperParameters must be an object');
  if (m.featurePipeline === undefined) throw bad('featurePipeline must be present (null when there is none)');
  return m;
}

export function sha256(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}
