import type { Activation, AdamParams, Backend, BinaryOp, Broadcast, DenseGradBuffers, DenseGradParams, MatmulParams, ReduceOp, SgdParams, UnaryOp } from '../../backend.js';
import { activate, activationDerivative, gelu, sigmoid } from './math.js';

type F = Float32Array;

/**
 * Plain TypeScript reference kernels: the oracle of every WGSL kernel's tests and the fallback
 * where no adapter exists. Accumulations run in f64 and round to f32 once.
 */
export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;

  alloc(size: number): F {
    return new Float32Array(size);
  }
  view(s: unknown, offset: number, size: number): F {
    return (s as F).subarray(offset, offset + size);
  }
  free(): void {}
  write(s: unknown, data: F, offset: number): void {
    (s as F).set(data, offset);
  }
  async read(s: unknown, size: number): Promise<F> {
    return (s as F).slice(0, size);
  }
  copy(src: unknown, dst: unknown, size: number): void {
    (dst as F).set((src as F).subarray(0, size));
  }
  fill(dst: unknown, size: number, value: number): void {
    (dst as F).fill(value, 0, size);
  }

  matmul(a_: unknown, b_: unknown, bias_: unknown, out_: unknown, p: MatmulParams): void {
    const a = a_ as F, b = b_ as F, out = out_ as F, bias = bias_ as F | undefined;
    const { m, n, k } = p;
    // A is [m,k] (or [k,m] when transposed), B is [k,n] (or [n,k]).
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let kk = 0; kk < k; kk++) {
        const av = p.transposeA ? a[kk * m + i] : a[i * k + kk];
        if (av === 0) continue;
        if (p.transposeB) for (let j = 0; j < n; j++) acc[j] += av * b[j * k + kk];
        else {
          const row = kk * n;
          for (let j = 0; j < n; j++) acc[j] += av * b[row + j];
        }
      }
      for (let j = 0; j < n; j++) {
        const z = p.alpha * acc[j] + (bias ? bias[j] : 0);
        out[i * n + j] = activate(p.activation, z);
      }
    }
  }

  binary(op: BinaryOp, a_: unknown, b_: unknown, out_: unknown, rows: number, cols: number, bc: Broadcast): void {
    const a = a_ as F, b = b_ as F, out = out_ as F;
    const f = BINARY[op];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const idx = i * cols + j;
        const bv = bc === 'full' ? b[idx] : bc === 'row' ? b[j] : bc === 'col' ? b[i] : b[0];
        out[idx] = f(a[idx], bv);
      }
    }
  }

  unary(op: UnaryOp, a_: unknown, out_: unknown, size: number, alpha: number): void {
    const a = a_ as F, out = out_ as F;
    const f = UNARY[op];
    for (let i = 0; i < size; i++) out[i] = f(a[i], alpha);
  }

  activationGrad(act: Activation, dy_: unknown, z_: unknown, out_: unknown, size: number): void {
    const dy = dy_ as F, z = z_ as F, out = out_ as F;
    for (let i = 0; i < size; i++) out[i] = dy[i] * activationDerivative(act, z[i]);
  }

  softmaxRows(a_: unknown, out_: unknown, rows: number, cols: number): void {
    const a = a_ as F, out = out_ as F;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) mx = Math.max(mx, a[o + j]);
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(a[o + j] - mx);
      for (let j = 0; j < cols; j++) out[o + j] = Math.exp(a[o + j] - mx) / s;
    }
  }

  reduce(op: ReduceOp, a_: unknown, out_: unknown, rows: number, cols: number, axis: 0 | 1): void {
    const a = a_ as F, out = out_ as F;
    const outer = axis === 1 ? rows : cols;
    const len = axis === 1 ? cols : rows;
    for (let o = 0; o < outer; o++) {
      const at = (t: number) => (axis === 1 ? a[o * cols + t] : a[t * cols + o]);
      let s = 0;
      for (let t = 0; t < len; t++) s += at(t);
      if (op === 'sum') out[o] = s;
      else if (op === 'mean') out[o] = s / len;
      else {
        const mean = s / len;
        let q = 0;
        for (let t = 0; t < len; t++) q += (at(t) - mean) ** 2;
        out[o] = q / len;
      }
    }
  }

  argmaxRows(a_: unknown, out_: unknown, rows: number, cols: number): void {
    const a = a_ as F, out = out_ as F;
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let j = 1; j < cols; j++) if (a[i * cols + j] > a[i * cols + best]) best = j;
      out[i] = best;
    }
  }

  softmaxCrossEntropy(l_: unknown, y_: unknown, w_: unknown, loss_: unknown, g_: unknown, rows: number, cols: number): void {
    const logits = l_ as F, labels = y_ as F, w = w_ as F | undefined, loss = loss_ as F, grad = g_ as F;
    let total = 0;
    let wsum = 0;
    for (let i = 0; i < rows; i++) wsum += w ? w[labels[i]] : 1;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      const y = labels[i];
      const wy = w ? w[y] : 1;
      let mx = -Infinity;
      for (let j = 0; j < cols; j++) mx = Math.max(mx, logits[o + j]);
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(logits[o + j] - mx);
      const lse = mx + Math.log(s);
      total += wy * (lse - logits[o + y]);
      for (let j = 0; j < cols; j++) {
        const pj = Math.exp(logits[o + j] - lse);
        grad[o + j] = (wy * (pj - (j === y ? 1 : 0))) / wsum;
      }
    }
    loss[0] = total / wsum;
  }

  binaryCrossEntropy(z_: unknown, t_: unknown, w_: unknown, loss_: unknown, g_: unknown, size: number): void {
    const z = z_ as F, t = t_ as F, w = w_ as F | undefined, loss = loss_ as F, grad = g_ as F;
    let total = 0;
    for (let i = 0; i < size; i++) {
      const wi = w ? w[i] : 1;
      const zi = z[i];
      total += wi * (Math.max(zi, 0) - zi * t[i] + Math.log1p(Math.exp(-Math.abs(zi))));
      grad[i] = (wi * (sigmoid(zi) - t[i])) / size;
    }
    loss[0] = total / size;
  }

  meanSquaredError(p_: unknown, t_: unknown, loss_: unknown, g_: unknown, size: number): void {
    const p = p_ as F, t = t_ as F, loss = loss_ as F, grad = g_ as F;
    let total = 0;
    for (let i = 0; i < size; i++) {
      const d = p[i] - t[i];
      total += d * d;
      grad[i] = (2 * d) / size;
    }
    loss[0] = total / size;
  }

  sgdStep(w_: unknown, g_: unknown, v_: unknown, size: number, p: SgdParams): void {
    const w = w_ as F, g = g_ as F, v = v_ as F;
    for (let i = 0; i < size; i++) {
      let gi = g[i] + p.weightDecay * w[i];
      if (p.momentum !== 0) {
        v[i] = p.momentum * v[i] + gi;
        gi = p.nesterov ? gi + p.momentum * v[i] : v[i];
      }
      w[i] = w[i] - p.lr * gi;
    }
  }

  adamStep(w_: unknown, g_: unknown, m_: unknown, v_: unknown, size: number, p: AdamParams): void {
    const w = w_ as F, g = g_ as F, m = m_ as F, v = v_ as F;
    const bc1 = 1 - p.beta1 ** p.step;
    const bc2 = 1 - p.beta2 ** p.step;
    for (let i = 0; i < size; i++) {
      let gi = g[i];
      let wi = w[i];
      if (p.decoupled) wi *= 1 - p.lr * p.weightDecay;
      else gi += p.weightDecay * wi;
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * gi;
      v[i] = p.beta2 * v[i] + (1 - p.beta2) * gi * gi;
      w[i] = wi - (p.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + p.eps);
    }
  }

  /** The reference runs any shape. */
  denseGradientsUnsupported(): string | undefined {
    return undefined;
  }

  /**
   * Row by row in f64: forward, the loss's gradient w.r.t. the last pre-activation, backward,
   * each row's outer products summed into the parameter gradients; then everything divided by
   * the summed normaliser (rows, elements, or Σ class weights), as the loss ops define the mean.
   */
  denseGradients(buf: DenseGradBuffers, p: DenseGradParams): boolean {
    const { n, dims, acts, loss } = p;
    const L = dims.length - 1;
    const k = dims[L];
    const x = buf.x as F, y = buf.targets as F, sw = buf.sampleWeights as F | undefined, cw = buf.classWeights as F | undefined;
    const W = buf.layers.map(([w]) => w as F);
    const b = buf.layers.map(([, bb]) => bb as F);
    const dW = dims.slice(0, L).map((d, l) => new Float64Array(d * dims[l + 1]));
    const db = dims.slice(1).map((d) => new Float64Array(d));
    const a = dims.map((d) => new Float64Array(d)); // a[0] = input row, a[l] = activation of layer l−1
    const z = dims.slice(1).map((d) => new Float64Array(d));
    const dz = dims.slice(1).map((d) => new Float64Array(d));
    let lossSum = 0;
    let norm = 0;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < dims[0]; i++) a[0][i] = x[r * dims[0] + i];
      for (let l = 0; l < L; l++) {
        const din = dims[l], dout = dims[l + 1];
        for (let j = 0; j < dout; j++) {
          let s = b[l][j];
          for (let i = 0; i < din; i++) s += a[l][i] * W[l][i * dout + j];
          z[l][j] = s;
          if (l < L - 1) a[l + 1][j] = activate(acts[l], s);
        }
      }
      const zl = z[L - 1];
      const g = dz[L - 1];
      const s = sw ? sw[r] : 1;
      if (loss === 'softmaxCrossEntropy') {
        const c = y[r];
        const wy = cw ? cw[c] : 1;
        let mx = -Infinity;
        for (let j = 0; j < k; j++) mx = Math.max(mx, zl[j]);
        let se = 0;
        for (let j = 0; j < k; j++) se += Math.exp(zl[j] - mx);
        const lse = mx + Math.log(se);
        lossSum += s * wy * (lse - zl[c]);
        norm += wy;
        for (let j = 0; j < k; j++) g[j] = s * wy * (Math.exp(zl[j] - lse) - (j === c ? 1 : 0));
      } else {
        for (let j = 0; j < k; j++) {
          const v = zl[j];
          const t = y[r * k + j];
          if (loss === 'binaryCrossEntropy') {
            lossSum += s * (Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v))));
            g[j] = s * (sigmoid(v) - t);
          } else if (loss === 'meanSquaredError') {
            lossSum += s * (v - t) ** 2;
            g[j] = s * 2 * (v - t);
          } else {
            const d = v - t;
            const c = Math.min(Math.max(d, -p.huberDelta), p.huberDelta);
            lossSum += s * c * (d - c / 2);
            g[j] = s * c;
          }
        }
        norm += k;
      }
      for (let l = L - 1; l >= 0; l--) {
        const din = dims[l], dout = dims[l + 1];
        for (let i = 0; i < din; i++) {
          const ai = a[l][i];
          const row = i * dout;
          let da = 0;
          for (let j = 0; j < dout; j++) {
            dW[l][row + j] += ai * dz[l][j];
            da += dz[l][j] * W[l][row + j];
          }
          if (l > 0) dz[l - 1][i] = da * activationDerivative(acts[l - 1], z[l - 1][i]);
        }
        for (let j = 0; j < dout; j++) db[l][j] += dz[l][j];
      }
    }
    for (let l = 0; l < L; l++) {
      const outW = buf.dW[l] as F, outB = buf.db[l] as F;
      for (let i = 0; i < dW[l].length; i++) outW[i] = dW[l][i] / norm;
      for (let j = 0; j < db[l].length; j++) outB[j] = db[l][j] / norm;
    }
    const out = buf.loss as F;
    out[0] = (p.accumulateLoss ? out[0] : 0) + lossSum / norm;
    // an Adam step is left to the caller (adamStep per tensor)
    return false;
  }

  flush(): void {}
  async sync(): Promise<void> {}
  destroy(): void {}
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

const UNARY: Record<UnaryOp, (x: number, alpha: number) => number> = {
  scale: (x, a) => x * a,
  addScalar: (x, a) => x + a,
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  square: (x) => x * x,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => sigmoid(x),
  tanh: (x) => Math.tanh(x),
  gelu: (x) => gelu(x),
};
