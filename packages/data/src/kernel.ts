/**
 * The data-movement kernels of the DataLoader: columnar → row-major transposition and the
 * shuffle buffer's exchange/gather, as WebAssembly (SIMD) functions assembled at run time and
 * specialised for the row layout of one loader (so every row copy is a few unrolled 16-byte
 * moves). A scalar JavaScript implementation of the same functions is the fallback where
 * WebAssembly SIMD is unavailable and the reference the tests compare against.
 *
 * Memory layout is managed by the caller through `alloc`; all pointers are byte offsets into
 * `memory`. Values are moved as 32-bit words, so NaN payloads survive.
 */

export interface KernelLayout {
  /** Bytes of one slot row in the shuffle buffer (multiple of 16): features, then the label. */
  rowBytes: number;
  /** Number of f32 columns in a slot row (features + label). */
  width: number;
  /** Bytes of one output row of x (4 × number of features). */
  xBytes: number;
  /** Byte offset of the label in a slot row, or -1 for none. */
  labelOff: number;
}

export interface Kernels {
  readonly kind: 'wasm-simd' | 'js';
  readonly layout: KernelLayout;
  /** Grows memory so that `bytes` bytes are addressable; returns nothing (views must be refreshed). */
  ensure(bytes: number): void;
  readonly u8: () => Uint8Array;
  readonly i32: () => Int32Array;
  readonly f32: () => Float32Array;
  /** dst row r, column j  ←  column j (pointer colTable[j]) row r, for r < n; dst rows are `rowBytes` apart. */
  transposeRows(colTable: number, n: number, dst: number): void;
  /** Same into x rows (`xBytes` apart) for the first `width - (label ? 1 : 0)` columns. */
  transposeX(colTable: number, n: number, dst: number): void;
  /**
   * The shuffle buffer's steady state, for k < n: draw slot s uniformly in [0, slots) with the
   * sfc32 generator whose 4-word state is at `rng`; x row k ← slot s features, y[k] ← its label;
   * slot s ← incoming row k, read from the columns of `colTable`.
   */
  exchange(colTable: number, n: number, buf: number, outX: number, outY: number, rng: number, slots: number): void;
  /** For k < n: x row k ← buf row idx[k] features; y[k] ← its label. */
  gather(buf: number, n: number, idx: number, outX: number, outY: number): void;
}

// ---------------------------------------------------------------- a tiny WebAssembly assembler

const I32 = 0x7f;
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  let more = true;
  while (more) {
    let b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) more = false;
    else b |= 0x80;
    out.push(b);
  }
  return out;
}
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}
function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}
function str(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

/** Instruction helpers (each returns bytes). */
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  c: (v: number) => [0x41, ...sleb(v | 0)],
  add: [0x6a],
  mul: [0x6c],
  ltu: [0x49],
  eqz: [0x45],
  load: (off = 0) => [0x28, 2, ...uleb(off)],
  store: (off = 0) => [0x36, 2, ...uleb(off)],
  vload: (off = 0) => [0xfd, ...uleb(0), 0, ...uleb(off)],
  vstore: (off = 0) => [0xfd, ...uleb(11), 0, ...uleb(off)],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (l: number) => [0x0d, ...uleb(l)],
};

/** `for (k = 0; k < n; k++) body` with k in local `k`, n in local `n`. */
function forLoop(k: number, n: number, body: number[]): number[] {
  return [
    ...op.c(0), ...op.set(k),
    ...op.block,
    ...op.get(n), ...op.eqz, ...op.brIf(0),
    ...op.loop,
    ...body,
    ...op.get(k), ...op.c(1), ...op.add, ...op.tee(k), ...op.get(n), ...op.ltu, ...op.brIf(0),
    ...op.end,
    ...op.end,
  ];
}

/** Copies `bytes` (multiple of 4) from address on stack-producing `src` to `dst` with constant offsets. */
function copyBytes(dstLocal: number, srcLocal: number, bytes: number, srcOff = 0, dstOff = 0): number[] {
  const out: number[] = [];
  let o = 0;
  for (; o + 16 <= bytes; o += 16) out.push(...op.get(dstLocal), ...op.get(srcLocal), ...op.vload(srcOff + o), ...op.vstore(dstOff + o));
  for (; o < bytes; o += 4) out.push(...op.get(dstLocal), ...op.get(srcLocal), ...op.load(srcOff + o), ...op.store(dstOff + o));
  return out;
}

function addConst(local: number, v: number): number[] {
  return [...op.get(local), ...op.c(v), ...op.add, ...op.set(local)];
}

function buildModule(L: KernelLayout): Uint8Array {
  const feat = L.labelOff >= 0 ? L.width - 1 : L.width;
  const hasLabel = L.labelOff >= 0;

  // transposeRows(colTable, n, dst) — locals: 3 = k, 4 = kk (k*4), 5 = d (row ptr), 6.. = column pointers
  const transpose = (ncols: number, stride: number): number[] => {
    const body: number[] = [];
    for (let j = 0; j < ncols; j++) body.push(...op.get(0), ...op.load(4 * j), ...op.set(6 + j));
    body.push(...op.get(2), ...op.set(5), ...op.c(0), ...op.set(4));
    const inner: number[] = [];
    for (let j = 0; j < ncols; j++) inner.push(...op.get(5), ...op.get(6 + j), ...op.get(4), ...op.add, ...op.load(0), ...op.store(4 * j));
    inner.push(...addConst(4, 4), ...addConst(5, stride));
    body.push(...forLoop(3, 1, inner));
    return [...vec([[...uleb(3 + ncols), I32]]), ...body, ...op.end];
  };

  // exchange(colTable, n, buf, outX, outY, rng, slots) — locals: 7 k, 8 kk, 9 s, 10 xo, 11 yo,
  // 12 a, 13 b, 14 c, 15 d, 16 t, 17.. column pointers
  const exchange = (): number[] => {
    const P = 17;
    const body: number[] = [];
    for (let j = 0; j < L.width; j++) body.push(...op.get(0), ...op.load(4 * j), ...op.set(P + j));
    for (let q = 0; q < 4; q++) body.push(...op.get(5), ...op.load(4 * q), ...op.set(12 + q));
    body.push(...op.get(3), ...op.set(10), ...op.get(4), ...op.set(11), ...op.c(0), ...op.set(8));
    const inner: number[] = [
      // sfc32: t = a + b + d; d += 1; a = b ^ (b >>> 9); b = c + (c << 3); c = rotl(c, 21) + t
      ...op.get(12), ...op.get(13), ...op.add, ...op.get(15), ...op.add, ...op.set(16),
      ...op.get(15), ...op.c(1), ...op.add, ...op.set(15),
      ...op.get(13), ...op.get(13), ...op.c(9), 0x76, 0x73, ...op.set(12),
      ...op.get(14), ...op.get(14), ...op.c(3), 0x74, ...op.add, ...op.set(13),
      ...op.get(14), ...op.c(21), 0x77, ...op.get(16), ...op.add, ...op.set(14),
      // s = buf + ((u64(t) * slots) >> 32) * rowBytes
      ...op.get(2),
      ...op.get(16), 0xad, ...op.get(6), 0xad, 0x7e, 0x42, ...sleb(32), 0x88, 0xa7,
      ...op.c(L.rowBytes), ...op.mul, ...op.add, ...op.set(9),
      ...copyBytes(10, 9, L.xBytes),
    ];
    if (hasLabel) inner.push(...op.get(11), ...op.get(9), ...op.load(L.labelOff), ...op.store(0), ...addConst(11, 4));
    for (let j = 0; j < L.width; j++) inner.push(...op.get(9), ...op.get(P + j), ...op.get(8), ...op.add, ...op.load(0), ...op.store(4 * j));
    inner.push(...addConst(10, L.xBytes), ...addConst(8, 4));
    body.push(...forLoop(7, 1, inner));
    for (let q = 0; q < 4; q++) body.push(...op.get(5), ...op.get(12 + q), ...op.store(4 * q));
    return [...vec([[...uleb(10 + L.width), I32]]), ...body, ...op.end];
  };

  // gather(buf, n, idx, outX, outY) — locals: 5 k, 6 s, 7 xo, 8 yo, 9 ip
  const gather = (): number[] => {
    const body: number[] = [...op.get(3), ...op.set(7), ...op.get(4), ...op.set(8), ...op.get(2), ...op.set(9)];
    const inner: number[] = [
      ...op.get(0), ...op.get(9), ...op.load(0), ...op.c(L.rowBytes), ...op.mul, ...op.add, ...op.set(6),
      ...copyBytes(7, 6, L.xBytes),
    ];
    if (hasLabel) inner.push(...op.get(8), ...op.get(6), ...op.load(L.labelOff), ...op.store(0), ...addConst(8, 4));
    inner.push(...addConst(7, L.xBytes), ...addConst(9, 4));
    body.push(...forLoop(5, 1, inner));
    return [...vec([[...uleb(5), I32]]), ...body, ...op.end];
  };

  const fnType = (np: number) => [0x60, ...vec(Array.from({ length: np }, () => [I32])), 0];
  const types = [fnType(3), fnType(7), fnType(5)];
  const funcs = [0, 0, 1, 2]; // transposeRows, transposeX, exchange, gather
  const codes = [transpose(L.width, L.rowBytes), transpose(feat, L.xBytes), exchange(), gather()].map((b) => [...uleb(b.length), ...b]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((t) => uleb(t)))),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([
      [...str('memory'), 2, 0],
      [...str('transposeRows'), 0, 0],
      [...str('transposeX'), 0, 1],
      [...str('exchange'), 0, 2],
      [...str('gather'), 0, 3],
    ])),
    ...section(10, vec(codes)),
  ];
  return new Uint8Array(bytes);
}

const moduleCache = new Map<string, WebAssembly.Module>();
let wasmBroken = false;

class WasmKernels implements Kernels {
  readonly kind = 'wasm-simd' as const;
  private readonly memory: WebAssembly.Memory;
  private readonly fns: Record<'transposeRows' | 'transposeX' | 'exchange' | 'gather', (...a: number[]) => void>;
  private views?: { buf: ArrayBuffer; u8: Uint8Array; i32: Int32Array; f32: Float32Array };
  constructor(readonly layout: KernelLayout, mod: WebAssembly.Module) {
    const inst = new WebAssembly.Instance(mod, {});
    this.memory = inst.exports.memory as WebAssembly.Memory;
    this.fns = inst.exports as never;
  }
  private v() {
    if (!this.views || this.views.buf !== this.memory.buffer) {
      const buf = this.memory.buffer;
      this.views = { buf, u8: new Uint8Array(buf), i32: new Int32Array(buf), f32: new Float32Array(buf) };
    }
    return this.views;
  }
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }
  readonly u8 = () => this.v().u8;
  readonly i32 = () => this.v().i32;
  readonly f32 = () => this.v().f32;
  transposeRows(colTable: number, n: number, dst: number): void {
    this.fns.transposeRows(colTable, n, dst);
  }
  transposeX(colTable: number, n: number, dst: number): void {
    this.fns.transposeX(colTable, n, dst);
  }
  exchange(colTable: number, n: number, buf: number, outX: number, outY: number, rng: number, slots: number): void {
    this.fns.exchange(colTable, n, buf, outX, outY, rng, slots);
  }
  gather(buf: number, n: number, idx: number, outX: number, outY: number): void {
    this.fns.gather(buf, n, idx, outX, outY);
  }
}

/** The same kernels in plain JavaScript over an ArrayBuffer (fallback and test reference). */
export class JsKernels implements Kernels {
  readonly kind = 'js' as const;
  private buf = new ArrayBuffer(65536);
  private views = this.mk();
  constructor(readonly layout: KernelLayout) {}
  private mk() {
    return { u8: new Uint8Array(this.buf), i32: new Int32Array(this.buf), f32: new Float32Array(this.buf) };
  }
  ensure(bytes: number): void {
    if (bytes <= this.buf.byteLength) return;
    const nb = new ArrayBuffer(Math.ceil(bytes / 65536) * 65536);
    new Uint8Array(nb).set(this.views.u8);
    this.buf = nb;
    this.views = this.mk();
  }
  readonly u8 = () => this.views.u8;
  readonly i32 = () => this.views.i32;
  readonly f32 = () => this.views.f32;
  private tr(colTable: number, n: number, dst: number, ncols: number, stride: number): void {
    const m = this.views.i32;
    for (let j = 0; j < ncols; j++) {
      const src = m[colTable / 4 + j] / 4;
      let d = dst / 4 + j;
      for (let k = 0; k < n; k++, d += stride / 4) m[d] = m[src + k];
    }
  }
  transposeRows(colTable: number, n: number, dst: number): void {
    this.tr(colTable, n, dst, this.layout.width, this.layout.rowBytes);
  }
  transposeX(colTable: number, n: number, dst: number): void {
    this.tr(colTable, n, dst, this.layout.labelOff >= 0 ? this.layout.width - 1 : this.layout.width, this.layout.xBytes);
  }
  exchange(colTable: number, n: number, buf: number, outX: number, outY: number, rng: number, slots: number): void {
    const m = this.views.i32;
    const { rowBytes, xBytes, labelOff, width } = this.layout;
    const rw = rowBytes / 4, xw = xBytes / 4;
    const cols: number[] = [];
    for (let j = 0; j < width; j++) cols.push(m[colTable / 4 + j] / 4);
    const r = rng / 4;
    let a = m[r], b = m[r + 1], c = m[r + 2], d = m[r + 3];
    for (let k = 0; k < n; k++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      const s = buf / 4 + Math.floor(((t >>> 0) * slots) / 4294967296) * rw;
      const xo = outX / 4 + k * xw;
      for (let j = 0; j < xw; j++) m[xo + j] = m[s + j];
      if (labelOff >= 0) m[outY / 4 + k] = m[s + labelOff / 4];
      for (let j = 0; j < width; j++) m[s + j] = m[cols[j] + k];
    }
    m[r] = a;
    m[r + 1] = b;
    m[r + 2] = c;
    m[r + 3] = d;
  }
  gather(buf: number, n: number, idx: number, outX: number, outY: number): void {
    const m = this.views.i32;
    const { rowBytes, xBytes, labelOff } = this.layout;
    const rw = rowBytes / 4, xw = xBytes / 4;
    for (let k = 0; k < n; k++) {
      const s = buf / 4 + m[idx / 4 + k] * rw;
      const xo = outX / 4 + k * xw;
      for (let j = 0; j < xw; j++) m[xo + j] = m[s + j];
      if (labelOff >= 0) m[outY / 4 + k] = m[s + labelOff / 4];
    }
  }
}

/** Layout for `features` f32 features and an optional label. */
export function layoutFor(features: number, label: boolean): KernelLayout {
  const width = features + (label ? 1 : 0);
  return { width, rowBytes: Math.max(16, Math.ceil((width * 4) / 16) * 16), xBytes: features * 4, labelOff: label ? features * 4 : -1 };
}

/**
 * Kernels for a layout: WebAssembly SIMD unless unavailable or `GANTRY_DATA_KERNEL=js`
 * (or `prefer: 'js'`).
 */
export function createKernels(layout: KernelLayout, prefer?: 'wasm' | 'js'): Kernels {
  const want = prefer ?? (process.env.GANTRY_DATA_KERNEL === 'js' ? 'js' : 'wasm');
  if (want === 'wasm' && !wasmBroken) {
    const key = layoutKey(layout);
    const kept = freeKernels.get(key)?.pop();
    if (kept) return kept;
    try {
      let mod = moduleCache.get(key);
      if (!mod) {
        mod = new WebAssembly.Module(buildModule(layout));
        moduleCache.set(key, mod);
      }
      return new WasmKernels(layout, mod);
    } catch {
      wasmBroken = true;
    }
  }
  return new JsKernels(layout);
}

const layoutKey = (l: KernelLayout) => `${l.rowBytes}/${l.width}/${l.xBytes}/${l.labelOff}`;
const freeKernels = new Map<string, Kernels[]>();

/**
 * Hands kernels back once their pipeline has finished, for the thread's next pipeline of that
 * layout: a new instance's memory (the shuffle buffer: 4 MiB for 64k rows of 16 floats) is
 * fresh pages, faulted in at each iteration's start (~1–2 ms here). Pipelines initialise every
 * region before they read it, so stale contents do no harm.
 */
export function releaseKernels(k: Kernels): void {
  if (k.kind !== 'wasm-simd') return;
  const key = layoutKey(k.layout);
  let list = freeKernels.get(key);
  if (!list) freeKernels.set(key, (list = []));
  if (list.length < 2 && !list.includes(k)) list.push(k);
}
