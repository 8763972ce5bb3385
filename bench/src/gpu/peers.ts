/**
 * Peers for the GPU benchmark, each optional: tfjs on WebGPU (same Dawn adapter), tfjs on WASM
 * and onnxruntime-node (CPU). A peer that fails to load is reported as skipped.
 */
import { installWebGpuGlobals } from '@gantry/gpu';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The union package: its Node bundle registers the gradients that tfjs-core's alone does not.
export type Tf = typeof import('@tensorflow/tfjs');

let tfCore: Tf | undefined;
async function core(): Promise<Tf> {
  if (!tfCore) {
    tfCore = (await import('@tensorflow/tfjs')) as unknown as Tf;
  }
  return tfCore;
}

/** tfjs with the webgpu backend on dawn.node: navigator.gpu must exist before the backend is imported. */
export async function tfWebgpu(): Promise<Tf> {
  installWebGpuGlobals();
  const tf = await core();
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  return tf;
}

export async function tfWasm(): Promise<Tf> {
  const tf = await core();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(join(dir, 'dist') + '/');
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  return tf;
}

export type Ort = typeof import('onnxruntime-node');
export async function ort(): Promise<Ort> {
  return import('onnxruntime-node');
}
