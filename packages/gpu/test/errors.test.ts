import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpu, GpuError, WebGpuBackend, type Gpu } from '@gantry/gpu';
import { toGpuError } from '../src/backends/webgpu/webgpu-backend.js';
import { randn, relErr, rng, SEED, webgpu } from './helpers.js';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await webgpu();
});
afterAll(() => gpu.destroy());

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string, msg?: RegExp): Promise<GpuError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a GpuError ${code}`).toBeInstanceOf(GpuError);
  const g = err as GpuError;
  expect(g.code).toBe(code);
  if (msg) expect(g.message).toMatch(msg);
  return g;
}

describe('typed errors', () => {
  it('shape mismatches name the op, the arguments and the shapes', async () => {
    const a = gpu.zeros([3, 4]);
    const b = gpu.zeros([5, 2]);
    await rejectsWith(() => gpu.matmul(a, b), 'SHAPE_MISMATCH', /matmul: inner dimensions differ: a \[3, 4\] has 4, b \[5, 2\] has 5/);
    await rejectsWith(() => gpu.matmul(a, gpu.zeros([4, 2]), { bias: gpu.zeros([3]) }), 'SHAPE_MISMATCH', /bias \[3\] must have shape \[2\]/);
    await rejectsWith(() => gpu.add(a, b), 'SHAPE_MISMATCH', /add: b \[5, 2\] cannot broadcast to a \[3, 4\]/);
    await rejectsWith(() => gpu.tensor([1, 2, 3], [2, 2]), 'SHAPE_MISMATCH', /tensor: data has 3 values but shape \[2, 2\] needs 4/);
    await rejectsWith(() => gpu.softmaxCrossEntropy(a, gpu.zeros([2])), 'SHAPE_MISMATCH', /labels \[2\] must hold one label per row \(3\)/);
    await rejectsWith(() => gpu.sgdStep(a, b, undefined, { lr: 0.1 }), 'SHAPE_MISMATCH', /sgdStep: param \[3, 4\] and grad \[5, 2\]/);
  });

  it('bad arguments name the allowed values', async () => {
    const a = gpu.zeros([2, 2]);
    await rejectsWith(() => gpu.matmul(a, a, { activation: 'swish' as never }), 'BAD_ARGUMENT', /activation must be one of 'none', 'relu', 'sigmoid', 'tanh', 'gelu', got "swish"/);
    await rejectsWith(() => gpu.zeros([2, 0]), 'BAD_ARGUMENT', /shape must be an array of 1 to 4 positive integers/);
    await rejectsWith(() => gpu.sum(a, 2 as never), 'BAD_ARGUMENT', /axis must be 0 or 1/);
    await rejectsWith(() => gpu.adamStep(a, a, a, a, { lr: 0.1, step: 0 }), 'BAD_ARGUMENT', /step must be an integer ≥ 1/);
    await rejectsWith(() => gpu.sgdStep(a, a, undefined, { lr: Number.NaN }), 'BAD_ARGUMENT', /lr must be a finite number ≥ 0/);
    await rejectsWith(() => gpu.sgdStep(a, a, undefined, { lr: 0.1, momentum: 0.9 }), 'BAD_ARGUMENT', /velocity is required/);
    await rejectsWith(createGpu({ backend: 'tpu' as never }), 'BAD_ARGUMENT', /backend must be one of 'auto', 'webgpu', 'cpu', got "tpu"/);
  });

  it('a disposed tensor or one from another Gpu is refused', async () => {
    const a = gpu.zeros([2]);
    a.dispose();
    await rejectsWith(() => gpu.add(a, a), 'DISPOSED', /add: a \[2\] was disposed/);
    await rejectsWith(a.read(), 'DISPOSED');
    const cpu = await createGpu({ backend: 'cpu' });
    await rejectsWith(() => gpu.add(gpu.zeros([2]), cpu.zeros([2])), 'WRONG_GPU', /b \[2\] belongs to another Gpu/);
    cpu.destroy();
    await rejectsWith(() => cpu.zeros([1]), 'DESTROYED');
  });

  it('a WebGPU validation error is caught by an error scope and raised as a GpuError on the next sync', async () => {
    const t = gpu.zeros([4]);
    const broken = '@group(0) @binding(0) var<storage, read_write> o: array<f32>;\n@compute @workgroup_size(1) fn main() { o[0] = no_such_name; }';
    gpu.dispatch({ key: 'broken-test-kernel', code: broken, workgroups: [1] }, [], [t]);
    const e = await rejectsWith(gpu.sync(), 'VALIDATION', /WebGPU validation error in \[[a-z, ]*custom[a-z, ]*\]/);
    expect(e.message.length).toBeGreaterThan(40);
    // The device is still usable afterwards.
    expect(Array.from(await gpu.add(gpu.full([2], 1), gpu.full([2], 2)).read())).toEqual([3, 3]);
  });

  it('custom kernels run and their errors are typed', async () => {
    const x = gpu.tensor([1, 2, 3, 4]);
    const y = gpu.zeros([4]);
    const code = `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
struct P { k: f32, a: f32, b: f32, c: f32 }
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(4) fn main(@builtin(global_invocation_id) g: vec3<u32>) { y[g.x] = x[g.x] * p.k; }`;
    gpu.dispatch({ key: 'scale-test', code, workgroups: [1], params: new Float32Array([3, 0, 0, 0]).buffer }, [x], [y]);
    expect(Array.from(await y.read())).toEqual([3, 6, 9, 12]);
    // a kernel with no uniform block (no params) runs too
    const plain = `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(4) fn main(@builtin(global_invocation_id) g: vec3<u32>) { y[g.x] = x[g.x] + 1.0; }`;
    gpu.dispatch({ key: 'plus-one-test', code: plain, workgroups: [1] }, [x], [y]);
    expect(Array.from(await y.read())).toEqual([2, 3, 4, 5]);
    const cpu = await createGpu({ backend: 'cpu' });
    await rejectsWith(() => gpu.dispatch({ key: 'scale-test', code, workgroups: [1] }, [x], []), 'BAD_ARGUMENT', /declares 2 storage bindings, got 1 inputs and 0 outputs/);
    await rejectsWith(() => cpu.dispatch({ key: 'k', code, workgroups: [1] }, [], []), 'BAD_ARGUMENT', /custom kernels need the webgpu backend/);
    cpu.destroy();
  });

  it('out-of-memory errors map to OUT_OF_MEMORY; a tensor over maxBufferSize is refused up front', async () => {
    const G = globalThis as unknown as { GPUOutOfMemoryError?: new (m: string) => GPUError };
    const { globals } = await import('webgpu');
    const Oom = G.GPUOutOfMemoryError ?? (globals as Record<string, unknown>).GPUOutOfMemoryError as new (m: string) => GPUError;
    const Val = (globals as Record<string, unknown>).GPUValidationError as new (m: string) => GPUError;
    expect(toGpuError(new Oom('allocation failed'), 'matmul').code).toBe('OUT_OF_MEMORY');
    expect(toGpuError(new Val('bad binding'), 'matmul').code).toBe('VALIDATION');
    const max = gpu.info.limits.maxBufferSize;
    await rejectsWith(() => gpu.empty([Math.ceil(max / 4) + 16]), 'OUT_OF_MEMORY', /exceeds the device's maxBufferSize/);
  });

  it('a lost device is re-acquired: old tensors say so, new work runs', async () => {
    const g = await webgpu({ autotune: false, warn: () => {} });
    const old = g.tensor([1, 2, 3]);
    (g._backend as WebGpuBackend).loseDevice();
    await new Promise((r) => setTimeout(r, 50));
    await g.ready();
    expect(g.deviceLosses).toBe(1);
    await rejectsWith(() => g.add(old, old), 'DEVICE_LOST', /lived on a device that was lost/);
    const fresh = g.tensor([1, 2, 3]);
    expect(Array.from(await g.add(fresh, fresh).read())).toEqual([2, 4, 6]);
    g.destroy();
  });
});

describe('chunking past the binding limit', () => {
  it('elementwise, rows, matmul (row and k chunks) and optimizers agree with the CPU reference under a 4 KiB binding cap', async () => {
    const small = await webgpu({ maxBindingBytes: 4096, autotune: false });
    const cpu = await createGpu({ backend: 'cpu' });
    expect(small.info.limits.maxBindingBytes).toBe(4096);
    const r = rng(SEED + 41);
    const [m, k, n] = [300, 40, 24]; // a: 12000 floats = 47 KiB, 12 chunks
    const a = randn(r, m * k);
    const b = randn(r, k * n);
    const bias = randn(r, n);
    const row = randn(r, k);
    for (const x of [small, cpu]) x.scope(() => {});
    const results = await Promise.all(
      [small, cpu].map(async (x) => {
        const ta = x.tensor(a, [m, k]);
        const out = {
          add: await x.add(ta, x.tensor(row, [k])).read(),
          gelu: await x.gelu(ta).read(),
          softmax: await x.softmax(ta).read(),
          sum1: await x.sum(ta, 1).read(),
          argmax: await x.argmax(ta).read(),
          mm: await x.matmul(ta, x.tensor(b, [k, n]), { bias: x.tensor(bias, [n]), activation: 'relu' }).read(),
          mmT: await x.matmul(ta, x.tensor(randn(rng(SEED), m * n), [m, n]), { transposeA: true }).read(),
          sgd: await (async () => {
            const w = x.tensor(a, [m, k]);
            const v = x.zeros([m, k]);
            x.sgdStep(w, ta, v, { lr: 0.1, momentum: 0.9 });
            x.sgdStep(w, ta, v, { lr: 0.1, momentum: 0.9 });
            return w.read();
          })(),
        };
        return out;
      }),
    );
    // Odd row widths put chunk starts off the 256-byte binding alignment (the kernels' offsets).
    const odd = randn(r, 300 * 37);
    const [g, c] = await Promise.all(
      [small, cpu].map(async (x) => {
        const t = x.tensor(odd, [300, 37]);
        return { argmax: await x.argmax(t).read(), softmax: await x.softmax(t).read(), sum: await x.sum(t, 1).read() };
      }),
    );
    expect(Array.from(g.argmax), `seed=${SEED} argmax, odd width`).toEqual(Array.from(c.argmax));
    expect(relErr(g.softmax, c.softmax), `seed=${SEED} softmax, odd width`).toBeLessThanOrEqual(1e-5);
    expect(relErr(g.sum, c.sum), `seed=${SEED} sum, odd width`).toBeLessThanOrEqual(1e-5);
    for (const key of Object.keys(results[0]) as Array<keyof (typeof results)[0]>) {
      expect(relErr(results[0][key], results[1][key]), `seed=${SEED} ${key}`).toBeLessThanOrEqual(1e-5);
    }
    small.destroy();
    cpu.destroy();
  });
});

describe('lifecycle', () => {
  it('scope disposes temporaries and keeps what it returns; a loop does not grow memory', async () => {
    const w = gpu.tensor(randn(rng(SEED), 64 * 32), [64, 32]);
    const x = gpu.tensor(randn(rng(SEED + 1), 16 * 64), [16, 64]);
    const before = gpu.memory().tensors;
    let kept;
    for (let i = 0; i < 20; i++) {
      kept?.dispose();
      kept = gpu.scope(() => {
        const h = gpu.matmul(x, w, { activation: 'relu' });
        const s = gpu.softmax(h);
        return gpu.sum(s, 1);
      });
    }
    expect(gpu.memory().tensors).toBe(before + 1);
    const sums = await kept!.read();
    expect(relErr(sums, new Float32Array(16).fill(1))).toBeLessThan(1e-6);
  });

  it("backend 'webgpu' really runs on WebGPU and says which adapter; 'cpu' says so", async () => {
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.info.adapter?.description.length).toBeGreaterThan(0);
    expect(gpu.info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    const cpu = await createGpu({ backend: 'cpu' });
    expect(cpu.info.backend).toBe('cpu');
    cpu.destroy();
  });

  it('ops queue many dispatches into one submit and do not read back until asked', async () => {
    const m0 = gpu.memory();
    const a = gpu.full([8, 8], 0.5);
    let h = a;
    for (let i = 0; i < 10; i++) h = gpu.matmul(h, a, { activation: 'tanh' });
    const m1 = gpu.memory();
    expect(m1.dispatches - m0.dispatches).toBeGreaterThanOrEqual(11);
    expect(m1.submits - m0.submits).toBeLessThanOrEqual(1); // the upload of `a`'s fill is not a submit
    await h.read();
    expect(gpu.memory().submits - m1.submits).toBe(1);
  });

  it('uniform slots stay correct with thousands of distinct params, within one submit and across resets', async () => {
    // 5000 distinct scalars: past one 64 KiB chunk within a submit, and past the slot cap across submits.
    let x = gpu.zeros([3]);
    let expected = 0;
    for (let i = 1; i <= 5000; i++) {
      const next = gpu.addScalar(x, i * 1e-3);
      x.dispose();
      x = next;
      expected += i * 1e-3;
      if (i % 700 === 0) await gpu.sync();
    }
    const got = await x.read();
    for (const v of got) expect(v / expected).toBeCloseTo(1, 4);
    // Repeated params reuse their slot: the same op twice gives the same answer.
    const a = await gpu.scale(gpu.full([2], 2), 1.5).read();
    const b = await gpu.scale(gpu.full([2], 2), 1.5).read();
    expect(Array.from(a)).toEqual([3, 3]);
    expect(Array.from(b)).toEqual([3, 3]);
  });

  it('warmup compiles the common pipelines and reports the time', async () => {
    const w = await gpu.warmup();
    expect(w.pipelines).toBeGreaterThan(5);
    expect(w.ms).toBeGreaterThan(0);
  });

  it('destroy releases the device; later calls fail with DESTROYED', async () => {
    const g = await webgpu({ autotune: false });
    g.zeros([4]);
    g.destroy();
    await rejectsWith(() => g.zeros([4]), 'DESTROYED');
  });
});
