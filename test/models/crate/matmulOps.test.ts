import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dense, denseT, matMul, matMulT, setMatMulMode } from '../../../models/ops/matmul';
import { TEST_BACKENDS, maxAbsDiff, noLeak, randomArray, useBackend } from './backends';

// Loss L = Σ R ⊙ op(a, b) is linear in each argument, so central differences are exact up to rounding.
function loss(op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, r: tf.Tensor) {
  return (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), r));
}

async function finiteDiff(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor, which: 0 | 1, idx: number[]) {
  const h = 0.25;
  const base = [await a.data(), await b.data()];
  const out: number[] = [];
  for (const i of idx) {
    const vals: number[] = [];
    for (const s of [1, -1]) {
      const arr = Float32Array.from(base[which]);
      arr[i] += s * h;
      const v = tf.tidy(() => {
        const aa = which === 0 ? tf.tensor(arr, a.shape) : a;
        const bb = which === 1 ? tf.tensor(arr, b.shape) : b;
        return f(aa, bb);
      });
      vals.push((await v.data())[0]);
      v.dispose();
    }
    out.push((vals[0] - vals[1]) / (2 * h));
  }
  return out;
}

describe.each(TEST_BACKENDS)('explicit-transpose matmul ops on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => setMatMulMode('explicit'));

  const cases = [
    { name: 'matMul 2-D', op: (a: tf.Tensor, b: tf.Tensor) => matMul(a as tf.Tensor2D, b as tf.Tensor2D), ref: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), sa: [5, 3], sb: [3, 4], so: [5, 4] },
    { name: 'matMulT 2-D', op: (a: tf.Tensor, b: tf.Tensor) => matMulT(a as tf.Tensor2D, b as tf.Tensor2D), ref: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), sa: [5, 3], sb: [4, 3], so: [5, 4] },
    { name: 'matMul batched', op: (a: tf.Tensor, b: tf.Tensor) => matMul(a as tf.Tensor3D, b as tf.Tensor3D), ref: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D), sa: [2, 5, 3], sb: [2, 3, 4], so: [2, 5, 4] },
    { name: 'matMulT batched', op: (a: tf.Tensor, b: tf.Tensor) => matMulT(a as tf.Tensor3D, b as tf.Tensor3D), ref: (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true), sa: [2, 5, 3], sb: [2, 4, 3], so: [2, 5, 4] },
  ];

  for (const c of cases) {
    it(`${c.name}: value and gradients match autodiff and finite differences`, async () => {
      const a = tf.tensor(randomArray(c.sa.reduce((x, y) => x * y), 1), c.sa);
      const b = tf.tensor(randomArray(c.sb.reduce((x, y) => x * y), 2), c.sb);
      const r = tf.tensor(randomArray(c.so.reduce((x, y) => x * y), 3), c.so);
      await noLeak(async () => {
        const [ga, gb, ra, rb, v, rv] = tf.tidy(() => {
          const [ga, gb] = tf.grads(loss(c.op, r))([a, b]);
          const [ra, rb] = tf.grads(loss(c.ref, r))([a, b]);
          return [ga, gb, ra, rb, c.op(a, b), c.ref(a, b)];
        });
        expect(v.shape).toEqual(c.so);
        expect(maxAbsDiff(await v.data(), await rv.data())).toBeLessThan(1e-5);
        expect(maxAbsDiff(await ga.data(), await ra.data())).toBeLessThan(1e-4);
        expect(maxAbsDiff(await gb.data(), await rb.data())).toBeLessThan(1e-4);
        const fdA = await finiteDiff(loss(c.op, r), a, b, 0, [0, 4, a.size - 1]);
        const fdB = await finiteDiff(loss(c.op, r), a, b, 1, [0, 3, b.size - 1]);
        const gaD = await ga.data();
        const gbD = await gb.data();
        expect(maxAbsDiff(fdA, [gaD[0], gaD[4], gaD[a.size - 1]])).toBeLessThan(1e-4);
        expect(maxAbsDiff(fdB, [gbD[0], gbD[3], gbD[b.size - 1]])).toBeLessThan(1e-4);
        tf.dispose([ga, gb, ra, rb, v, rv]);
      });
      tf.dispose([a, b, r]);
    });
  }

  it('dense/denseT on rank-3 input equal the plain products, in both modes', async () => {
    const x = tf.tensor3d(randomArray(2 * 3 * 4, 4), [2, 3, 4]);
    const w = tf.tensor2d(randomArray(4 * 5, 5), [4, 5]);
    const bias = tf.tensor1d(randomArray(5, 6));
    const wt = tf.tensor2d(randomArray(5 * 4, 7), [5, 4]);
    for (const mode of ['explicit', 'flags'] as const) {
      setMatMulMode(mode);
      await noLeak(async () => {
        const [y, yr, yt, ytr] = tf.tidy(() => [
          dense(x, w, bias),
          tf.add(tf.reshape(tf.matMul(tf.reshape(x, [6, 4]), w), [2, 3, 5]), bias),
          denseT(x, wt),
          tf.reshape(tf.matMul(tf.reshape(x, [6, 4]), wt, false, true), [2, 3, 5]),
        ]);
        expect(y.shape).toEqual([2, 3, 5]);
        expect(maxAbsDiff(await y.data(), await yr.data())).toBeLessThan(1e-5);
        expect(maxAbsDiff(await yt.data(), await ytr.data())).toBeLessThan(1e-5);
        tf.dispose([y, yr, yt, ytr]);
      });
    }
    tf.dispose([x, w, bias, wt]);
  });

  it('rejects mismatched shapes with the shapes in the message', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([4, 5]) as tf.Tensor2D;
    expect(() => matMul(a, b)).toThrow(/matMul: incompatible shapes \[2,3\] and \[4,5\]/);
    expect(() => dense(a, b)).toThrow(/dense: input \[2,3\] does not match kernel \[4,5\]/);
    tf.dispose([a, b]);
  });
});
