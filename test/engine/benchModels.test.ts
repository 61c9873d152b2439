// `npm run bench -- models` at the tiny preset: every part of the report is there and internally consistent
// (the speeds themselves are measured by the benchmark, never asserted in a test).
import { describe, expect, it } from 'vitest';
import { benchModels } from '../../main/cli/benchModels';

describe('bench models', () => {
  it('reports the wasm step with its variants, the one-thread child, the profile, memory and the reference', async () => {
    const r = await benchModels({ backend: 'wasm', preset: 'tiny', steps: 1, json: true, profile: true, threads: 2 });
    const variants = r.results.map((x) => x.matmul);
    expect(variants).toEqual(['explicit', 'library-bmm', 'library-identity', 'composite-layernorm', 'library-transpose', 'flags']);
    for (const x of r.results) {
      expect(x.finite).toBe(true);
      expect(x.stepMs).toBeGreaterThan(0);
      expect(x.threads).toBe(2);
    }
    expect(r.batchedKernelSpeedup).toBeCloseTo(r.results[1].stepMs / r.results[0].stepMs, 10);
    expect(r.identitySpeedup).toBeCloseTo(r.results[2].stepMs / r.results[0].stepMs, 10);
    expect(r.layerNormSpeedup).toBeCloseTo(r.results[3].stepMs / r.results[0].stepMs, 10);
    expect(r.transposeSpeedup).toBeCloseTo(r.results[4].stepMs / r.results[0].stepMs, 10);
    expect(r.customGradSpeedup).toBeCloseTo(r.results[5].stepMs / r.results[0].stepMs, 10);
    // threads are fixed per process: one thread is timed by a child process of the same run
    expect(r.singleThread && 'stepMs' in r.singleThread ? r.singleThread.stepMs : -1).toBeGreaterThan(0);
    expect(r.threadSpeedup).toBeGreaterThan(0);
    expect(r.peakRssBytes).toBeGreaterThan(50 * 1024 * 1024);
    const p = r.profile!;
    expect(p.backend).toBe('wasm');
    expect(p.kernels.some((k) => k.kernel.startsWith('BatchMatMul (batched)'))).toBe(true);
    expect(p.kernels[p.kernels.length - 1].kernel).toMatch(/^host/);
    const sum = p.kernels.reduce((a, k) => a + k.ms, 0);
    expect(sum).toBeCloseTo(p.wallMs, 0); // leaves plus host time account for the whole step
    // the PyTorch reference ran, or says why not
    expect(r.torch).not.toBeNull();
    if (r.torch && 'samplesPerS' in r.torch) expect(r.ratioToTorch).toBeGreaterThan(0);
    else expect((r.torch as { error: string }).error.length).toBeGreaterThan(0);
  }, 300_000);
});
