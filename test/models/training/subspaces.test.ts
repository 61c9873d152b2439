/**
 * End-to-end: the closed loop learns a union of subspaces.
 *
 * Data: K = 4 classes, each on its own random 2-dim subspace of R^64 (shown as 1×8×8 images) plus pixel noise.
 * The tiny CRATE encoder starts with heavily overlapping class subspaces in feature space (mean principal-angle
 * cosine ≈ 0.65). CTRL's ΔR(Z) term rewards orthogonal class subspaces (the MCR² optimum puts k ≤ F/r
 * classes on mutually orthogonal subspaces), so after training:
 * - the mean cosine must fall below that of randomly placed 2-planes in R^16 (≈ 0.29, computed below by
 *   Monte Carlo), and to under half of the initial encoder's (seen during development: 0.14–0.16 after
 *   300 steps for two seeds, 0.21–0.23 after 200: the minimax game keeps Z_j and Ẑ_j apart, so the class
 *   subspaces approach orthogonality only gradually);
 * - nearest-subspace accuracy on held-out samples must reach 0.95 and beat the initial encoder's.
 * Runs on wasm only: the pure-JS cpu backend is ~8× slower on these per-op-bound shapes (≈ 25 s here on wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { encode } from '../../../models/crate/encoder';
import { LoopState, closedLoopStep } from '../../../models/training/closedLoop';
import { resolveLoopConfig } from '../../../models/training/config';
import { lcg, noLeak, useBackend } from '../crate/backends';
import { fitSubspaces, meanPairCosine, predictSubspaces } from './subspace64';

const K = 4, R = 2, D = 64, F = 16;

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** `count` random orthonormal bases (dim×r, row-major) by Gram–Schmidt. */
function randomBases(count: number, dim: number, r: number, g: () => number): Float64Array[] {
  return Array.from({ length: count }, () => {
    const b = Float64Array.from({ length: dim * r }, g);
    for (let j = 0; j < r; j++) {
      for (let p = 0; p < j; p++) {
        let s = 0;
        for (let a = 0; a < dim; a++) s += b[a * r + j] * b[a * r + p];
        for (let a = 0; a < dim; a++) b[a * r + j] -= s * b[a * r + p];
      }
      let n = 0;
      for (let a = 0; a < dim; a++) n += b[a * r + j] ** 2;
      for (let a = 0; a < dim; a++) b[a * r + j] /= Math.sqrt(n);
    }
    return b;
  });
}

function sample(bases: Float64Array[], n: number, noise: number, g: () => number) {
  const x = new Float32Array(n * D);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    y[i] = c;
    const co = [g(), g()];
    for (let a = 0; a < D; a++) {
      const v = 2 * (bases[c][a * R] * co[0] + bases[c][a * R + 1] * co[1]) + noise * g();
      x[i * D + a] = Math.max(-1, Math.min(1, v));
    }
  }
  return { x, y };
}

describe('closed-loop training on a union of subspaces (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it('drives class subspaces towards orthogonality and nearest-subspace accuracy ≥ 0.95', async () => {
    const g = gaussian(lcg(7));
    const bases = randomBases(K, D, R, g);
    const nTrain = 128, nTest = 256;
    const train = sample(bases, nTrain, 0.1, g);
    const test = sample(bases, nTest, 0.1, g);
    const randomCos =
      Array.from({ length: 400 }, () => meanPairCosine({ means: [], bases: randomBases(K, F, R, g), r: R, f: F })).reduce((a, b) => a + b) / 400;

    const cfg = resolveConfig('tiny');
    const state = new LoopState(cfg, resolveLoopConfig({ lrEncoder: 2e-3, lrDecoder: 2e-3, beta1: 0.9 }), 3);
    const xTrain = tf.tensor4d(train.x, [nTrain, 1, 8, 8]);
    const xTest = tf.tensor4d(test.x, [nTest, 1, 8, 8]);

    const measure = async () => {
      const [a, b] = [encode(state.enc, cfg, xTrain), encode(state.enc, cfg, xTest)];
      const ftr = (await a.data()) as Float32Array;
      const fte = (await b.data()) as Float32Array;
      tf.dispose([a, b]);
      const pred = predictSubspaces(fitSubspaces(ftr, nTrain, F, train.y, K, R, true), fte, nTest);
      const acc = pred.reduce((s, p, i) => s + (p === test.y[i] ? 1 : 0), 0) / nTest;
      // subspaces through the origin: the features live on the sphere and ΔR sees ZᵀZ
      return { acc, cos: meanPairCosine(fitSubspaces(ftr, nTrain, F, train.y, K, R, false)) };
    };

    const before = await measure();
    await closedLoopStep(state, xTrain, train.y, K); // creates Adam's slots before the leak check
    const last = await noLeak(async () => {
      let s = null;
      for (let i = 1; i < 300; i++) s = await closedLoopStep(state, xTrain, train.y, K);
      return s!;
    });
    const after = await measure();

    expect(Number.isFinite(last.T)).toBe(true);
    expect(randomCos).toBeGreaterThan(0.2);
    expect(randomCos).toBeLessThan(0.4);
    expect(after.cos).toBeLessThan(randomCos);
    expect(after.cos).toBeLessThan(before.cos / 2);
    expect(after.acc).toBeGreaterThanOrEqual(0.95);
    expect(after.acc).toBeGreaterThan(before.acc);
    state.dispose();
    tf.dispose([xTrain, xTest]);
  });
});
