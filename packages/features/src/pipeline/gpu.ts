import type { Gpu, Tensor } from '@gantry/gpu';
import { FeatureError } from '../errors.js';
import type { NumericStep } from '../transforms/spec.js';
import type { NumericPlan } from './plan.js';
import { generateKernel, WORKGROUP } from './wgsl.js';

/**
 * A fitted pipeline's numeric part on a device: `transform(x, cat?)` maps a Tensor of raw numeric
 * inputs [n, inputs.length] (the pipeline's `numericMatrix(batch)`, NaN for missing) — plus, when
 * the pipeline has categorical outputs, their block [n, categoricalWidth] from
 * `transformCategorical(batch)` — to the feature Tensor [n, width] in one dispatch, with no host
 * round trip. On the 'cpu' backend the same plan runs in TypeScript. Unlike the CPU path the
 * kernel does not validate: a missing value without an impute step gives NaN.
 */
export class GpuFeatures {
  readonly plan: NumericPlan;
  readonly code: string;
  readonly key: string;
  private constants: Tensor | undefined;
  private readonly constantData: Float32Array;
  private readonly params = new ArrayBuffer(16);

  private readonly maxGroupsX: number;

  constructor(
    readonly gpu: Gpu,
    plan: NumericPlan,
    hash: string,
    opts: { maxWorkgroupsX?: number } = {},
  ) {
    this.maxGroupsX = opts.maxWorkgroupsX ?? 65535;
    this.plan = plan;
    const k = generateKernel(plan);
    this.code = k.code;
    this.constantData = k.constants;
    this.key = `gantry.features:${hash}`;
  }

  get width(): number {
    return this.plan.width;
  }
  get inputs(): string[] {
    return this.plan.inputs;
  }
  get categoricalWidth(): number {
    return this.plan.categorical.width;
  }

  /** The feature Tensor [n, width] of raw numeric inputs `x` [n, inputs] (and the categorical block). */
  transform(x: Tensor, cat?: Tensor): Tensor {
    const nin = this.plan.inputs.length;
    const cw = this.plan.categorical.width;
    if (x.shape.length !== 2 || x.shape[1] !== nin) {
      throw new FeatureError('SCHEMA_MISMATCH', `GpuFeatures.transform: x must be [n, ${nin}] (columns ${this.plan.inputs.join(', ')}), got [${x.shape.join(', ')}]`);
    }
    const n = x.shape[0];
    if (cw > 0) {
      if (!cat || cat.shape.length !== 2 || cat.shape[0] !== n || cat.shape[1] !== cw) {
        throw new FeatureError('SCHEMA_MISMATCH', `GpuFeatures.transform: the pipeline has ${cw} categorical outputs (${this.plan.categorical.names.slice(0, 4).join(', ')}...): pass cat [${n}, ${cw}] from pipeline.transformCategorical(batch), got ${cat ? `[${cat.shape.join(', ')}]` : 'none'}`);
      }
    } else if (cat) throw new FeatureError('SCHEMA_MISMATCH', 'GpuFeatures.transform: the pipeline has no categorical outputs; pass only x');
    const out = this.gpu.empty([n, this.plan.width]);
    if (n === 0) return out;
    if (this.gpu.backend === 'cpu') {
      const xs = (x as unknown as { storage: Float32Array }).storage;
      const cs = cat ? (cat as unknown as { storage: Float32Array }).storage : undefined;
      this.gpu.write(out, runPlan(this.plan, xs, n, cs));
      return out;
    }
    const groups = Math.ceil(n / WORKGROUP);
    const gx = Math.min(groups, this.maxGroupsX);
    const gy = Math.ceil(groups / gx);
    const p = new Uint32Array(this.params.slice(0));
    p[0] = n;
    p[1] = gx * WORKGROUP;
    if (!this.constants || this.constants.isDisposed) {
      // created outside any gpu.scope's reach: kept for the life of this object
      this.constants = this.gpu.tensor(this.constantData, [this.constantData.length]).keep();
    }
    const k = this.constants;
    this.gpu.dispatch({ key: this.key, code: this.code, workgroups: [gx, gy], params: p.buffer }, cat ? [x, k, cat] : [x, k], [out]);
    return out;
  }

  /** Frees the constant buffer (the kernel stays cached). */
  dispose(): void {
    this.constants?.dispose();
    this.constants = undefined;
  }
}

/** The plan in TypeScript with the kernel's semantics (no validation): the 'cpu' backend's path. */
export function runPlan(plan: NumericPlan, x: Float32Array, n: number, cat?: Float32Array): Float32Array {
  const nin = plan.inputs.length;
  const w = plan.width;
  const cw = plan.categorical.width;
  const out = new Float32Array(n * w);
  plan.outputs.forEach((o, j) => {
    for (let i = 0; i < n; i++) {
      let v = x[i * nin + o.input];
      if (v !== v) v = o.missing ?? NaN;
      else for (const s of o.steps) v = stepValue(s, v);
      out[i * w + j] = v;
    }
  });
  if (cat) for (let i = 0; i < n; i++) for (let k = 0; k < cw; k++) out[i * w + plan.categorical.offset + k] = cat[i * cw + k];
  return out;
}

function stepValue(s: NumericStep, v: number): number {
  switch (s.op) {
    case 'impute':
      return v;
    case 'affine':
      return (v - s.center) / s.scale + s.offset;
    case 'clip':
      return Math.min(Math.max(v, s.min ?? -Infinity), s.max ?? Infinity);
    case 'log1p':
      return Math.log1p(v);
    case 'bucketize': {
      let c = 0;
      for (const b of s.boundaries) if (v >= b) c++;
      return c;
    }
  }
}
