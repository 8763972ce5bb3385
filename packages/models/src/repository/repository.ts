import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, parseModelJson, writeArtifactFiles, MODEL_JSON, type LoadOptions, type ModelJson } from '../artifact/model-json.js';
import { syncDir, tempSibling, writeAtomic } from '../artifact/fs-atomic.js';
import { ModelError } from '../errors.js';
import type { Model } from '../models/model.js';
import { exportOnnx } from '../onnx/export.js';

/** A version in the repository. */
export interface VersionInfo {
  name: string;
  version: number;
  path: string;
  /** Aliases that point at this version. */
  aliases: string[];
}

export interface PutOptions {
  /** Also write `model.onnx` into the version folder (Triton's onnxruntime backend reads it). */
  onnx?: boolean;
  /** Extra JSON written as `metadata.json` in the version folder. */
  metadata?: Record<string, unknown>;
  /**
   * Called once the version's files are written and fsynced in the hidden staging folder, before
   * it is renamed into place; a crash (or a throw) here leaves no visible version.
   */
  onStaged?: (stagingDir: string) => void | Promise<void>;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ALIAS_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const VERSION_RE = /^[1-9][0-9]{0,15}$/;
const ALIASES = '.aliases';
/** Numbers of deleted versions (empty files), so that a number is never reused. */
const DELETED = '.deleted';

/**
 * Versioned models in a folder laid out as Triton's model repository: `<root>/<name>/<version>/`
 * with integer versions, each an artifact folder (model.json + model.safetensors [+ model.onnx]).
 *
 * - `put` is atomic: the version is written and fsynced in a hidden staging folder beside the
 *   versions and renamed into place, so readers see all of it or none; concurrent writers
 *   (threads or processes) each get their own version number: a rename onto a taken version
 *   fails and the writer takes the next.
 * - Aliases (`production`, `staging`, ...) are one small file each, replaced atomically.
 * - `delete` renames the version out of sight before removing it; its number is never reused.
 */
export class ModelRepository {
  readonly root: string;

  constructor(root: string) {
    if (typeof root !== 'string' || !root) throw new ModelError('BAD_OPTION', `root must be a folder path, got ${JSON.stringify(root)}`);
    this.root = resolve(root);
    mkdirSync(this.root, { recursive: true });
  }

  /** Stores a fitted model as the next version of `name`; returns where it went. */
  async put(name: string, model: Model, options: PutOptions = {}): Promise<VersionInfo> {
    const dir = this.modelDir(name);
    mkdirSync(dir, { recursive: true });
    const staging = tempSibling(join(dir, 'put'), 'staging');
    mkdirSync(staging);
    try {
      const extra: Record<string, Uint8Array | string> = {};
      if (options.onnx) extra['model.onnx'] = exportOnnx(model).bytes;
      if (options.metadata) extra['metadata.json'] = JSON.stringify(options.metadata, null, 2) + '\n';
      writeArtifactFiles(model, staging, extra);
      await options.onStaged?.(staging);
      for (let attempt = 0; attempt < 10_000; attempt++) {
        const version = Math.max(this.versionsOf(dir).at(-1) ?? 0, this.deletedOf(dir)) + 1;
        try {
          renameSync(staging, join(dir, String(version)));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EISDIR') continue;
          throw e;
        }
        syncDir(dir);
        return { name, version, path: join(dir, String(version)), aliases: [] };
      }
      throw new ModelError('CONFLICT', `put ${name}: could not claim a version number after 10000 attempts`);
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      throw e;
    }
  }

  /** Model names (folders holding at least one version). */
  list(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && NAME_RE.test(d.name) && this.versionsOf(join(this.root, d.name)).length > 0)
      .map((d) => d.name)
      .sort();
  }

  /** The versions of a model, oldest first, with their aliases. */
  versions(name: string): VersionInfo[] {
    const dir = this.modelDir(name);
    const aliases = this.aliases(name);
    return this.versionsOf(dir).map((v) => ({ name, version: v, path: join(dir, String(v)), aliases: Object.keys(aliases).filter((a) => aliases[a] === v) }));
  }

  /** The highest version, or undefined when there is none. */
  latest(name: string): number | undefined {
    return this.versionsOf(this.modelDir(name)).at(-1);
  }

  /** Resolves a version number, an alias or 'latest' (the default) to a version. */
  resolve(name: string, ref: number | string = 'latest'): VersionInfo {
    const dir = this.modelDir(name);
    let version: number | undefined;
    if (typeof ref === 'number' || VERSION_RE.test(String(ref))) version = Number(ref);
    else if (ref === 'latest') version = this.latest(name);
    else {
      version = this.aliases(name)[checkAlias(ref)];
      if (version === undefined) throw new ModelError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(ref)} (aliases: ${Object.keys(this.aliases(name)).join(', ') || 'none'})`);
    }
    if (version === undefined || !Number.isInteger(version) || !existsSync(join(dir, String(version)))) {
      throw new ModelError('NOT_FOUND', `model ${name} has no version ${JSON.stringify(ref)} (versions: ${this.versionsOf(dir).join(', ') || 'none'})`);
    }
    const aliases = this.aliases(name);
    return { name, version, path: join(dir, String(version)), aliases: Object.keys(aliases).filter((a) => aliases[a] === version) };
  }

  /** Loads a version (number, alias or 'latest'), validating the artifact. */
  async get(name: string, ref: number | string = 'latest', options?: LoadOptions): Promise<Model> {
    return loadModel(this.resolve(name, ref).path, options);
  }

  /** The model.json of a version, validated. */
  describe(name: string, ref: number | string = 'latest'): ModelJson {
    const p = join(this.resolve(name, ref).path, MODEL_JSON);
    return parseModelJson(readFileSync(p, 'utf8'), p);
  }

  /** Alias → version for a model. */
  aliases(name: string): Record<string, number> {
    const dir = join(this.modelDir(name), ALIASES);
    const out: Record<string, number> = {};
    if (!existsSync(dir)) return out;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue;
      try {
        const v = JSON.parse(readFileSync(join(dir, f), 'utf8')).version;
        if (Number.isInteger(v)) out[f.slice(0, -5)] = v;
      } catch {
        // A file being replaced is never half-written (rename); an unreadable one is skipped.
      }
    }
    return out;
  }

  /** Points `alias` at `version` (atomically replacing where it pointed before). */
  setAlias(name: string, alias: string, version: number): void {
    checkAlias(alias);
    const v = this.resolve(name, version).version;
    const dir = join(this.modelDir(name), ALIASES);
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, `${alias}.json`), JSON.stringify({ version: v, updatedAt: new Date().toISOString() }) + '\n');
  }

  removeAlias(name: string, alias: string): void {
    checkAlias(alias);
    rmSync(join(this.modelDir(name), ALIASES, `${alias}.json`), { force: true });
  }

  /**
   * Deletes a version. A version that an alias points at is refused (CONFLICT) unless
   * `force`, which removes those aliases first.
   */
  delete(name: string, version: number, options: { force?: boolean } = {}): void {
    const info = this.resolve(name, version);
    if (info.aliases.length) {
      if (!options.force) throw new ModelError('CONFLICT', `version ${version} of ${name} is aliased as ${info.aliases.join(', ')}; move the aliases or pass { force: true }`);
      for (const a of info.aliases) this.removeAlias(name, a);
    }
    const tomb = join(this.modelDir(name), DELETED);
    mkdirSync(tomb, { recursive: true });
    writeAtomic(join(tomb, String(version)), '');
    const trash = tempSibling(info.path, 'deleted');
    renameSync(info.path, trash);
    syncDir(this.modelDir(name));
    rmSync(trash, { recursive: true, force: true });
  }

  /** Removes staging and deleted folders left by crashed writers older than `maxAgeMs` (default 1 h). Returns how many. */
  gc(maxAgeMs = 3_600_000): number {
    let n = 0;
    const now = Date.now();
    for (const name of existsSync(this.root) ? readdirSync(this.root) : []) {
      const dir = join(this.root, name);
      if (!NAME_RE.test(name) || !statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) {
        if (!/^\..*\.(staging|deleted|tmp)-/.test(f)) continue;
        const p = join(dir, f);
        if (now - statSync(p).mtimeMs >= maxAgeMs) {
          rmSync(p, { recursive: true, force: true });
          n++;
        }
      }
    }
    return n;
  }

  private modelDir(name: string): string {
    if (typeof name !== 'string' || !NAME_RE.test(name)) throw new ModelError('BAD_OPTION', `name must match ${NAME_RE} (letters, digits, _ . -), got ${JSON.stringify(name)}`);
    return join(this.root, name);
  }

  /** The highest deleted version number (0 when none). */
  private deletedOf(dir: string): number {
    const t = join(dir, DELETED);
    if (!existsSync(t)) return 0;
    return readdirSync(t).filter((f) => VERSION_RE.test(f)).reduce((m, f) => Math.max(m, Number(f)), 0);
  }

  private versionsOf(dir: string): number[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && VERSION_RE.test(d.name))
      .map((d) => Number(d.name))
      .sort((a, b) => a - b);
  }
}

function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS_RE.test(alias) || alias === 'latest') {
    throw new ModelError('BAD_OPTION', `alias must start with a letter and hold letters, digits, _ or - (not 'latest'), got ${JSON.stringify(alias)}`);
  }
  return alias;
}
