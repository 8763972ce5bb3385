import { layerActivation, layerDims, type NetworkSpec } from '../core/network.js';
import { ModelError } from '../errors.js';
import type { Model } from '../models/model.js';
import type { NumericPipeline, NumericStep } from '../pipeline.js';
import { VERSION } from '../version.js';
import { ProtoWriter } from './protobuf.js';

/** ONNX's TensorProto.DataType values used here. */
const FLOAT = 1;
const BOOL = 9;
const INT64 = 7;
const OPSET = 17;
const IR_VERSION = 8;

export interface OnnxExportOptions {
  /**
   * Put the attached pipeline's numeric steps in the graph, so the file takes raw numeric
   * columns (default: when the pipeline can describe itself as numeric steps). `true` makes
   * a pipeline that cannot an error (NOT_SUPPORTED); `false` exports the network alone.
   */
  includePipeline?: boolean;
  /** Graph name (default 'gantry_<kind>'). */
  name?: string;
}

export interface OnnxExport {
  /** The serialised ModelProto. */
  bytes: Uint8Array;
  /** Input 'input' [N, width] float32; output 'output' [N, outputs] float32 (the head's output: value, P(class 1) or class probabilities). */
  inputName: 'input';
  outputName: 'output';
  inputNames: string[];
  inputWidth: number;
  outputWidth: number;
  includesPipeline: boolean;
  opset: number;
}

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: { name: string; int?: number; float?: number }[];
}

/**
 * Exports a fitted model as an ONNX file (opset 17, IR 8): Gemm per layer, Relu / Tanh /
 * Sigmoid, exact GELU as 0.5·x·(1 + Erf(x/√2)), Sigmoid or Softmax heads, and optionally the
 * feature pipeline's numeric part (Gather of its input columns, IsNaN/Where impute, Mul/Add
 * affine, Sub/Div/Add standardize, Max/Min clip, masked Log(1 + x)) in front of it.
 */
export function exportOnnx(model: Model, options: OnnxExportOptions = {}): OnnxExport {
  const st = model.fitted('exportOnnx');
  const spec = st.spec;
  let numeric: NumericPipeline | undefined;
  const pipe = model.pipeline;
  if (pipe && options.includePipeline !== false) {
    numeric = pipe.numericSteps?.();
    const outWidth = numeric ? (numeric.select?.length ?? numeric.inputNames.length) : 0;
    const why = !numeric ? 'it has steps that are not numeric (categorical outputs, bucketize)' : outWidth !== spec.inputWidth ? `its numeric part gives ${outWidth} features, the model takes ${spec.inputWidth}` : undefined;
    if (why) {
      if (options.includePipeline === true) throw new ModelError('NOT_SUPPORTED', `exportOnnx: the attached pipeline cannot be exported as ONNX ops: ${why}; pass { includePipeline: false } to export the network alone`);
      numeric = undefined;
    }
  }
  const g = new GraphBuilder();
  let x = 'input';
  if (numeric) x = addPipeline(g, numeric, spec.inputWidth, x);
  x = addNetwork(g, spec, st.weights.weights, st.weights.biases, x);
  g.nodes.push({ op: 'Identity', inputs: [x], outputs: ['output'] });
  const width = numeric ? numeric.inputNames.length : spec.inputWidth;
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, encodeNode(n));
  graph.string(2, options.name ?? `gantry_${model.kind}`);
  for (const t of g.inits) graph.message(5, t);
  graph.message(11, valueInfo('input', width));
  graph.message(12, valueInfo('output', spec.outputs));
  const m = new ProtoWriter();
  m.int(1, IR_VERSION);
  m.string(2, 'gantry');
  m.string(3, VERSION);
  m.message(7, graph);
  m.message(8, new ProtoWriter().string(1, '').int(2, OPSET));
  const meta = { kind: model.kind, task: model.task, inputNames: JSON.stringify(numeric ? numeric.inputNames : st.inputNames) };
  for (const [k, v] of Object.entries(meta)) m.message(14, new ProtoWriter().string(1, k).string(2, v));
  return { bytes: m.finish(), inputName: 'input', outputName: 'output', inputNames: numeric ? numeric.inputNames : st.inputNames, inputWidth: width, outputWidth: spec.outputs, includesPipeline: !!numeric, opset: OPSET };
}

class GraphBuilder {
  nodes: Node[] = [];
  inits: ProtoWriter[] = [];
  private n = 0;
  name(prefix: string): string {
    return `${prefix}_${this.n++}`;
  }
  constF(prefix: string, data: ArrayLike<number>, dims: number[]): string {
    const name = this.name(prefix);
    const raw = new Uint8Array(data.length * 4);
    const v = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) v.setFloat32(i * 4, data[i], true);
    this.inits.push(tensorProto(name, FLOAT, dims, raw));
    return name;
  }
  constI64(prefix: string, data: number[]): string {
    const name = this.name(prefix);
    const raw = new Uint8Array(data.length * 8);
    const v = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) v.setBigInt64(i * 8, BigInt(data[i]), true);
    this.inits.push(tensorProto(name, INT64, [data.length], raw));
    return name;
  }
  constB(prefix: string, data: boolean[]): string {
    const name = this.name(prefix);
    this.inits.push(tensorProto(name, BOOL, [data.length], Uint8Array.from(data, (b) => (b ? 1 : 0))));
    return name;
  }
  op(op: string, inputs: string[], attrs?: Node['attrs']): string {
    const out = this.name(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }
}

function addPipeline(g: GraphBuilder, p: NumericPipeline, width: number, x: string): string {
  if (p.select) {
    if (p.select.some((c) => !Number.isInteger(c) || c < 0 || c >= p.inputNames.length)) throw new ModelError('BAD_OPTION', `pipeline select must hold input column indices in [0, ${p.inputNames.length})`);
    x = g.op('Gather', [x, g.constI64('select', p.select)], [{ name: 'axis', int: 1 }]);
  }
  p.steps.forEach((s: NumericStep, i) => {
    const check = (name: string, a: ArrayLike<unknown>) => {
      if (!a || a.length !== width) throw new ModelError('BAD_OPTION', `pipeline step ${i} (${s.kind}): ${name} must have ${width} values, got ${a?.length}`);
    };
    switch (s.kind) {
      case 'impute':
        check('values', s.values);
        x = g.op('Where', [g.op('IsNaN', [x]), g.constF('impute', s.values, [width]), x]);
        break;
      case 'affine':
        check('scale', s.scale);
        check('shift', s.shift);
        x = g.op('Add', [g.op('Mul', [x, g.constF('scale', s.scale, [width])]), g.constF('shift', s.shift, [width])]);
        break;
      case 'standardize':
        check('center', s.center);
        check('scale', s.scale);
        check('offset', s.offset);
        x = g.op('Add', [g.op('Div', [g.op('Sub', [x, g.constF('center', s.center, [width])]), g.constF('scale', s.scale, [width])]), g.constF('offset', s.offset, [width])]);
        break;
      case 'clip':
        check('min', s.min);
        check('max', s.max);
        x = g.op('Min', [g.op('Max', [x, g.constF('lo', s.min, [width])]), g.constF('hi', s.max, [width])]);
        break;
      case 'log1p': {
        check('mask', s.mask);
        const lg = g.op('Log', [g.op('Add', [x, g.constF('one', [1], [])])]);
        x = g.op('Where', [g.constB('mask', s.mask), lg, x]);
        break;
      }
      default:
        throw new ModelError('NOT_SUPPORTED', `pipeline step ${i}: kind ${JSON.stringify((s as { kind: unknown }).kind)} has no ONNX form (supported: impute, affine, standardize, clip, log1p)`);
    }
  });
  return x;
}

function addNetwork(g: GraphBuilder, spec: NetworkSpec, W: Float32Array[], b: Float32Array[], x: string): string {
  layerDims(spec).forEach(([i, o], l) => {
    x = g.op('Gemm', [x, g.constF(`W${l}`, W[l], [i, o]), g.constF(`b${l}`, b[l], [o])]);
    const act = layerActivation(spec, l);
    if (act === 'relu') x = g.op('Relu', [x]);
    else if (act === 'tanh') x = g.op('Tanh', [x]);
    else if (act === 'sigmoid') x = g.op('Sigmoid', [x]);
    else if (act === 'gelu') {
      const e = g.op('Erf', [g.op('Mul', [x, g.constF('inv_sqrt2', [Math.SQRT1_2], [])])]);
      x = g.op('Mul', [g.op('Mul', [x, g.op('Add', [e, g.constF('one', [1], [])])]), g.constF('half', [0.5], [])]);
    }
  });
  if (spec.head === 'sigmoid') x = g.op('Sigmoid', [x]);
  else if (spec.head === 'softmax') x = g.op('Softmax', [x], [{ name: 'axis', int: 1 }]);
  return x;
}

function tensorProto(name: string, type: number, dims: number[], raw: Uint8Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of dims) t.int(1, d);
  t.int(2, type);
  t.string(8, name);
  t.bytes(9, raw);
  return t;
}

function valueInfo(name: string, width: number): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, 'N')).message(1, new ProtoWriter().int(1, width));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function encodeNode(n: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.outputs[0]);
  w.string(4, n.op);
  for (const a of n.attrs ?? []) {
    const aw = new ProtoWriter().string(1, a.name);
    if (a.int !== undefined) aw.int(3, a.int).int(20, 2);
    else aw.float(2, a.float!).int(20, 1);
    w.message(5, aw);
  }
  return w;
}
