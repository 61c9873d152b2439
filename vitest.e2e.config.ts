import { defineConfig } from 'vitest/config';

// End-to-end: playwright-core drives Debian's Chromium against `crate-lab serve`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-e2e.json' }]],
  },
});
