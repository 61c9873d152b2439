import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Debian's chromium ships SwiftShader's Vulkan ICD: with it Dawn finds a software adapter, so the WebGPU paths
// (loss device mode, encoder/decoder smoke tests) run on CPU-only machines and in CI. `auto` never picks it.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const webgpuEnv: Record<string, string> =
  !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD) ? { VK_ICD_FILENAMES: SWIFTSHADER_ICD } : {};

// Unit and integration tests. End-to-end tests (Chromium against web mode) have their own config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // test files run two at a time: one wasm thread each keeps them off each other's core (the threaded path has
    // its own tests, which ask for threads explicitly: test/engine/wasmThreads.test.ts, benchModels.test.ts)
    env: { CRATE_WASM_THREADS: '1', ...webgpuEnv },
    // The JSON report feeds the one-line summary that .ci/run prints (test/summary.mjs).
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-unit.json' }]],
  },
});
