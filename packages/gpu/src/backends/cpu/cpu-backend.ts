import type { Activation, AdamParams, Backend, BinaryOp, Broadcast, MatmulParams, ReduceOp, SgdParams, UnaryOp } from '../../backend.js';
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
