// The hand-written backward passes of the speed work (LayerNorm, Gram, dense with bias, one-product ISTA,
// frozen weights, class-token-only last layer) against TF.js autodiff of the plain formulas.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { encode, encodeTokens } from '../../../models/crate/encoder';
import { istaStep, istaStepReference } from '../../../models/crate/ista';
import { layerNorm, layerNormP } from '../../../models/crate/layerNorm';
import { disposeParams, initEncoderParams } from '../../../models/crate/params';
import { dense, gram, withFrozenWeights } from '../../../models/ops/matmul';
import { TEST_BACKENDS, maxAbsDiff, noLeak, randomArray, useBackend } from './backends';

function plainLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
}

/** Gradients of Σ R ⊙ f(inputs) for each input, as host arrays. */
async function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], r: tf.Tensor): Promise<Float32Array[]> {
  const gs = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs));
  const out = await Promise.all(gs.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose(gs);
  return out;
}

describe.each(TEST_BACKENDS)('hand-written gradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('layerNorm: value and gradients (x, g, b) match autodiff of the plain formula and finite differences', async () => {
    const x = tf.tensor3d(randomArray(2 * 3 * 6, 31, -2, 2), [2, 3, 6]);
    const g = tf.tensor1d(randomArray(6, 32, 0.5, 1.5));
    const b = tf.tensor1d(randomArray(6, 33));
    const r = tf.tensor3d(randomArray(2 * 3 * 6, 34), [2, 3, 6]);
    await noLeak(async () => {
      const [v, vr] = tf.tidy(() => [layerNorm(x, g, b, 1e-5), plainLayerNorm(x, g, b, 1e-5)]);
      expect(maxAbsDiff(await v.data(), await vr.data())).toBeLessThan(1e-5);
      tf.dispose([v, vr]);
      const got = await gradsOf((a, c, d) => layerNorm(a, c, d, 1e-5), [x, g, b], r);
      const ref = await gradsOf((a, c, d) => plainLayerNorm(a, c, d, 1e-5), [x, g, b], r);
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(got[i], ref[i])).toBeLessThan(1e-4);
      // central difference on a few x entries (the loss is smooth; h small against the row spread)
      const base = await x.data();
      const h = 1e-2;
      for (const idx of [0, 7, 35]) {
        const vals: number[] = [];
        for (const s of [1, -1]) {
          const arr = Float32Array.from(base);
          arr[idx] += s * h;
          const l = tf.tidy(() => tf.sum(tf.mul(layerNorm(tf.tensor3d(arr, [2, 3, 6]), g, b, 1e-5), r)));
          vals.push((await l.data())[0]);
          l.dispose();
        }
        expect(Math.abs((vals[0] - vals[1]) / (2 * h) - got[0][idx])).toBeLessThan(2e-3);
      }
    });
    tf.dispose([x, g, b, r]);
  });

  it('gram and dense-with-bias: gradients match autodiff of tf.matMul', async () => {
    const w = tf.tensor3d(randomArray(2 * 5 * 3, 41), [2, 5, 3]);
    const rg = tf.tensor3d(randomArray(2 * 5 * 5, 42), [2, 5, 5]);
    const x = tf.tensor3d(randomArray(2 * 4 * 3, 43), [2, 4, 3]);
    const k = tf.tensor2d(randomArray(3 * 6, 44), [3, 6]);
    const bias = tf.tensor1d(randomArray(6, 45));
    const rd = tf.tensor3d(randomArray(2 * 4 * 6, 46), [2, 4, 6]);
    await noLeak(async () => {
      const [gw] = await gradsOf((a) => gram(a as tf.Tensor3D), [w], rg);
      const [rw] = await gradsOf((a) => tf.matMul(a as tf.Tensor3D, a as tf.Tensor3D, false, true), [w], rg);
      expect(maxAbsDiff(gw, rw)).toBeLessThan(1e-5);
      const got = await gradsOf((a, c, d) => dense(a, c, d), [x, k, bias], rd);
      const ref = await gradsOf((a, c, d) => tf.add(tf.matMul(tf.reshape(a, [8, 3]) as tf.Tensor2D, c as tf.Tensor2D).reshape([2, 4, 6]), d), [x, k, bias], rd);
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(got[i], ref[i])).toBeLessThan(1e-5);
    });
    tf.dispose([w, rg, x, k, bias, rd]);
  });

  it('one-product ISTA: gradients (u, D) match the official 3-product form', async () => {
    const u = tf.tensor2d(randomArray(7 * 12, 51), [7, 12]);
    const D = tf.tensor2d(randomArray(12 * 12, 52, -0.7, 0.7), [12, 12]);
    const r = tf.tensor2d(randomArray(7 * 12, 53), [7, 12]);
    await noLeak(async () => {
      const got = await gradsOf((a, c) => istaStep(a, c, 0.1, 0.1), [u, D], r);
      const ref = await gradsOf((a, c) => istaStepReference(a, c, 0.1, 0.1), [u, D], r);
      for (let i = 0; i < 2; i++) expect(maxAbsDiff(got[i], ref[i])).toBeLessThan(1e-5);
    });
    tf.dispose([u, D, r]);
  });

  it('withFrozenWeights: same input gradient, zero gradients for the frozen weights, nothing left behind', async () => {
    const x = tf.tensor2d(randomArray(4 * 6, 61), [4, 6]);
    const k = tf.variable(tf.tensor2d(randomArray(6 * 6, 62), [6, 6]));
    const g = tf.variable(tf.tensor1d(randomArray(6, 63, 0.5, 1.5)));
    const b = tf.variable(tf.tensor1d(randomArray(6, 64)));
    const r = tf.tensor2d(randomArray(4 * 6, 65), [4, 6]);
    const f = (a: tf.Tensor, kk: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => istaStep(layerNorm(dense(a, kk, bb), gg, bb, 1e-5), kk, 0.1, 0.1);
    await noLeak(async () => {
      const free = await gradsOf(f, [x, k, g, b], r);
      const frozen = await withFrozenWeights([k, g, b], () => gradsOf(f, [x, k, g, b], r));
      expect(maxAbsDiff(frozen[0], free[0])).toBe(0);
      expect(free[1].some((v) => v !== 0)).toBe(true);
      for (let i = 1; i < 4; i++) expect(frozen[i].every((v) => v === 0)).toBe(true);
    });
    tf.dispose([x, k, g, b, r]);
  });

  it("encode with pool 'cls' (last layer on the class token only) equals the all-token path, value and gradients", async () => {
    const cfg = resolveConfig('tiny', { pool: 'cls', depthEncoder: 2 });
    const p = initEncoderParams(cfg, 7);
    const x = tf.tensor4d(randomArray(3 * 64, 71), [3, 1, 8, 8]);
    const r = tf.tensor2d(randomArray(3 * cfg.featureDim, 72), [3, cfg.featureDim]);
    // the documented head on all final tokens: class token, LN, head, L2 normalise
    const full = () => {
      const t = encodeTokens(p, cfg, x);
      const h = tf.reshape(tf.slice(t, [0, 0, 0], [3, 1, cfg.dim]), [3, cfg.dim]);
      const f = dense(layerNormP(p, 'enc/ln', h, cfg.layerNormEps), p.get('enc/head/W')!);
      return tf.div(f, tf.norm(f, 'euclidean', 1, true));
    };
    const vars = [...p.values()];
    await noLeak(async () => {
      const a = tf.variableGrads(() => tf.sum(tf.mul(encode(p, cfg, x), r)) as tf.Scalar, vars);
      const b = tf.variableGrads(() => tf.sum(tf.mul(full(), r)) as tf.Scalar, vars);
      expect(Math.abs((await a.value.data())[0] - (await b.value.data())[0])).toBeLessThan(1e-5);
      for (const v of vars) {
        expect(maxAbsDiff(await a.grads[v.name].data(), await b.grads[v.name].data())).toBeLessThan(1e-5);
      }
      tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    });
    disposeParams(p);
    tf.dispose([x, r]);
  });
});
