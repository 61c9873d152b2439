/**
 * WebGPU smoke test for the losses: under Node/Dawn readSync is unavailable, so 'auto' must pick the
 * device path (no host reads) and still match the float64 reference. Skips when no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { halfLogdet, resolveLogdetMode, setLogdetMode } from '../../../models/losses/halfLogdet';
import { rateReduction } from '../../../models/losses/rateReduction';
import { setupWebGpu } from '../../helpers/webgpu';
import { halfLogdetGradRef, halfLogdetRef, rateReductionRef, relErr, unitRows } from './reference';

const gpu = await setupWebGpu();
if (!gpu.ok) console.log(`[skip] webgpu loss smoke test: ${gpu.reason}`);

describe.skipIf(!gpu.ok)('losses on webgpu (Dawn)', () => {
  afterAll(() => setLogdetMode('auto'));

  it('auto mode selects the device path and matches the float64 value and gradient', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(resolveLogdetMode()).toBe('device');
    const [n, d, alpha] = [10, 4, 1.3];
    const z = unitRows(n, d, 17);
    const before = tf.memory().numTensors;
    const Z = tf.tensor2d(z, [n, d]);
    const v = halfLogdet(Z, alpha);
    const g = tf.grad((x: tf.Tensor) => halfLogdet(x as tf.Tensor2D, alpha))(Z);
    const got = (await v.data())[0];
    const grad = await g.data();
    tf.dispose([Z, v, g]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(got - halfLogdetRef(z, n, d, alpha)) / halfLogdetRef(z, n, d, alpha)).toBeLessThan(1e-4);
    expect(relErr(grad, halfLogdetGradRef(z, n, d, alpha))).toBeLessThan(1e-3);
  });

  it('rateReduction with classes matches the reference', async () => {
    const [n, d, k] = [12, 4, 3];
    const z = unitRows(n, d, 5);
    const labels = Int32Array.from({ length: n }, (_, i) => i % k);
    const Z = tf.tensor2d(z, [n, d]);
    const v = rateReduction(Z, labels, k, 0.5);
    const got = (await v.data())[0];
    tf.dispose([Z, v]);
    const ref = rateReductionRef(z, n, d, labels, k, 0.5);
    expect(Math.abs(got - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
  });

  it.skipIf(typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined')(
    'forced host mode fails with a clear message (no synchronous read under Node)',
    () => {
      setLogdetMode('host');
      const Z = tf.tensor2d(unitRows(4, 3, 1), [4, 3]);
      expect(() => halfLogdet(Z, 1)).toThrow(/halfLogdet: cannot read the Gram matrix synchronously on backend 'webgpu'/);
      Z.dispose();
      setLogdetMode('auto');
    },
  );
});
