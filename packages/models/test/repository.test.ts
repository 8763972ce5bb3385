import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpu, type Gpu } from '@gantry/gpu';
import { LogisticRegression, ModelError, ModelRepository } from '../src/index.js';
import { maxAbsDiff, separable } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/put-child.ts', import.meta.url));
const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
let gpu: Gpu;
let root: string;
beforeAll(async () => {
  gpu = await createGpu({ backend: 'cpu' });
  root = mkdtempSync(join(tmpdir(), 'gantry-repo-'));
});
afterAll(() => {
  gpu?.destroy();
  rmSync(root, { recursive: true, force: true });
});

function run(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; signal: string | null; lines: string[] }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', child, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    let err = '';
    p.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        onLine?.(line, () => p.kill('SIGKILL'));
      }
    });
    p.stderr.on('data', (d) => (err += d));
    p.on('error', rej);
    p.on('close', (code, signal) => {
      if (code !== 0 && signal === null) rej(new Error(`child exited ${code}: ${err}`));
      else res({ code, signal, lines });
    });
  });
}

async function fitted(seed: number) {
  const m = new LogisticRegression();
  await m.fit(gpu, separable(60, 3, seed), { epochs: 1, seed });
  return m;
}

describe('ModelRepository', () => {
  it('put / list / versions / get / latest / aliases / delete', async () => {
    const repo = new ModelRepository(join(root, 'basic'));
    expect(repo.list()).toEqual([]);
    const a = await fitted(1);
    const b = await fitted(2);
    expect((await repo.put('churn', a)).version).toBe(1);
    expect((await repo.put('churn', b, { onnx: true })).version).toBe(2);
    expect(readdirSync(join(repo.root, 'churn', '2')).sort()).toEqual(['model.json', 'model.onnx', 'model.safetensors']);
    expect(repo.list()).toEqual(['churn']);
    expect(repo.latest('churn')).toBe(2);
    repo.setAlias('churn', 'production', 1);
    repo.setAlias('churn', 'staging', 2);
    expect(repo.aliases('churn')).toEqual({ production: 1, staging: 2 });
    const prod = await repo.get('churn', 'production');
    expect(maxAbsDiff(prod.weights.weights[0], a.weights.weights[0])).toBe(0);
    const latest = await repo.get('churn');
    expect(maxAbsDiff(latest.weights.weights[0], b.weights.weights[0])).toBe(0);
    expect(repo.describe('churn', 2).kind).toBe('logistic');
    repo.setAlias('churn', 'production', 2);
    expect(repo.versions('churn').map((v) => [v.version, v.aliases.sort()])).toEqual([[1, []], [2, ['production', 'staging']]]);
    expect(() => repo.delete('churn', 2)).toThrow(/aliased as production, staging/);
    repo.delete('churn', 1);
    expect(repo.versions('churn').map((v) => v.version)).toEqual([2]);
    await expect(repo.get('churn', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(repo.get('churn', 'canary')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => repo.setAlias('churn', 'latest', 2)).toThrow(ModelError);
    expect(() => repo.setAlias('churn', 'x', 7)).toThrow(/no version/);
    await expect(repo.put('../evil', a)).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // A deleted number is never handed out again, even when no version is left.
    repo.delete('churn', 2, { force: true });
    expect(repo.aliases('churn')).toEqual({});
    expect(repo.versions('churn')).toEqual([]);
    expect((await repo.put('churn', a)).version).toBe(3);
  });

  it('a failure inside put leaves no visible version and no staging folder', async () => {
    const repo = new ModelRepository(join(root, 'inject'));
    const m = await fitted(3);
    await expect(
      repo.put('m', m, {
        onStaged: (dir) => {
          expect(readdirSync(dir).sort()).toEqual(['model.json', 'model.safetensors']);
          throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
    expect(repo.versions('m')).toEqual([]);
    expect(readdirSync(join(repo.root, 'm'))).toEqual([]);
  });

  it('a writer killed mid-put (SIGKILL) leaves no visible partial version', async () => {
    const dir = join(root, 'crash');
    let staged = '';
    const r = await run([dir, 'm', '1', '1', 'crash'], (line, kill) => {
      if (line.startsWith('STAGED ')) {
        staged = line.slice(7);
        kill();
      }
    });
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(staged)).toBe(true); // the crash really happened with files on disk
    const repo = new ModelRepository(dir);
    expect(repo.versions('m')).toEqual([]);
    expect(repo.list()).toEqual([]);
    expect(repo.gc(0)).toBe(1);
    expect(existsSync(staged)).toBe(false);
    expect((await repo.put('m', await fitted(4))).version).toBe(1);
  });

  it('four processes putting at once get distinct, complete versions', async () => {
    const dir = join(root, 'concurrent');
    const writers = 4;
    const each = 4;
    // A barrier: every child starts its puts when the go file appears, after all are READY.
    const go = join(root, 'go');
    let ready = 0;
    const results = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        run([dir, 'shared', String(w + 1), String(each), 'go:' + go], (line) => {
          if (line === 'READY' && ++ready === writers) writeFileSync(go, '');
        }),
      ),
    );
    const claimed = results.flatMap((r) => r.lines.filter((l) => l.startsWith('PUT ')).map((l) => l.split(' ').slice(1).map(Number)));
    expect(claimed.length).toBe(writers * each);
    const repo = new ModelRepository(dir);
    const versions = repo.versions('shared').map((v) => v.version);
    expect(versions).toEqual(Array.from({ length: writers * each }, (_, i) => i + 1));
    expect(new Set(claimed.map(([v]) => v)).size).toBe(writers * each);
    for (const [version, tag] of claimed) {
      const m = await repo.get('shared', version);
      expect(m.weights.weights[0].every((v) => v === tag)).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'shared', String(version), 'metadata.json'), 'utf8')).tag).toBe(tag);
      expect(existsSync(join(dir, 'shared', String(version), 'model.onnx'))).toBe(true);
    }
    expect(readdirSync(join(dir, 'shared')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 60_000);
});
