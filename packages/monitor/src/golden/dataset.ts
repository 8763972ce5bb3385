import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MonitorError } from '../errors.js';
import type { Label } from '../metrics/labels.js';
import { evaluatePredictions, type EvaluationTask, type MetricValues } from './evaluate.js';

export interface GoldenManifest {
  format: 'gantry.monitor.golden';
  name: string;
  version: string;
  /** sha256 of the canonical JSON of { rows, labels }. */
  hash: string;
  rows: number;
  task: EvaluationTask;
  createdAt: string;
  description?: string;
}

export type GoldenRow = Record<string, unknown>;

/** A model as the golden dataset sees it: rows in, predictions out (labels, or positive-class probabilities). */
export type Predictor = (rows: GoldenRow[]) => Promise<ArrayLike<Label>> | ArrayLike<Label>;

export interface Comparison {
  metric: string;
  champion: number;
  challenger: number;
  /** challenger − champion (sign-adjusted so that positive is better). */
  improvement: number;
  winner: 'champion' | 'challenger';
  champVersion: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LOWER_IS_BETTER = new Set(['mae', 'mse', 'rmse', 'mape', 'maxError', 'logLoss', 'ece']);

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/**
 * A small, versioned, immutable evaluation set: rows, labels and a manifest with their content
 * hash, stored under `<root>/<name>/<version>/`. A version is written once (temp folder +
 * rename) and never overwritten; loading verifies the hash.
 */
export class GoldenDataset {
  readonly manifest: GoldenManifest;
  readonly rows: GoldenRow[];
  readonly labels: Label[];

  private constructor(manifest: GoldenManifest, rows: GoldenRow[], labels: Label[]) {
    this.manifest = manifest;
    this.rows = rows;
    this.labels = labels;
    Object.freeze(this.rows);
    Object.freeze(this.labels);
  }

  static hashOf(rows: GoldenRow[], labels: Label[]): string {
    return createHash('sha256').update(canonical({ rows, labels })).digest('hex');
  }

  /** Versions stored for `name`, oldest first ('v1', 'v2', …). */
  static versions(root: string, name: string): string[] {
    const dir = join(root, name);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((v) => /^v\d+$/.test(v) && existsSync(join(dir, v, 'manifest.json')))
      .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  }

  /**
   * Stores a new version. Identical content to the latest version returns that version instead
   * of writing a duplicate; an explicit `version` that exists is refused (VERSION_EXISTS).
   */
  static create(root: string, name: string, data: { rows: GoldenRow[]; labels: Label[]; task: EvaluationTask; description?: string }, options: { version?: string } = {}): GoldenDataset {
    if (!NAME_RE.test(name)) throw new MonitorError('INVALID_OPTION', `GoldenDataset.create: name ${JSON.stringify(name)} must match ${NAME_RE}`);
    if (data.rows.length === 0) throw new MonitorError('EMPTY_WINDOW', `GoldenDataset.create: '${name}' has no rows`);
    if (data.rows.length !== data.labels.length) throw new MonitorError('LENGTH_MISMATCH', `GoldenDataset.create: ${data.rows.length} rows but ${data.labels.length} labels`);
    if (data.task !== 'classification' && data.task !== 'regression' && data.task !== 'binary-probability') {
      throw new MonitorError('INVALID_OPTION', `GoldenDataset.create: task must be 'classification', 'binary-probability' or 'regression', got ${JSON.stringify(data.task)}`);
    }
    const hash = GoldenDataset.hashOf(data.rows, data.labels);
    const existing = GoldenDataset.versions(root, name);
    if (!options.version && existing.length) {
      const latest = GoldenDataset.load(root, name, existing[existing.length - 1]);
      if (latest.manifest.hash === hash) return latest;
    }
    const version = options.version ?? `v${existing.length ? Number(existing[existing.length - 1].slice(1)) + 1 : 1}`;
    if (!/^v\d+$/.test(version)) throw new MonitorError('INVALID_OPTION', `GoldenDataset.create: version ${JSON.stringify(version)} must look like 'v3'`);
    const dir = join(root, name, version);
    if (existsSync(dir)) throw new MonitorError('VERSION_EXISTS', `GoldenDataset.create: ${name}/${version} already exists; versions are immutable`);
    const manifest: GoldenManifest = { format: 'gantry.monitor.golden', name, version, hash, rows: data.rows.length, task: data.task, createdAt: new Date().toISOString(), ...(data.description ? { description: data.description } : {}) };
    mkdirSync(join(root, name), { recursive: true });
    const tmp = join(root, name, `.${version}.${process.pid}.${Date.now()}.tmp`);
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'data.json'), JSON.stringify({ rows: data.rows, labels: data.labels }));
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    try {
      // rename of a folder onto a missing path is atomic; onto an existing one it fails, never overwrites.
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw new MonitorError('VERSION_EXISTS', `GoldenDataset.create: ${name}/${version} was created concurrently (${(e as Error).message})`);
    }
    return new GoldenDataset(manifest, data.rows, data.labels);
  }

  /** Loads a version (the latest when omitted) and verifies its content hash. */
  static load(root: string, name: string, version?: string): GoldenDataset {
    const versions = GoldenDataset.versions(root, name);
    const v = version ?? versions[versions.length - 1];
    if (!v || !versions.includes(v)) throw new MonitorError('NOT_FOUND', `GoldenDataset.load: no version ${JSON.stringify(version ?? 'latest')} of '${name}' under ${root} (versions: ${versions.join(', ') || 'none'})`);
    const dir = join(root, name, v);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GoldenManifest;
    const data = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8')) as { rows: GoldenRow[]; labels: Label[] };
    const hash = GoldenDataset.hashOf(data.rows, data.labels);
    if (hash !== manifest.hash) throw new MonitorError('CORRUPT_DATASET', `GoldenDataset.load: ${name}/${v} content hash ${hash.slice(0, 12)}… does not match its manifest (${manifest.hash.slice(0, 12)}…)`);
    return new GoldenDataset(manifest, data.rows, data.labels);
  }

  /** Runs `model` on the rows and computes the task's metrics against the labels. */
  async evaluate(model: Predictor): Promise<MetricValues> {
    const preds = await model(this.rows as GoldenRow[]);
    if (preds.length !== this.labels.length) throw new MonitorError('LENGTH_MISMATCH', `GoldenDataset.evaluate: the model returned ${preds.length} predictions for ${this.labels.length} rows`);
    return evaluatePredictions(this.manifest.task, this.labels, preds);
  }

  /**
   * Evaluates champion and challenger on the same rows and names the better one on `metric`
   * (lower is better for error metrics); the challenger must beat the champion by `minImprovement`.
   */
  async compare(champion: Predictor, challenger: Predictor, options: { metric: string; minImprovement?: number }): Promise<Comparison> {
    const a = await this.evaluate(champion);
    const b = await this.evaluate(challenger);
    if (!(options.metric in a)) throw new MonitorError('INVALID_OPTION', `GoldenDataset.compare: metric '${options.metric}' is not computed for task '${this.manifest.task}' (available: ${Object.keys(a).join(', ')})`);
    const sign = LOWER_IS_BETTER.has(options.metric) ? -1 : 1;
    const improvement = sign * (b[options.metric] - a[options.metric]);
    return { metric: options.metric, champion: a[options.metric], challenger: b[options.metric], improvement, winner: improvement > (options.minImprovement ?? 0) ? 'challenger' : 'champion', champVersion: this.manifest.version };
  }
}
