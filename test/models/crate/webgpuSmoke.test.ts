/**
 * WebGPU smoke test of the CRATE forward passes and one closed-loop step. Uses the machine's adapter, or the
 * SwiftShader Vulkan driver that Debian's chromium ships (software, so tiny shapes and forward passes only,
 * unless CRATE_TEST_WEBGPU_STEP is set); skips cleanly when no adapter can be created.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { decode } from '../../../models/crate/decoder';
import { encode } from '../../../models/crate/encoder';
import { LoopState, closedLoopStep } from '../../../models/training/closedLoop';
import { resolveLoopConfig } from '../../../models/training/config';
import { maxAbsDiff, randomArray } from './backends';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env['VK_ICD_FILENAMES'] && existsSync(SWIFTSHADER)) process.env['VK_ICD_FILENAMES'] = SWIFTSHADER;

let skipReason: string | null = null;
let software = true;

describe('CRATE on webgpu', () => {
  beforeAll(async () => {
    try {
      const { initBackend } = await import('../../../main/engine/backends');
      const { adapter } = await initBackend('webgpu');
      software = /swiftshader|llvmpipe|lavapipe|software/i.test(`${adapter?.vendor} ${adapter?.architecture} ${adapter?.description}`);
    } catch (e) {
      skipReason = e instanceof Error ? e.message : String(e);
    }
  }, 60_000);

  it('encode/decode agree with the cpu backend; a closed-loop step is finite (real adapters)', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const cfg = resolveConfig('tiny');
    const state = new LoopState(cfg, resolveLoopConfig(), 1);
    const xData = randomArray(8 * 64, 3);
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 2);
    const x = tf.tensor4d(xData, [8, 1, 8, 8]);
    const z = encode(state.enc, cfg, x);
    const xh = decode(state.dec, cfg, z);
    expect(xh.shape).toEqual([8, 1, 8, 8]);
    const zGpu = await z.data();
    const xhGpu = await xh.data();
    tf.dispose([z, xh]);
    if (!software || process.env['CRATE_TEST_WEBGPU_STEP']) {
      // a training step compiles ~100 more shaders: ~40 s on SwiftShader, so only on real adapters or on request
      const s = await closedLoopStep(state, x, labels, 2);
      expect(Number.isFinite(s.T) && Number.isFinite(s.lossDecoder)).toBe(true);
    }
    x.dispose();

    // same weights on cpu (weights are re-created from the same seed there)
    await tf.setBackend('cpu');
    const ref = new LoopState(cfg, resolveLoopConfig(), 1);
    const xc = tf.tensor4d(xData, [8, 1, 8, 8]);
    const zc = encode(ref.enc, cfg, xc);
    const xhc = decode(ref.dec, cfg, zc);
    expect(maxAbsDiff(zGpu, await zc.data())).toBeLessThan(1e-3);
    expect(maxAbsDiff(xhGpu, await xhc.data())).toBeLessThan(1e-3);
    tf.dispose([xc, zc, xhc]);
    ref.dispose();
    state.dispose();
  }, 120_000);

  it('learns like wasm: the same losses and weights after three closed-loop steps', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    // ~30 s on SwiftShader (every shader compiles once), seconds on a real adapter; CRATE_TEST_WEBGPU_TRAIN=0 skips it
    if (process.env['CRATE_TEST_WEBGPU_TRAIN'] === '0') ctx.skip('CRATE_TEST_WEBGPU_TRAIN=0');
    const cfg = { ...resolveConfig('tiny'), batchSize: 16 };
    const xData = randomArray(16 * 64, 5);
    const labels = Int32Array.from({ length: 16 }, (_, i) => i % 2);
    const learn = async (backend: string) => {
      const { initBackend } = await import('../../../main/engine/backends');
      await initBackend(backend as 'webgpu' | 'wasm');
      const state = new LoopState(cfg, resolveLoopConfig(), 4);
      const x = tf.tensor4d(xData, [16, 1, 8, 8]);
      const T: number[] = [];
      for (let i = 0; i < 3; i++) T.push((await closedLoopStep(state, x, labels, 2)).T);
      const w: number[] = [];
      for (const v of [...state.encoderVars(), ...state.decoderVars()]) w.push(...(await v.data())); // no dataSync on webgpu in Node
      x.dispose();
      state.dispose();
      return { T, w };
    };
    const gpu = await learn('webgpu');
    const wasm = await learn('wasm');
    expect(gpu.T[2]).not.toBe(gpu.T[0]); // it learned
    for (let i = 0; i < 3; i++) expect(Math.abs(gpu.T[i] - wasm.T[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(wasm.T[i])));
    expect(maxAbsDiff(gpu.w, wasm.w)).toBeLessThan(1e-3);
  }, 900_000);
});
