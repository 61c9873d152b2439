/**
 * Test-only WebGPU setup through Dawn's Node binding (`webgpu` package). Resolves to a reason string
 * instead of throwing when there is no adapter, so suites can skip cleanly with
 * `describe.skipIf(!gpu.ok)`. Set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json to get a
 * software adapter on machines without a GPU (slow: keep shapes tiny).
 */
import * as tf from '@tensorflow/tfjs';

export interface WebGpuSetup {
  ok: boolean;
  reason: string;
}

let setup: Promise<WebGpuSetup> | null = null;

export function setupWebGpu(): Promise<WebGpuSetup> {
  setup ??= (async () => {
    try {
      const { create, globals } = (await import('webgpu')) as unknown as {
        create: (flags: string[]) => { requestAdapter(): Promise<unknown> };
        globals: object;
      };
      Object.assign(globalThis, globals);
      const gpu = create([]);
      const g = globalThis as { navigator?: { gpu?: unknown } };
      if (g.navigator === undefined) {
        Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
      } else {
        Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
      }
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { ok: false, reason: 'no WebGPU adapter (set VK_ICD_FILENAMES to a Vulkan ICD, e.g. SwiftShader)' };
      await import('@tensorflow/tfjs-backend-webgpu');
      const ok = await tf.setBackend('webgpu');
      if (!ok) return { ok: false, reason: "tf.setBackend('webgpu') failed" };
      await tf.ready();
      return { ok: true, reason: '' };
    } catch (e) {
      return { ok: false, reason: `WebGPU unavailable: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    }
  })();
  return setup;
}
