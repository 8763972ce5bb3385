/**
 * Picks the matmul tile for an adapter by timing each candidate once on a mid-sized product,
 * and caches the choice on disk per adapter (vendor, architecture, device, description, tiles
 * version), so only the first process on a machine pays for it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BufferUsage as GPUBufferUsage } from './usage.js';
import { DEFAULT_GENERAL_TILE, MATMUL_CANDIDATES, matmulGrid, matmulKernel, matmulKey, tileKey, type MatmulTile } from './kernels/matmul.js';
import { Params } from './kernels/common.js';
import type { WebGpuBackend } from './webgpu-backend.js';

const CACHE_VERSION = 3;

export function defaultCacheDir(): string {
  return process.env.GANTRY_CACHE_DIR ?? join(homedir(), '.cache', 'gantry');
}

export interface TuneResult {
  /** The fastest tile. */
  tile: MatmulTile;
  /** The fastest tile that runs every shape (subgroup tiles need aligned shapes). */
  general: MatmulTile;
  /** ms per candidate, by tile key. */
  timings: Record<string, number>;
  fromCache: boolean;
  ms: number;
}

function adapterKey(b: WebGpuBackend): string {
  const i = b.info;
  return `v${CACHE_VERSION}|${i.vendor}|${i.architecture}|${i.device}|${i.description}|${MATMUL_CANDIDATES.map(tileKey).join(',')}`;
}

function readCache(file: string): Record<string, { tile: MatmulTile; general: MatmulTile; timings: Record<string, number> }> {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

export async function tuneMatmul(b: WebGpuBackend, cacheDir = defaultCacheDir(), size = 256): Promise<TuneResult> {
  const t0 = performance.now();
  const file = join(cacheDir, 'autotune.json');
  const key = adapterKey(b);
  const cached = readCache(file)[key];
  if (cached?.general) return { tile: cached.tile, general: cached.general, timings: cached.timings, fromCache: true, ms: performance.now() - t0 };

  const dev = b.device;
  const bytes = size * size * 4;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const [A, B, C] = [0, 1, 2].map(() => dev.createBuffer({ size: bytes, usage }));
  const Bias = dev.createBuffer({ size: size * 4, usage });
  const data = new Float32Array(size * size).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  dev.queue.writeBuffer(A, 0, data);
  dev.queue.writeBuffer(B, 0, data);
  const timings: Record<string, number> = {};
  let best: MatmulTile = DEFAULT_GENERAL_TILE;
  let bestMs = Infinity;
  let general: MatmulTile = DEFAULT_GENERAL_TILE;
  let generalMs = Infinity;
  for (const tile of MATMUL_CANDIDATES) {
    if (!b.supportsTile(tile)) continue;
    const v = { tile, transposeA: false, transposeB: false };
    const run = () => {
      const params = new Params(12).u32(size).u32(size).u32(size).u32(0).f32(1).bytes;
      const [gx, gy] = matmulGrid(tile, size, size);
      b.dispatchRaw(matmulKey(v), () => matmulKernel(v), [A, B, Bias, C], params, [gx, gy, 1], 2 * size ** 3);
    };
    try {
      run(); // compiles (lavapipe compiles at first dispatch)
      await b.sync();
      const s = performance.now();
      run();
      run();
      await b.sync();
      const ms = (performance.now() - s) / 2;
      timings[tileKey(tile)] = ms;
      if (ms < bestMs) {
        bestMs = ms;
        best = tile;
      }
      if (tile.family !== 'subgroup' && ms < generalMs) {
        generalMs = ms;
        general = tile;
      }
    } catch {
      timings[tileKey(tile)] = Infinity; // a variant this adapter rejects (workgroup limits)
    }
  }
  for (const x of [A, B, C, Bias]) x.destroy();
  try {
    mkdirSync(cacheDir, { recursive: true });
    const all = readCache(file);
    all[key] = { tile: best, general, timings };
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all, null, 2));
    renameSync(tmp, file);
  } catch {
    // a read-only home: tune again next time
  }
  return { tile: best, general, timings, fromCache: false, ms: performance.now() - t0 };
}
