// Exit 0 when Dawn (the `webgpu` package) finds a usable adapter, printing which; 1 otherwise.
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
try {
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) { console.log('  no WebGPU adapter found'); process.exit(1); }
  const i = adapter.info ?? {};
  console.log(`  adapter: ${i.vendor || '?'} / ${i.architecture || '?'} / ${i.description || i.device || '?'}`);
  process.exit(0);
} catch (e) {
  console.log(`  WebGPU probe failed: ${e?.message ?? e}`);
  process.exit(1);
}
