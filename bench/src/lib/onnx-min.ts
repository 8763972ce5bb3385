/**
 * The smallest ONNX writer the GPU benchmark needs to run the same MatMul / MLP graphs in
 * onnxruntime-node: MatMul, Add and Relu nodes over f32 initializers (protobuf by hand).
 */
const enc = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const vint = (field: number, v: number) => [...key(field, 0), ...varint(v)];
const bytes = (field: number, b: ArrayLike<number>) => [...key(field, 2), ...varint(b.length), ...Array.from(b)];
const str = (field: number, s: string) => bytes(field, enc.encode(s));

function valueInfo(name: string, dims: Array<number | string>): number[] {
  const dim = dims.flatMap((d) => bytes(1, typeof d === 'number' ? vint(1, d) : str(2, d)));
  const tensorType = [...vint(1, 1), ...bytes(2, dim)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

export interface OnnxNode {
  op: 'MatMul' | 'Add' | 'Relu';
  inputs: string[];
  output: string;
}

/** Serialises a graph (opset 17, IR 8) with one f32 input `x` [batch, inDim] and one output. */
export function onnxModel(opts: { inDim: number; outDim: number; output: string; nodes: OnnxNode[]; initializers: Record<string, { dims: number[]; data: Float32Array }> }): Uint8Array {
  const nodes = opts.nodes.flatMap((n, i) => bytes(1, [...n.inputs.flatMap((x) => str(1, x)), ...str(2, n.output), ...str(3, `n${i}`), ...str(4, n.op)]));
  const inits = Object.entries(opts.initializers).flatMap(([name, t]) =>
    bytes(5, [...t.dims.flatMap((d) => vint(1, d)), ...vint(2, 1), ...str(8, name), ...bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))]),
  );
  const graph = [...nodes, ...str(2, 'g'), ...inits, ...bytes(11, valueInfo('x', ['batch', opts.inDim])), ...bytes(12, valueInfo(opts.output, ['batch', opts.outDim]))];
  return Uint8Array.from([...vint(1, 8), ...str(2, 'gantry-bench'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...vint(2, 17)])]);
}
