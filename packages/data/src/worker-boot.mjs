// Worker entry when @gantry/data runs from its TypeScript sources (vitest, tsx): registers tsx's
// loader in this thread, then loads the real entry. (Node 20 does not apply `--import` loader
// hooks to a worker's entry module; built code starts dist/worker.js directly.)
const { register } = await import('tsx/esm/api');
register();
await import(new URL('./worker.ts', import.meta.url).href);
