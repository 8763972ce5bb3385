import { defineConfig } from 'vitest/config';

// One vitest run for the whole workspace. Packages resolve to their TypeScript sources through
// the "source" export condition, so tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // lavapipe uses every core: one GPU test file at a time keeps it fast and deterministic.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
