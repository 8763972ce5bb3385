/**
 * bench gpu: the adapter's ceilings, matmul, an MLP forward pass and a training step on
 * @gantry/gpu, and the same work on tfjs-webgpu (same Dawn adapter), tfjs-wasm and
 * onnxruntime-node in the same run. Every timed Gantry result is checked against the CPU
 * reference backend.
 */
import { createGpu, fmaKernel, copyKernel, WebGpuBackend, type Gpu, type Tensor } from '@gantry/gpu';
import { median, ratioRow, type BenchContext, type BenchRow } from '../lib/report.js';
import { threadCpuMs } from '../lib/thread-cpu.js';
import { onnxModel } from '../lib/onnx-min.js';
import { ort, tfWasm, tfWebgpu, type Tf } from '../gpu/peers.js';

process.env.XDG_RUNTIME_DIR ??= '/tmp/gantry-xdg';

let headerText = '';
export const header = () => headerText;

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / (den || 1));
}

/** Median seconds per call of an async op, after `warm` untimed calls, over `reps` calls or `minMs`. */
async function timeIt(fn: () => Promise<unknown>, reps: number, warm = 1, minMs = 0): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < reps || performance.now() - start < minMs) {
    const s = performance.now();
    await fn();
    ts.push((performance.now() - s) / 1000);
    if (ts.length > 10_000) break;
  }
  return median(ts);
}

interface Mlp {
  dims: number[];
  w: Float32Array[];
  b: Float32Array[];
}
const MLP_DIMS = [64, 256, 256, 10];
function makeMlp(): Mlp {
  const w: Float32Array[] = [], b: Float32Array[] = [];
  for (let l = 0; l + 1 < MLP_DIMS.length; l++) {
    w.push(rand(MLP_DIMS[l] * MLP_DIMS[l + 1], 100 + l, Math.sqrt(6 / MLP_DIMS[l])));
    b.push(rand(MLP_DIMS[l + 1], 200 + l, 0.1));
  }
  return { dims: MLP_DIMS, w, b };
}

/** The forward pass as a serving path runs it: gpu.mlpForward (one fused kernel for a few rows, one fused matmul per layer otherwise). */
function gantryForward(gpu: Gpu, W: Tensor[], B: Tensor[], x: Tensor): Tensor {
  return gpu.mlpForward(x, W.map((w, l) => ({ weight: w, bias: B[l], activation: l + 1 < W.length ? ('relu' as const) : ('none' as const) })));
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const t0 = performance.now();
  const gpu = await createGpu({ backend: 'auto' });
  const cpu = await createGpu({ backend: 'cpu' });
  const info = gpu.info;
  const createMs = performance.now() - t0;
  const warm = await gpu.warmup(['none', 'relu']);
  headerText = `Adapter: ${info.backend} ${info.adapter ? `${info.adapter.vendor} / ${info.adapter.architecture} / ${info.adapter.description} (software: ${info.adapter.isSoftware})` : ''}; matmul tile ${info.matmul?.tile ?? '-'} (general ${info.matmul?.general ?? '-'}, ${info.matmul?.fromCache ? 'from the autotune cache' : `tuned in ${info.matmul?.tunedMs?.toFixed(0)} ms`}); warm-up ${warm.ms.toFixed(0)} ms for ${warm.pipelines} pipelines.`;
  ctx.log(headerText);
  rows.push({ name: 'device + autotune', value: createMs, unit: 'ms', note: info.matmul?.fromCache ? 'autotune from cache' : 'autotune ran' });
  rows.push({ name: 'pipeline warm-up', value: warm.ms, unit: 'ms', note: `${warm.pipelines} pipelines compiled` });

  // ---- ceilings ---------------------------------------------------------------------------
  let fmaGflops = NaN;
  if (gpu._backend instanceof WebGpuBackend) {
    const b = gpu._backend;
    const threads = 256 * 256;
    const out = b.device.createBuffer({ size: threads * 16, usage: 0x80 | 0x4 });
    const iters = ctx.quick ? 1000 : 4000;
    const fma = async () => {
      b.dispatchRaw('bench:fma', fmaKernel, [out], new Uint32Array([iters, 0, 0, 0]).buffer, [256, 1, 1]);
      await b.sync();
    };
    const sec = await timeIt(fma, 3, 1);
    fmaGflops = (threads * iters * 64 * 2) / sec / 1e9;
    rows.push({ name: 'ceiling: FMA', value: fmaGflops, unit: 'GFLOP/s', note: '8 independent vec4 FMA chains per invocation' });

    const n4 = (ctx.quick ? 4 : 16) * 1024 * 1024 / 4; // vec4s: 16 or 64 MiB
    const src = b.device.createBuffer({ size: n4 * 16, usage: 0x80 | 0x8 });
    const dst = b.device.createBuffer({ size: n4 * 16, usage: 0x80 | 0x4 });
    const groups = Math.ceil(n4 / 256);
    const gx = Math.min(groups, 65535), gy = Math.ceil(groups / gx);
    const copy = async () => {
      b.dispatchRaw('bench:copy', copyKernel, [src, dst], new Uint32Array([n4, 0, 0, 0]).buffer, [gx, gy, 1]);
      await b.sync();
    };
    const csec = await timeIt(copy, 5, 1);
    rows.push({ name: 'ceiling: copy', value: (n4 * 32) / csec / 1e9, unit: 'GB/s', note: 'bytes read + written' });
    const one = gpu.tensor([1]);
    const rt = await timeIt(async () => {
      const o = gpu.add(one, one);
      await o.read();
      o.dispose();
    }, ctx.quick ? 100 : 400, 10);
    rows.push({ name: 'ceiling: submit + readback round trip', value: rt * 1e6, unit: 'µs' });
  }

  // ---- peers ------------------------------------------------------------------------------
  const peers: { name: string; tf?: Tf; error?: string }[] = [];
  for (const [name, load] of [['tfjs-webgpu', tfWebgpu], ['tfjs-wasm', tfWasm]] as const) {
    try {
      peers.push({ name, tf: await load() });
    } catch (e) {
      peers.push({ name, error: (e as Error).message });
      rows.push({ name: `${name} peer`, value: NaN, unit: '', note: `skipped: ${(e as Error).message.slice(0, 120)}` });
    }
  }
  let ortMod: Awaited<ReturnType<typeof ort>> | undefined;
  try {
    ortMod = await ort();
  } catch (e) {
    rows.push({ name: 'onnxruntime-node peer', value: NaN, unit: '', note: `skipped: ${(e as Error).message.slice(0, 120)}` });
  }

  /** Times `fn` on one tfjs backend (switching backends between suites of calls). */
  async function onTf(p: { name: string; tf?: Tf }, fn: (tf: Tf) => Promise<number>): Promise<number | undefined> {
    if (!p.tf) return undefined;
    await p.tf.setBackend(p.name === 'tfjs-webgpu' ? 'webgpu' : 'wasm');
    await p.tf.ready();
    return fn(p.tf);
  }

  // ---- matmul -----------------------------------------------------------------------------
  const sizes = ctx.quick ? [256, 512] : [256, 512, 1024, 2048];
  for (const N of sizes) {
    const a = rand(N * N, N), bm = rand(N * N, N + 1);
    const ta = gpu.tensor(a, [N, N]), tb = gpu.tensor(bm, [N, N]);
    const reps = N >= 1024 ? 5 : 10;
    const mm = async () => {
      const o = gpu.matmul(ta, tb);
      await gpu.sync();
      o.dispose();
    };
    const sec = await timeIt(mm, reps, 1);
    const gflops = (2 * N ** 3) / sec / 1e9;
    const check = await gpu.matmul(ta, tb).read();
    const ref = await cpu.matmul(cpu.tensor(a, [N, N]), cpu.tensor(bm, [N, N])).read();
    const err = relErr(check, ref);
    rows.push({ name: `matmul ${N}³ vs CPU reference`, value: err, unit: 'rel err', bar: '<= 1e-5', pass: err <= 1e-5 });
    rows.push(ratioRow(`matmul ${N}³ / FMA ceiling`, gflops, fmaGflops, 'GFLOP/s', N === 1024 ? 0.3 : undefined));

    if (N === 1024 || (ctx.quick && N === 512)) {
      // Main-thread CPU while awaiting: the thread that runs JS, not lavapipe's workers.
      let cpuMs = 0, wallMs = 0;
      for (let i = 0; i < 5; i++) {
        const o = gpu.matmul(ta, tb);
        gpu.flush();
        const c0 = threadCpuMs(), w0 = performance.now();
        await gpu.sync();
        wallMs += performance.now() - w0;
        const c1 = threadCpuMs();
        if (c0 !== undefined && c1 !== undefined) cpuMs += c1 - c0;
        o.dispose();
      }
      rows.push({ name: `main-thread CPU while awaiting matmul ${N}³`, value: cpuMs / wallMs, unit: 'fraction of wall', bar: '<= 0.25', pass: cpuMs / wallMs <= 0.25 });
    }

    for (const p of peers) {
      const peerSec = await onTf(p, async (tf) => {
        const pa = tf.tensor2d(a, [N, N]), pb = tf.tensor2d(bm, [N, N]);
        const s = await timeIt(async () => {
          const o = tf.matMul(pa, pb);
          await o.data();
          o.dispose();
        }, N >= 1024 ? 3 : 5, 1);
        pa.dispose();
        pb.dispose();
        return s;
      });
      if (peerSec !== undefined) rows.push(ratioRow(`matmul ${N}³ vs ${p.name}`, gflops, (2 * N ** 3) / peerSec / 1e9, 'GFLOP/s', p.name === 'tfjs-webgpu' && N === 1024 ? 2 : undefined));
    }
    if (ortMod) {
      const model = onnxModel({ inDim: N, outDim: N, output: 'y', nodes: [{ op: 'MatMul', inputs: ['x', 'B'], output: 'y' }], initializers: { B: { dims: [N, N], data: bm } } });
      const sess = await ortMod.InferenceSession.create(model);
      const feeds = { x: new ortMod.Tensor('float32', a, [N, N]) };
      const s = await timeIt(() => sess.run(feeds), N >= 1024 ? 3 : 5, 1);
      rows.push(ratioRow(`matmul ${N}³ vs onnxruntime-node (CPU)`, gflops, (2 * N ** 3) / s / 1e9, 'GFLOP/s'));
    }
    ta.dispose();
    tb.dispose();
  }

  // ---- MLP forward ------------------------------------------------------------------------
  const mlp = makeMlp();
  const W = mlp.w.map((w, l) => gpu.tensor(w, [MLP_DIMS[l], MLP_DIMS[l + 1]]));
  const Bs = mlp.b.map((b) => gpu.tensor(b, [b.length]));
  const cW = mlp.w.map((w, l) => cpu.tensor(w, [MLP_DIMS[l], MLP_DIMS[l + 1]]));
  const cB = mlp.b.map((b) => cpu.tensor(b, [b.length]));
  const batches = ctx.quick ? [1, 64, 1024] : [1, 64, 1024, 8192];
  for (const batch of batches) {
    const x = rand(batch * 64, 7 + batch);
    // A serving call: upload the batch, three fused layers, read the logits back.
    const call = async () => {
      const tx = gpu.tensor(x, [batch, 64]);
      const o = gantryForward(gpu, W, Bs, tx);
      const r = await o.read();
      tx.dispose();
      o.dispose();
      return r;
    };
    const sec = await timeIt(call, batch <= 64 ? 200 : 20, 3, batch <= 64 ? 300 : 0);
    const got = await call();
    const ref = await gantryForward(cpu, cW, cB, cpu.tensor(x, [batch, 64])).read();
    const err = relErr(got, ref);
    rows.push({ name: `MLP forward batch ${batch} vs CPU reference`, value: err, unit: 'rel err', bar: '<= 1e-5', pass: err <= 1e-5 });
    if (batch === 1) rows.push({ name: 'MLP forward batch 1 latency (median)', value: sec * 1e3, unit: 'ms', bar: '<= 0.5 ms', pass: sec * 1e3 <= 0.5 });
    const rps = batch / sec;
    rows.push({ name: `MLP forward batch ${batch}`, value: rps, unit: 'rows/s', note: `latency ${(sec * 1e3).toFixed(3)} ms` });
    for (const p of peers) {
      const peerSec = await onTf(p, async (tf) => {
        const pw = mlp.w.map((w, l) => tf.tensor2d(w, [MLP_DIMS[l], MLP_DIMS[l + 1]]));
        const pb = mlp.b.map((b) => tf.tensor1d(b));
        const s = await timeIt(async () => {
          const o = tf.tidy(() => {
            let h = tf.tensor2d(x, [batch, 64]);
            for (let l = 0; l < pw.length; l++) {
              h = tf.add(tf.matMul(h, pw[l]), pb[l]);
              if (l + 1 < pw.length) h = tf.relu(h);
            }
            return h;
          });
          await o.data();
          o.dispose();
        }, batch <= 64 ? 100 : 10, 3, batch <= 64 ? 300 : 0);
        pw.forEach((t) => t.dispose());
        pb.forEach((t) => t.dispose());
        return s;
      });
      if (peerSec !== undefined) rows.push(ratioRow(`MLP forward batch ${batch} vs ${p.name}`, rps, batch / peerSec, 'rows/s', p.name === 'tfjs-webgpu' && batch >= 1024 ? 2 : undefined));
    }
    if (ortMod) {
      const nodes: { op: 'MatMul' | 'Add' | 'Relu'; inputs: string[]; output: string }[] = [];
      const inits: Record<string, { dims: number[]; data: Float32Array }> = {};
      let h = 'x';
      for (let l = 0; l < mlp.w.length; l++) {
        inits[`W${l}`] = { dims: [MLP_DIMS[l], MLP_DIMS[l + 1]], data: mlp.w[l] };
        inits[`b${l}`] = { dims: [MLP_DIMS[l + 1]], data: mlp.b[l] };
        nodes.push({ op: 'MatMul', inputs: [h, `W${l}`], output: `m${l}` });
        nodes.push({ op: 'Add', inputs: [`m${l}`, `b${l}`], output: l + 1 < mlp.w.length ? `a${l}` : 'y' });
        if (l + 1 < mlp.w.length) nodes.push({ op: 'Relu', inputs: [`a${l}`], output: `h${l}` });
        h = `h${l}`;
      }
      const sess = await ortMod.InferenceSession.create(onnxModel({ inDim: 64, outDim: 10, output: 'y', nodes, initializers: inits }));
      const feeds = { x: new ortMod.Tensor('float32', x, [batch, 64]) };
      const out = (await sess.run(feeds)).y.data as Float32Array;
      const oerr = relErr(out, ref);
      const s = await timeIt(() => sess.run(feeds), batch <= 64 ? 200 : 20, 3, batch <= 64 ? 300 : 0);
      rows.push(ratioRow(`MLP forward batch ${batch} vs onnxruntime-node (CPU)`, rps, batch / s, 'rows/s', undefined, `ort vs CPU reference ${oerr.toExponential(1)}`));
    }
  }

  // ---- training step ----------------------------------------------------------------------
  const batch = 1024;
  const steps = ctx.quick ? 5 : 20;
  const xs = rand(batch * 64, 99);
  const labels = Float32Array.from({ length: batch }, (_, i) => (i * 7) % 10);
  const trainSec = await trainGantry(gpu, mlp, xs, labels, batch, steps);
  rows.push({ name: `MLP training step batch ${batch} (Adam)`, value: batch / trainSec, unit: 'rows/s', note: `${(trainSec * 1e3).toFixed(1)} ms/step; loss read every 10 steps` });
  for (const p of peers) {
    const peerSec = await onTf(p, (tf) => trainTf(tf, mlp, xs, labels, batch, steps));
    if (peerSec !== undefined) rows.push(ratioRow(`MLP training step vs ${p.name}`, batch / trainSec, batch / peerSec, 'rows/s'));
  }

  gpu.destroy();
  cpu.destroy();
  return rows;
}

/** Forward, softmax cross-entropy, backward and Adam for every layer on the device; one sync at the end. */
async function trainGantry(gpu: Gpu, mlp: Mlp, xs: Float32Array, labels: Float32Array, batch: number, steps: number): Promise<number> {
  const L = mlp.w.length;
  const W = mlp.w.map((w, l) => gpu.tensor(w, [MLP_DIMS[l], MLP_DIMS[l + 1]]));
  const B = mlp.b.map((b) => gpu.tensor(b, [b.length]));
  const mW = W.map((w) => gpu.zeros(w.shape)), vW = W.map((w) => gpu.zeros(w.shape));
  const mB = B.map((b) => gpu.zeros(b.shape)), vB = B.map((b) => gpu.zeros(b.shape));
  const x = gpu.tensor(xs, [batch, 64]);
  const y = gpu.tensor(labels, [batch]);
  let step = 0;
  const one = () => {
    step++;
    gpu.scope(() => {
      const hs: Tensor[] = [x];
      for (let l = 0; l < L; l++) hs.push(gpu.matmul(hs[l], W[l], { bias: B[l], activation: l + 1 < L ? 'relu' : 'none' }));
      let g = gpu.softmaxCrossEntropy(hs[L], y).grad;
      for (let l = L - 1; l >= 0; l--) {
        const dW = gpu.matmul(hs[l], g, { transposeA: true });
        const db = gpu.sum(g, 0);
        if (l > 0) g = gpu.activationGrad('relu', gpu.matmul(g, W[l], { transposeB: true }), hs[l]);
        gpu.adamStep(W[l], dW, mW[l], vW[l], { lr: 1e-3, step });
        gpu.adamStep(B[l], db, mB[l], vB[l], { lr: 1e-3, step });
      }
    });
  };
  one();
  await gpu.sync();
  const s = performance.now();
  for (let i = 0; i < steps; i++) {
    one();
    if ((i + 1) % 10 === 0) await gpu.sync();
  }
  await gpu.sync();
  return (performance.now() - s) / 1000 / steps;
}

async function trainTf(tf: Tf, mlp: Mlp, xs: Float32Array, labels: Float32Array, batch: number, steps: number): Promise<number> {
  const W = mlp.w.map((w, l) => tf.variable(tf.tensor2d(w, [MLP_DIMS[l], MLP_DIMS[l + 1]])));
  const B = mlp.b.map((b) => tf.variable(tf.tensor1d(b)));
  const x = tf.tensor2d(xs, [batch, 64]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  const one = () =>
    opt.minimize(() => {
      let h: import('@tensorflow/tfjs').Tensor = x;
      for (let l = 0; l < W.length; l++) {
        h = tf.add(tf.matMul(h, W[l]), B[l]);
        if (l + 1 < W.length) h = tf.relu(h);
      }
      return tf.losses.softmaxCrossEntropy(y, h) as import('@tensorflow/tfjs').Scalar;
    }, false);
  one();
  await W[0].data();
  const s = performance.now();
  for (let i = 0; i < steps; i++) one();
  await W[0].data();
  const sec = (performance.now() - s) / 1000 / steps;
  [...W, ...B, x, y].forEach((t) => t.dispose());
  opt.dispose();
  return sec;
}
