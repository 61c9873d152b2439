import { defineConfig } from 'vitest/config';

// Unit and integration tests. End-to-end tests (Chromium against web mode) have their own config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON report feeds the one-line summary that .ci/run prints (test/summary.mjs).
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-unit.json' }]],
  },
});
