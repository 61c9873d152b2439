import { defineConfig } from 'vitest/config';

// End-to-end: playwright-core drives Debian's Chromium against `crate-lab serve`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    // the tiny preset the e2e runs train is faster on one wasm thread (its products are too small to share:
    // docs/RECIPE.md, "Speed"); the threaded path has its own unit tests
    env: { CRATE_WASM_THREADS: '1' },
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-e2e.json' }]],
  },
});
