import { afterAll, beforeAll } from 'vitest';
import { createGpu, GpuError, type Gpu, type Shape, type Tensor } from '@gantry/gpu';

process.env.XDG_RUNTIME_DIR ??= '/tmp/gantry-xdg';

/** mulberry32: a small seeded PRNG so a failing case can be replayed from its printed seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed per run (printed by the test names/messages), or GANTRY_TEST_SEED to replay one. */
export const SEED = Number(process.env.GANTRY_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));

export function randn(r: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

/** ‖a − b‖ / ‖b‖ (absolute norm when b is all zeros). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    if (Number.isNaN(d)) return Infinity;
    num += d * d;
    den += b[i] * b[i];
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

export async function webgpu(opts: Parameters<typeof createGpu>[0] = {}): Promise<Gpu> {
  const gpu = await createGpu({ backend: 'webgpu', ...opts });
  if (gpu.backend !== 'webgpu') throw new Error('expected the webgpu backend');
  return gpu;
}

/** Fills and frees a buffer of this size with NaN, so the pool hands the poisoned buffer to the next output of the same size. */
export function poison(gpu: Gpu, shape: Shape): void {
  gpu.full(shape, Number.NaN).dispose();
}

export function nanTensor(gpu: Gpu, shape: Shape): Tensor {
  return gpu.full(shape, Number.NaN);
}

/** One WebGPU Gpu and one CPU-reference Gpu for a test file, created before its tests and destroyed after. */
export function withGpus(set: (gpu: Gpu, cpu: Gpu) => void): void {
  let gpu: Gpu | undefined;
  let cpu: Gpu | undefined;
  beforeAll(async () => {
    gpu = await webgpu();
    cpu = await createGpu({ backend: 'cpu' });
    set(gpu, cpu);
  });
  afterAll(() => {
    gpu?.destroy();
    cpu?.destroy();
  });
}

/** The GpuError code `f` throws synchronously, or 'no error'. */
export function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof GpuError)) throw e;
    return e.code;
  }
  return 'no error';
}
