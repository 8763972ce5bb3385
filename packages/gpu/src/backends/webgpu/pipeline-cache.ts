/**
 * Compiles each WGSL kernel once per device and keeps the pipeline under its key. lavapipe
 * compiles at the first dispatch, so callers warm pipelines up front.
 *
 * Layouts are explicit, not 'auto': group 0 holds the storage bindings (their read / read_write
 * access parsed from the WGSL), group 1 the uniform block. Every pipeline shares the one group-1
 * layout, so the bind group of a uniform slot serves every dispatch that uses the slot, and
 * group-0 bind groups can be cached by the buffers they bind (createBindGroup costs ~50 µs on
 * dawn.node). The uniform binding has no dynamic offset: on lavapipe a dynamic offset costs
 * ~60 µs a submit (see bench/NOTES.md).
 */
import { BufferUsage } from './usage.js';

/** The largest uniform block a kernel may declare (one dynamic-offset slot). */
export const UNIFORM_SLOT = 256;

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  storageLayout: GPUBindGroupLayout;
  /** Layout signature of group 0 ('r' / 'w' per binding), for the bind-group cache key. */
  signature: string;
  hasUniform: boolean;
}

const STORAGE_DECL = /@group\(0\)\s*@binding\((\d+)\)\s*var<storage,\s*(read_write|read)>/g;
const UNIFORM_DECL = /@group\(0\)\s*@binding\((\d+)\)\s*var<uniform>/;

/** Moves a kernel's uniform block from group 0 (the convention kernels are written in) to group 1, binding 0. */
export function relocateUniform(code: string): { code: string; hasUniform: boolean } {
  const m = UNIFORM_DECL.exec(code);
  if (!m) return { code, hasUniform: false };
  return { code: code.replace(UNIFORM_DECL, '@group(1) @binding(0) var<uniform>'), hasUniform: true };
}

export class PipelineCache {
  private pipelines = new Map<string, CachedPipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  readonly uniformLayout: GPUBindGroupLayout;
  compiled = 0;
  compileMs = 0;

  constructor(private device: GPUDevice) {
    this.uniformLayout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'uniform', hasDynamicOffset: false, minBindingSize: 0 } }],
    });
  }

  get(key: string, code: () => string, entryPoint = 'main'): CachedPipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const t0 = performance.now();
      const relocated = relocateUniform(code());
      const access: Array<'read' | 'read_write'> = [];
      for (const m of relocated.code.matchAll(STORAGE_DECL)) access[Number(m[1])] = m[2] as 'read' | 'read_write';
      const signature = Array.from(access, (a) => (a === 'read_write' ? 'w' : 'r')).join('');
      const storageLayout = this.storageLayout(signature);
      const module = this.device.createShaderModule({ code: relocated.code, label: key });
      // group 1 only where the kernel has a uniform block: a layout with it needs it bound
      const layout = this.device.createPipelineLayout({ bindGroupLayouts: relocated.hasUniform ? [storageLayout, this.uniformLayout] : [storageLayout] });
      const pipeline = this.device.createComputePipeline({ layout, compute: { module, entryPoint }, label: key });
      p = { pipeline, storageLayout, signature, hasUniform: relocated.hasUniform };
      this.compileMs += performance.now() - t0;
      this.compiled++;
      this.pipelines.set(key, p);
    }
    return p;
  }

  private storageLayout(signature: string): GPUBindGroupLayout {
    let l = this.layouts.get(signature);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: Array.from(signature, (c, binding) => ({ binding, visibility: 4, buffer: { type: c === 'w' ? 'storage' : 'read-only-storage' } as GPUBufferBindingLayout })),
      });
      this.layouts.set(signature, l);
    }
    return l;
  }

  has(key: string): boolean {
    return this.pipelines.has(key);
  }

  get size(): number {
    return this.pipelines.size;
  }
}

void BufferUsage;
