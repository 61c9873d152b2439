// The fused LayerNorm kernels on wasm (models/ops/wasmLayerNorm.ts): forward against float64, gradients against
// float64 finite differences and against the composite ops, over widths with and without a 4-float tail, frozen
// weights, and no tensor left behind.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/engine/backends';
import { layerNorm } from '../../../models/crate/layerNorm';
import { withFrozenWeights } from '../../../models/ops/matmul';
import { installWasmLayerNorm, uninstallWasmLayerNorm, wasmLayerNormInstalled } from '../../../models/ops/wasmLayerNorm';
import { noLeak, randomArray } from '../crate/backends';

const EPS = 1e-5;

/** float64 LayerNorm of (rows, d) rows, and Σ y·w for a fixed weighting w */
function reference(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, d: number): Float64Array {
  const rows = x.length / d;
  const y = new Float64Array(x.length);
  for (let i = 0; i < rows; i++) {
    let m = 0;
    for (let j = 0; j < d; j++) m += x[i * d + j];
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[i * d + j] - m) ** 2;
    const r = 1 / Math.sqrt(v / d + EPS);
    for (let j = 0; j < d; j++) y[i * d + j] = (x[i * d + j] - m) * r * g[j] + b[j];
  }
  return y;
}
const weighted = (y: Float64Array, w: ArrayLike<number>) => y.reduce((s, v, i) => s + v * w[i], 0);

/** central differences of Σ reference(x, g, b)·w with respect to x, g and b, all float64 */
function finiteDifferences(x: Float64Array, g: Float64Array, b: Float64Array, w: ArrayLike<number>, d: number): Float64Array[] {
  const h = 1e-6;
  const f = () => weighted(reference(x, g, b, d), w);
  return [x, g, b].map((v) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const keep = v[i];
      v[i] = keep + h;
      const up = f();
      v[i] = keep - h;
      out[i] = (up - f()) / (2 * h);
      v[i] = keep;
    }
    return out;
  });
}

function worstRelative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst / scale;
}

/** LayerNorm value and gradients of Σ y·w through the current path (fused when installed, composite otherwise) */
async function valueAndGrads(shape: number[], seed: number, frozen = false) {
  const d = shape[shape.length - 1];
  const xv = randomArray(tf.util.sizeFromShape(shape), seed).map((v) => 3 * v + 0.5);
  const gv = randomArray(d, seed + 1).map((v) => 1 + v);
  const bv = randomArray(d, seed + 2);
  const wv = randomArray(xv.length, seed + 3);
  return noLeak(async () => {
    const [x, g, b, w] = [tf.tensor(xv, shape), tf.tensor(gv), tf.tensor(bv), tf.tensor(wv, shape)];
    const run = () => {
      const f = (xa: tf.Tensor, ga: tf.Tensor, ba: tf.Tensor) => tf.sum(tf.mul(layerNorm(xa, ga, ba, EPS), w)) as tf.Scalar;
      const y = layerNorm(x, g, b, EPS);
      return { y, grads: tf.grads(f)([x, g, b]) };
    };
    const { y, grads } = frozen ? withFrozenWeights([g, b], run) : run();
    const out = { y: await y.data(), dx: await grads[0].data(), dg: await grads[1].data(), db: await grads[2].data(), xv, gv, bv, wv, d };
    tf.dispose([x, g, b, w, y, ...grads]);
    return out;
  });
}

describe('fused LayerNorm on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await installWasmLayerNorm(); // leave the engine's default in place for later files in this process
  });

  it('is registered once the engine initialised wasm', () => {
    expect(wasmLayerNormInstalled()).toBe(true);
  });

  // widths: the presets' 128 and the 49 of a 7×7 patch (a 1-float tail), 6 (tail of 2), 3 (no 4-float block)
  for (const shape of [[5, 7, 128], [9, 49], [3, 2, 6], [4, 3]]) {
    it(`matches float64 in value and finite differences in gradient for [${shape}]`, async () => {
      const r = await valueAndGrads(shape, shape.length * 10 + shape[shape.length - 1]);
      expect(worstRelative(r.y, reference(r.xv, r.gv, r.bv, r.d))).toBeLessThan(1e-5);
      const fd = finiteDifferences(Float64Array.from(r.xv), Float64Array.from(r.gv), Float64Array.from(r.bv), r.wv, r.d);
      expect(worstRelative(r.dx, fd[0]), 'dx').toBeLessThan(2e-4);
      expect(worstRelative(r.dg, fd[1]), 'dg').toBeLessThan(2e-4);
      expect(worstRelative(r.db, fd[2]), 'db').toBeLessThan(2e-4);
    });
  }

  it('gives the composite ops’ values and gradients, frozen weights included', async () => {
    for (const frozen of [false, true]) {
      const fused = await valueAndGrads([6, 17, 128], 77, frozen);
      uninstallWasmLayerNorm();
      expect(wasmLayerNormInstalled()).toBe(false);
      const composite = await valueAndGrads([6, 17, 128], 77, frozen);
      expect(await installWasmLayerNorm()).toBe(true);
      expect(worstRelative(fused.y, composite.y)).toBeLessThan(1e-5);
      expect(worstRelative(fused.dx, composite.dx)).toBeLessThan(1e-5);
      expect(worstRelative(fused.dg, composite.dg)).toBeLessThan(1e-5);
      expect(worstRelative(fused.db, composite.db)).toBeLessThan(1e-5);
      if (frozen) expect(Math.max(...fused.dg.map(Math.abs), ...fused.db.map(Math.abs))).toBe(0);
      else expect(Math.max(...fused.dg.map(Math.abs))).toBeGreaterThan(0);
    }
  });
});
