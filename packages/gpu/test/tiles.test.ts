import { describe, expect, it } from 'vitest';
import { MATMUL_CANDIDATES, WebGpuBackend, type Gpu } from '@gantry/gpu';
import { nanTensor, randn, relErr, rng, SEED, withGpus } from './helpers.js';

// The autotuner picks one tile per adapter; every candidate must be correct wherever it runs.
let gpu: Gpu;
let cpu: Gpu;
withGpus((g, c) => {
  gpu = g;
  cpu = c;
});

describe('matmul tiles', () => {
  it('the device reports the tile it tuned, and the timings it measured', () => {
    const m = gpu.info.matmul!;
    expect(m.tile).toMatch(/^[rsg]\d/);
    expect(m.general).toMatch(/^[rs]\d/);
    expect(Object.keys(m.timings ?? {}).length).toBeGreaterThan(0);
  });

  const backend = () => gpu._backend as WebGpuBackend;
  const candidates = MATMUL_CANDIDATES.map((t) => [JSON.stringify(t), t] as const);

  it.each(candidates.map(([k, t], i) => [k, t, i] as const))('tile %s against the CPU reference', async (_, tile, index) => {
    const b = backend();
    if (!b.supportsTile(tile)) return; // a subgroup tile on an adapter without a fixed subgroup size: never chosen there
    const saved = [b.matmulTile, b.generalTile];
    b.matmulTile = tile;
    if (tile.family !== 'subgroup') b.generalTile = tile;
    try {
      const r = rng(SEED + 101);
      // NN on aligned, odd and single-row shapes; one transposed layout per tile, rotating (each
      // layout compiles its own pipeline, and lavapipe takes a second or more per pipeline).
      const layouts: Array<[boolean, boolean]> = [[true, false], [false, true], [true, true]];
      const [tA, tB] = layouts[index % layouts.length];
      const shapes: Array<[number, number, number, boolean, boolean]> = [
        [64, 128, 96, false, false],
        [72, 36, 200, false, false],
        [33, 20, 45, false, false],
        [1, 64, 256, false, false],
        [64, 32, 48, tA, tB],
        [36, 20, 30, tA, tB],
      ];
      for (const [m, k, n, tA, tB] of shapes) {
        const a = randn(r, m * k);
        const bb = randn(r, k * n);
        const bias = randn(r, n);
        const run = (x: Gpu) =>
          x.matmul(x.tensor(a, tA ? [k, m] : [m, k]), x.tensor(bb, tB ? [n, k] : [k, n]), { transposeA: tA, transposeB: tB, bias: x.tensor(bias, [n]), activation: 'gelu', out: x === gpu ? nanTensor(gpu, [m, n]) : undefined }).read();
        expect(relErr(await run(gpu), await run(cpu)), `seed=${SEED} tile=${JSON.stringify(tile)} m=${m} k=${k} n=${n}`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      [b.matmulTile, b.generalTile] = saved;
    }
  });

  it('the skinny tile (n ≤ 16), with and without subgroup sharing, on every layout', async () => {
    const b = backend();
    const r = rng(SEED + 103);
    const saved = b.fixedSubgroupSize.bind(b);
    try {
      for (const sg of [saved(), 0]) {
        b.fixedSubgroupSize = () => sg;
        for (const [m, k, n] of [[1, 7, 1], [70, 33, 10], [129, 64, 16], [5, 3, 9]]) {
          for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
            const a = randn(r, m * k);
            const w = randn(r, k * n);
            const run = (x: Gpu) => x.matmul(x.tensor(a, tA ? [k, m] : [m, k]), x.tensor(w, tB ? [n, k] : [k, n]), { transposeA: tA, transposeB: tB, activation: 'sigmoid', out: x === gpu ? nanTensor(gpu, [m, n]) : undefined }).read();
            expect(relErr(await run(gpu), await run(cpu)), `seed=${SEED} skinny sg=${sg} m=${m} k=${k} n=${n} tA=${tA} tB=${tB}`).toBeLessThanOrEqual(1e-5);
          }
        }
      }
    } finally {
      b.fixedSubgroupSize = saved;
    }
  });

  it('the wide tile (m ≤ subgroup size) on every layout, aligned and odd widths', async () => {
    const b = backend();
    if (!b.fixedSubgroupSize()) return; // no fixed subgroup size: the wide tile is never chosen
    const r = rng(SEED + 107);
    for (const [m, k, n] of [[1, 64, 256], [3, 33, 70], [8, 16, 100], [5, 7, 17]]) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
        expect(b.pickTile(m, n, k, tA, tB).family).toBe('wide');
        const a = randn(r, m * k);
        const w = randn(r, k * n);
        const bias = randn(r, n);
        const run = (x: Gpu) => x.matmul(x.tensor(a, tA ? [k, m] : [m, k]), x.tensor(w, tB ? [n, k] : [k, n]), { transposeA: tA, transposeB: tB, bias: x.tensor(bias, [n]), activation: 'tanh', out: x === gpu ? nanTensor(gpu, [m, n]) : undefined }).read();
        expect(relErr(await run(gpu), await run(cpu)), `seed=${SEED} wide m=${m} k=${k} n=${n} tA=${tA} tB=${tB}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });
});
