import { describe, expect, it } from 'vitest';
import { GpuError, VIEW_ALIGN, viewLayout, type Gpu } from '@gantry/gpu';
import { errorCode, randn, rng, SEED, withGpus } from './helpers.js';

// Views (gpu.view): tensors over a range of another tensor's memory. The oracle for every op is
// the same op on separate tensors holding the same values.
let gpu: Gpu;
let cpu: Gpu;
withGpus((g, c) => {
  gpu = g;
  cpu = c;
});
const both = () => [gpu, cpu];
const tag = (x: Gpu, s: string) => `seed=${SEED} ${x.backend} ${s}`;

describe('gpu.view', () => {
  it('lays out tensors at 64-element boundaries', () => {
    expect(viewLayout([3, 64, 65, 1])).toEqual({ offsets: [0, 64, 128, 256], size: 320 });
    expect(viewLayout([])).toEqual({ offsets: [], size: 1 });
    expect(VIEW_ALIGN).toBe(64);
  });

  it('reads and writes through views, and through the base', async () => {
    for (const x of both()) {
      const base = x.zeros([300]);
      const a = x.view(base, 0, [2, 3]);
      const b = x.view(base, 64, [10]);
      const c = x.view(base, 128, [172]);
      x.write(a, [1, 2, 3, 4, 5, 6]);
      x.write(b, [7, 8], 3);
      x.write(c, Float32Array.from({ length: 172 }, (_, i) => -i));
      const all = await base.read();
      expect(Array.from(all.subarray(0, 8)), tag(x, 'a')).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
      expect(Array.from(all.subarray(64, 74)), tag(x, 'b')).toEqual([0, 0, 0, 7, 8, 0, 0, 0, 0, 0]);
      expect(all[128 + 171], tag(x, 'c')).toBe(-171);
      expect(Array.from(await b.read())).toEqual([0, 0, 0, 7, 8, 0, 0, 0, 0, 0]);
      x.write(base, [9], 65);
      expect((await b.read())[1], tag(x, 'base write seen by the view')).toBe(9);
      // a view of a view composes the offsets
      const cc = x.view(c, 64, [4]);
      expect(Array.from(await cc.read())).toEqual([-64, -65, -66, -67]);
      base.dispose();
    }
  });

  it('ops take views as inputs and outputs, with the same results as separate tensors', async () => {
    const r = rng(SEED + 3);
    for (const x of both()) {
      const A = randn(r, 5 * 7), B = randn(r, 7 * 3), bias = randn(r, 3), u = randn(r, 21);
      // inputs in one base, outputs in another: WebGPU forbids reading and writing one buffer in a dispatch
      const ins = x.full([512], Number.NaN);
      const outs = x.full([512], Number.NaN);
      const va = x.view(ins, 0, [5, 7]);
      const vb = x.view(ins, 64, [7, 3]);
      const vbias = x.view(ins, 128, [3]);
      const vu = x.view(ins, 192, [7, 3]);
      const vout = x.view(outs, 0, [5, 3]);
      const vadd = x.view(outs, 64, [7, 3]);
      const vcopy = x.view(outs, 128, [3]);
      x.write(va, A);
      x.write(vb, B);
      x.write(vbias, bias);
      x.write(vu, u);
      x.matmul(va, vb, { bias: vbias, activation: 'relu', out: vout });
      const vsum = x.sum(vout, 0);
      x.add(vb, vu, vadd);
      x.copy(vbias, vcopy);
      const ref = x.matmul(x.tensor(A, [5, 7]), x.tensor(B, [7, 3]), { bias: x.tensor(bias, [3]), activation: 'relu' });
      expect(Array.from(await vout.read()), tag(x, 'matmul')).toEqual(Array.from(await ref.read()));
      expect(Array.from(await vsum.read()), tag(x, 'sum of a view')).toEqual(Array.from(await x.sum(ref, 0).read()));
      expect(Array.from(await vadd.read()), tag(x, 'add')).toEqual(Array.from(await x.add(x.tensor(B, [7, 3]), x.tensor(u, [7, 3])).read()));
      expect(Array.from(await vcopy.read()), tag(x, 'copy')).toEqual(Array.from(Float32Array.from(bias)));
      // the elements between views are untouched
      const all = await outs.read();
      expect([all[15], all[64 + 21], all[131], all[511]].every(Number.isNaN), tag(x, 'padding untouched')).toBe(true);
      // several outputs in one base are fine (kernel B of denseGradients writes dW and db so)
      ins.dispose();
      outs.dispose();
    }
  });

  it('webgpu refuses an op that reads and writes views of one base, with a typed error', async () => {
    const base = gpu.zeros([128]);
    const a = gpu.view(base, 0, [4]);
    const b = gpu.view(base, 64, [4]);
    let err: unknown;
    try {
      gpu.add(a, a, b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).code).toBe('BAD_ARGUMENT');
    expect((err as GpuError).message).toMatch(/read and write the same buffer/);
    // the device is still usable
    expect(Array.from(await gpu.add(a, a).read())).toEqual([0, 0, 0, 0]);
    base.dispose();
  });

  it('one Adam step over a flat buffer equals per-tensor steps (zero padding stays zero)', async () => {
    const r = rng(SEED + 5);
    for (const x of both()) {
      const sizes = [32 * 4, 4, 4 * 2, 2];
      const { offsets, size } = viewLayout(sizes);
      const flat = { p: x.zeros([size]), g: x.zeros([size]), m: x.zeros([size]), v: x.zeros([size]) };
      const sep = sizes.map((n) => ({ p: x.tensor(randn(r, n), [n]), g: x.zeros([n]), m: x.zeros([n]), v: x.zeros([n]) }));
      const views = sizes.map((n, i) => ({ p: x.view(flat.p, offsets[i], [n]), g: x.view(flat.g, offsets[i], [n]) }));
      for (let i = 0; i < sizes.length; i++) x.copy(sep[i].p, views[i].p);
      for (let step = 1; step <= 3; step++) {
        for (let i = 0; i < sizes.length; i++) {
          const g = randn(r, sizes[i]);
          x.write(sep[i].g, g);
          x.write(views[i].g, g);
          x.adamStep(sep[i].p, sep[i].g, sep[i].m, sep[i].v, { lr: 0.01, step });
        }
        x.adamStep(flat.p, flat.g, flat.m, flat.v, { lr: 0.01, step });
      }
      for (let i = 0; i < sizes.length; i++) expect(Array.from(await views[i].p.read()), tag(x, `tensor ${i}`)).toEqual(Array.from(await sep[i].p.read()));
      const all = await flat.p.read();
      const pad = [...all.subarray(offsets[0] + sizes[0], offsets[1]), ...all.subarray(offsets[3] + sizes[3])];
      expect(pad.every((v) => v === 0), tag(x, 'padding')).toBe(true);
      for (const t of Object.values(flat)) t.dispose();
      for (const s of sep) for (const t of Object.values(s)) t.dispose();
    }
  });

  it('refuses misaligned or out-of-range views and a disposed base; disposing a view frees nothing', async () => {
    for (const x of both()) {
      const base = x.tensor(Float32Array.from({ length: 200 }, (_, i) => i));
      expect(errorCode(() => x.view(base, 10, [4]))).toBe('BAD_ARGUMENT');
      expect(errorCode(() => x.view(base, -64, [4]))).toBe('BAD_ARGUMENT');
      expect(errorCode(() => x.view(base, 128, [73]))).toBe('SHAPE_MISMATCH');
      const before = x.memory().tensors;
      const v = x.view(base, 128, [72]);
      expect(x.memory().tensors).toBe(before + 1);
      v.dispose();
      expect(x.memory().tensors).toBe(before);
      expect((await base.read())[199], tag(x, 'base alive after its view is disposed')).toBe(199);
      const w = x.view(base, 64, [2]);
      const ww = x.view(w, 0, [1]);
      const counted = x.memory().tensors;
      base.dispose();
      expect(w.isDisposed).toBe(true);
      // a base takes its views (and theirs) with it: nothing stays counted as live
      expect(x.memory().tensors).toBe(counted - 3);
      expect(ww.isDisposed).toBe(true);
      expect(errorCode(() => x.add(w, w))).toBe('DISPOSED');
      expect(errorCode(() => x.view(base, 0, [1]))).toBe('DISPOSED');
      // views made in a scope are disposed by it; their base is not
      const keep = x.zeros([64]);
      x.scope(() => x.view(keep, 0, [8]) && undefined);
      expect(keep.isDisposed).toBe(false);
      keep.dispose();
    }
  });
});
