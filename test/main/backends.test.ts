import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { BackendError, dawnWarning, initBackend, probeBackends, probeWebGpu } from '../../main/engine/backends';

describe('compute backends', () => {
  it('probes all four backends in auto order, with a reason for each missing one', async () => {
    const list = await probeBackends();
    expect(list.map((b) => b.name)).toEqual(['webgpu', 'tensorflow', 'wasm', 'cpu']);
    expect(list.find((b) => b.name === 'cpu')?.available).toBe(true);
    for (const b of list) if (!b.available) expect(b.reason, b.name).toMatch(/\w{4,}/);
    const gpu = await probeWebGpu();
    expect(gpu.available).toBe(list[0]!.available);
    if (gpu.available) expect(gpu.adapter).not.toBeNull();
    else expect(gpu.adapter).toBeNull();
  });

  it('refuses a forced backend that is unavailable, naming it and why', async () => {
    const list = await probeBackends();
    for (const b of list.filter((x) => !x.available)) {
      const err = await initBackend(b.name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toContain(`"${b.name}"`);
      expect((err as Error).message).toContain(b.reason!);
    }
    await expect(initBackend('cuda' as never)).rejects.toThrow(/Unknown backend "cuda"/);
  });

  it('installs the chosen backend into TF.js, and auto picks the first usable one', async () => {
    await expect(initBackend('cpu')).resolves.toEqual({ name: 'cpu', adapter: null, threads: null });
    expect(tf.getBackend()).toBe('cpu');
    const list = await probeBackends();
    const gpu = await probeWebGpu();
    const expected = list.find((b) => b.available && !(b.name === 'webgpu' && gpu.software))!.name;
    const auto = await initBackend('auto');
    expect(auto.name).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
    // wasm says how many threads it runs (this file: CRATE_WASM_THREADS=1 from vitest.config.ts); others say null
    expect(auto.threads).toBe(auto.name === 'wasm' ? 1 : null);
    // The backend computes: a tiny product checked by hand.
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
    await initBackend('cpu');
  });

  it('probes WebGPU quietly: no Dawn/Vulkan warning or native stack line on stderr, the reason in `backends`', () => {
    // no Vulkan driver at all: what a machine without a GPU sees
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'backends', '--json'], {
      cwd: resolve(__dirname, '../..'),
      encoding: 'utf8',
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Warning:|vkCreateInstance|VulkanError|\n\s+at /);
    const { backends } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { backends: { name: string; available: boolean; reason?: string }[] };
    const gpu = backends.find((b) => b.name === 'webgpu')!;
    expect(gpu.available).toBe(false);
    expect(gpu.reason).toMatch(/^no WebGPU adapter found/);
    expect(dawnWarning('Warning: vkCreateInstance: Found no drivers!\n    at CheckVkSuccessImpl (x.cpp:106)\n')).toBe('vkCreateInstance: Found no drivers!');
    expect(dawnWarning('')).toBeNull();
  });
});
