import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, GpuError, WebGpuBackend, type Gpu, type MlpLayer } from '@gantry/gpu';
import { randn, relErr, rng, SEED, withGpus } from './helpers.js';

// The fused MLP forward (one dispatch for all layers, a few rows) against the CPU reference.
let gpu: Gpu;
let cpu: Gpu;
withGpus((g, c) => {
  gpu = g;
  cpu = c;
});

function layers(x: Gpu, dims: number[], seed: number): MlpLayer[] {
  const r = rng(seed);
  return dims.slice(0, -1).map((d, l) => ({
    weight: x.tensor(randn(r, d * dims[l + 1], 1 / Math.sqrt(d)), [d, dims[l + 1]]),
    bias: x.tensor(randn(r, dims[l + 1], 0.1), [dims[l + 1]]),
    activation: l + 1 < dims.length - 1 ? ACTIVATIONS[1 + ((seed + l) % 4)] : 'none',
  }));
}

describe('mlpForward', () => {
  it('is fused for a few rows and agrees with the CPU reference on aligned, odd and tail widths', async () => {
    const b = gpu._backend as WebGpuBackend;
    const shapes = [
      [64, 256, 256, 10],
      [13, 37, 5],
      [8, 100, 3],
      [3, 300, 70, 2],
    ];
    for (const [si, dims] of shapes.entries()) {
      for (const m of [1, 5, 8]) {
        if (b.fixedSubgroupSize()) expect(b.mlpFusable(m, dims), `dims ${dims} m ${m}`).toBe(true);
        const x = randn(rng(SEED + m), m * dims[0]);
        const g = await gpu.mlpForward(gpu.tensor(x, [m, dims[0]]), layers(gpu, dims, SEED + si)).read();
        const c = await cpu.mlpForward(cpu.tensor(x, [m, dims[0]]), layers(cpu, dims, SEED + si)).read();
        expect(relErr(g, c), `seed=${SEED} dims=${dims} m=${m}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('falls back to one matmul per layer for more rows or more layers, with the same results', async () => {
    const b = gpu._backend as WebGpuBackend;
    for (const [m, dims] of [[33, [16, 32, 4]], [2, [8, 8, 8, 8, 8]]] as const) {
      expect(b.mlpFusable(m, [...dims])).toBe(false);
      const x = randn(rng(SEED), m * dims[0]);
      const g = await gpu.mlpForward(gpu.tensor(x, [m, dims[0]]), layers(gpu, [...dims], SEED)).read();
      const c = await cpu.mlpForward(cpu.tensor(x, [m, dims[0]]), layers(cpu, [...dims], SEED)).read();
      expect(relErr(g, c), `seed=${SEED} dims=${dims} m=${m}`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('names the layer and the shapes on bad input', () => {
    const l = layers(gpu, [4, 3, 2], SEED);
    expect(() => gpu.mlpForward(gpu.zeros([2, 5]), l)).toThrow(GpuError);
    expect(() => gpu.mlpForward(gpu.zeros([2, 5]), l)).toThrow(/layers\[0\]\.weight \[4, 3\] must be \[5, out\]/);
    expect(() => gpu.mlpForward(gpu.zeros([2, 4]), [])).toThrow(/layers must be a non-empty array/);
  });
});
