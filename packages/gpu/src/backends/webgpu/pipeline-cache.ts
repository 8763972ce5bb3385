/**
 * Compiles each WGSL kernel once per device and keeps the pipeline under its key. lavapipe
 * compiles at the first dispatch, so `warm` runs a tiny dispatch of each pipeline up front.
 */
export class PipelineCache {
  private pipelines = new Map<string, GPUComputePipeline>();
  private layouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  compiled = 0;
  compileMs = 0;

  constructor(private device: GPUDevice) {}

  get(key: string, code: () => string, entryPoint = 'main'): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const t0 = performance.now();
      const module = this.device.createShaderModule({ code: code(), label: key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label: key });
      this.compileMs += performance.now() - t0;
      this.compiled++;
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** The pipeline's bind group layout, fetched from Dawn once (each call is a native round trip). */
  layout(p: GPUComputePipeline): GPUBindGroupLayout {
    let l = this.layouts.get(p);
    if (!l) this.layouts.set(p, (l = p.getBindGroupLayout(0)));
    return l;
  }

  has(key: string): boolean {
    return this.pipelines.has(key);
  }

  get size(): number {
    return this.pipelines.size;
  }
}
