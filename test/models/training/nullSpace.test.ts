// Null-space learning (GPM): the activation basis against a float64 reference, the projection, and the constrained
// encoder step of LoopState (old inputs keep their head output, frozen weights stay, the head still learns).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { encode, headInput } from '../../../models/crate/encoder';
import { codingRate } from '../../../models/losses/rateReduction';
import { LoopState } from '../../../models/training/closedLoop';
import { resolveLoopConfig } from '../../../models/training/config';
import { extendActivationBasis, projectOutOf } from '../../../models/training/nullSpace';
import { maxAbsDiff, noLeak, randomArray, useBackend } from '../crate/backends';

/** n rows of rank r in dim dimensions: A = C·B, C (n×r) with column j scaled by 1/(j+1) (a decaying spectrum), B (r×dim). */
function lowRank(n: number, r: number, dim: number, seed: number): Float32Array {
  const c = randomArray(n * r, seed);
  const b = randomArray(r * dim, seed + 100);
  const a = new Float32Array(n * dim);
  for (let i = 0; i < n; i++)
    for (let d = 0; d < dim; d++) {
      let s = 0;
      for (let j = 0; j < r; j++) s += (c[i * r + j] / (j + 1)) * b[j * dim + d];
      a[i * dim + d] = s;
    }
  return a;
}

/** Float64 ‖A·U‖²_F / ‖A‖²_F and max |UᵀU − I|, written independently of the code under test. */
function check(a: Float32Array, n: number, dim: number, U: Float32Array, k: number): { captured: number; orth: number } {
  let tot = 0;
  let cap = 0;
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) tot += a[i * dim + d] ** 2;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[i * dim + d] * U[d * k + j];
      cap += s * s;
    }
  }
  let orth = 0;
  for (let p = 0; p < k; p++)
    for (let q = 0; q < k; q++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += U[d * k + p] * U[d * k + q];
      orth = Math.max(orth, Math.abs(s - (p === q ? 1 : 0)));
    }
  return { captured: cap / tot, orth };
}

describe('extendActivationBasis', () => {
  it('finds exactly the span of rank-r activations at energy 1, and nothing more for rows inside it', () => {
    const dim = 40;
    const a = lowRank(30, 5, dim, 1);
    const b = extendActivationBasis(null, a, 30, dim, 1);
    expect(b.k).toBe(5);
    const c = check(a, 30, dim, b.U, b.k);
    expect(c.captured).toBeGreaterThan(1 - 1e-6);
    expect(c.orth).toBeLessThan(1e-5);
    // other rows of the same span add no direction
    const again = extendActivationBasis(b, lowRank(30, 5, dim, 1).map((v, i) => v * (1 + (Math.floor(i / dim) % 3))), 30, dim, 1);
    expect(again.k).toBe(5);
  });

  it('keeps the fewest directions that reach the energy threshold, and grows with a new task', () => {
    const dim = 48;
    const a = lowRank(40, 8, dim, 2);
    const full = extendActivationBasis(null, a, 40, dim, 1);
    const part = extendActivationBasis(null, a, 40, dim, 0.9);
    const cp = check(a, 40, dim, part.U, part.k);
    expect(cp.captured).toBeGreaterThanOrEqual(0.9 - 1e-9);
    expect(part.k).toBeLessThan(full.k);
    // one direction fewer would not reach 0.9: the first k − 1 columns are the top directions
    const fewer = new Float32Array(dim * (part.k - 1));
    for (let d = 0; d < dim; d++) for (let j = 0; j < part.k - 1; j++) fewer[d * (part.k - 1) + j] = part.U[d * part.k + j];
    expect(check(a, 40, dim, fewer, part.k - 1).captured).toBeLessThan(0.9);
    // a second task of a different span: the old columns stay as they were, the new ones are orthogonal to them
    const a2 = lowRank(40, 6, dim, 3);
    const grown = extendActivationBasis(full, a2, 40, dim, 0.99);
    expect(grown.k).toBeGreaterThan(full.k);
    for (let d = 0; d < dim; d++) for (let j = 0; j < full.k; j++) expect(grown.U[d * grown.k + j]).toBe(full.U[d * full.k + j]);
    const cg = check(a2, 40, dim, grown.U, grown.k);
    expect(cg.captured).toBeGreaterThanOrEqual(0.99 - 1e-6);
    expect(cg.orth).toBeLessThan(1e-5);
  });

  it('rejects activations of the wrong size and energies outside (0, 1]', () => {
    expect(() => extendActivationBasis(null, new Float32Array(10), 3, 4, 0.9)).toThrow(/3×4/);
    expect(() => extendActivationBasis(null, new Float32Array(12), 3, 4, 1.5)).toThrow(/energy/);
  });
});

describe('projectOutOf and the constrained encoder step', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('removes exactly the span of U from an update', () => {
    const dim = 12;
    const b = extendActivationBasis(null, lowRank(10, 3, dim, 4), 10, dim, 1);
    const U = tf.tensor2d(b.U, [dim, b.k]);
    const delta = tf.tensor2d(randomArray(dim * 5, 3), [dim, 5]);
    const p = projectOutOf(U, delta);
    const utp = tf.matMul(tf.transpose(U), p);
    expect(tf.max(tf.abs(utp)).dataSync()[0]).toBeLessThan(1e-5);
    // projecting twice changes nothing
    const pp = projectOutOf(U, p);
    expect(maxAbsDiff(pp.dataSync(), p.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(p.dataSync(), delta.dataSync())).toBeGreaterThan(1e-3); // the update did have a part in span(U)
    pp.dispose();
    tf.dispose([U, delta, p, utp]);
  });

  it('a step under the constraint changes the head only, leaves old inputs’ head outputs, and still learns', async () => {
    const cfg = resolveConfig('tiny', { pool: 'flat' });
    const state = new LoopState(cfg, resolveLoopConfig({ lrEncoder: 1e-2 }), 4);
    const old = tf.tensor4d(randomArray(24 * 64, 8), [24, 1, 8, 8]);
    const fresh = tf.tensor4d(randomArray(24 * 64, 9).map((v, i) => v * 0.5 + Math.sin(i)), [24, 1, 8, 8]);
    {
      // one free step first, as in a run: Adam then holds moments for every encoder weight (by position)
      const { value, grads } = state.encoderOptimizer.computeGradients(() => tf.neg(codingRate(encode(state.enc, cfg, old), 1)) as tf.Scalar, state.encoderTrainableVars());
      state.applyEncoderGradients(grads);
      value.dispose();
    }
    const h = headInput(state.enc, cfg, old);
    const dim = h.shape[1];
    const basis = extendActivationBasis(null, (await h.data()) as Float32Array, 24, dim, 1);
    h.dispose();
    const U = tf.tensor2d(basis.U, [dim, basis.k]);
    state.setEncoderConstraint({ trainable: ['enc/head/W'], project: (_n, s) => projectOutOf(U, s as tf.Tensor2D) });
    expect(state.encoderTrainableVars()).toHaveLength(1);
    const before = new Map([...state.enc].map(([n, v]) => [n, v.dataSync().slice()]));
    const zOld0 = encode(state.enc, cfg, old);
    const zNew0 = encode(state.enc, cfg, fresh);
    const r0 = codingRate(zNew0, 1).dataSync()[0];
    const step = () => {
      const { value, grads } = state.encoderOptimizer.computeGradients(
        () => tf.neg(codingRate(encode(state.enc, cfg, fresh), 1)) as tf.Scalar,
        state.encoderTrainableVars(),
      );
      state.applyEncoderGradients(grads);
      value.dispose();
    };
    step();
    await noLeak(async () => {
      for (let i = 0; i < 3; i++) step();
    });
    for (const [n, v] of state.enc) {
      const moved = maxAbsDiff(before.get(n)!, v.dataSync());
      if (n === 'enc/head/W') expect(moved).toBeGreaterThan(1e-4);
      else expect(moved).toBe(0);
    }
    const zOld1 = encode(state.enc, cfg, old);
    expect(maxAbsDiff(zOld1.dataSync(), zOld0.dataSync())).toBeLessThan(1e-4);
    expect(maxAbsDiff(encode(state.enc, cfg, fresh).dataSync(), zNew0.dataSync())).toBeGreaterThan(1e-3); // new inputs: moved // old inputs: same features
    const r1 = codingRate(encode(state.enc, cfg, fresh), 1).dataSync()[0];
    expect(r1).toBeGreaterThan(r0); // the new inputs' objective still rose
    state.setEncoderConstraint(null);
    expect(state.encoderTrainableVars().length).toBe(state.enc.size);
    expect(() => state.setEncoderConstraint({ trainable: ['enc/nope'], project: (_n, s) => s })).toThrow(/enc\/nope/);
    tf.dispose([old, fresh, zOld0, zNew0, zOld1, U]);
    state.dispose();
  });
});
