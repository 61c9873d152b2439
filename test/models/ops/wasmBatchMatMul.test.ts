// The SIMD batched product (models/ops/wasmBatchMatMul.ts) against a float64 product, over the shapes, flags and
// broadcasts BatchMatMul takes, on a heap shared with the library's kernels; and the closed loop's gradients with
// it against the library's own kernel.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/engine/backends';
import { installWasmBatchMatMul, uninstallWasmBatchMatMul, wasmBatchMatMulInstalled } from '../../../models/ops/wasmBatchMatMul';
import { gram, matMul, matMulT } from '../../../models/ops/matmul';
import { noLeak, randomArray } from '../crate/backends';

/** float64 op(A)·op(B) of row-major (batch, r, c) arrays; a batch of 1 broadcasts. */
function reference(a: Float32Array, as: number[], b: Float32Array, bs: number[], ta: boolean, tb: boolean): Float64Array {
  const [ba, ra, ca] = as.length === 2 ? [1, ...as] : as;
  const [bb, rb, cb] = bs.length === 2 ? [1, ...bs] : bs;
  const m = ta ? ca : ra;
  const k = ta ? ra : ca;
  const n = tb ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const oa = (ba === 1 ? 0 : t) * ra * ca;
    const ob = (bb === 1 ? 0 : t) * rb * cb;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[oa + (ta ? p * ca + i : i * ca + p)] * b[ob + (tb ? j * cb + p : p * cb + j)];
        out[(t * m + i) * n + j] = s;
      }
  }
  return out;
}

const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [7, 17, 17], b: [7, 17, 32], ta: false, tb: false }, // attention A·W
  { a: [7, 17, 32], b: [7, 17, 32], ta: false, tb: true }, // Gram W·Wᵀ
  { a: [7, 17, 17], b: [7, 17, 32], ta: true, tb: false }, // Aᵀ·dY
  { a: [5, 3, 37], b: [5, 37, 21], ta: false, tb: false }, // every column path: 16 + 4 + 1
  { a: [5, 9, 2], b: [5, 5, 9], ta: true, tb: true },
  { a: [1, 6, 8], b: [4, 8, 19], ta: false, tb: false }, // broadcast A
  { a: [4, 6, 8], b: [1, 19, 8], ta: false, tb: true }, // broadcast B
  { a: [3, 1, 33], b: [3, 33, 1], ta: false, tb: false }, // one row, one column
  { a: [50, 13], b: [50, 1], ta: true, tb: false }, // 2-D with a flag: the library's scalar loop before
  { a: [13, 20], b: [11, 20], ta: false, tb: true },
];

describe('SIMD batched product on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => {
    void installWasmBatchMatMul(); // leave the engine's default in place for later files in this process
  });

  it('is in front of the library kernel once the engine initialised wasm', () => {
    expect(wasmBatchMatMulInstalled()).toBe(true);
  });

  it('matches a float64 product for every shape, flag and broadcast', async () => {
    let seed = 1;
    for (const c of CASES) {
      const av = randomArray(c.a.reduce((x, y) => x * y, 1), seed++);
      const bv = randomArray(c.b.reduce((x, y) => x * y, 1), seed++);
      const want = reference(av, c.a, bv, c.b, c.ta, c.tb);
      const got = await noLeak(async () => {
        const [a, b] = [tf.tensor(av, c.a), tf.tensor(bv, c.b)];
        const p = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, c.ta, c.tb);
        const v = { shape: p.shape, data: await p.data() };
        tf.dispose([a, b, p]);
        return v;
      });
      expect(got.data.length, JSON.stringify(c)).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want[i]));
      expect(worst, JSON.stringify(c)).toBeLessThan(1e-5 * Math.max(c.a[c.a.length - 1], c.a[c.a.length - 2]));
      expect(got.shape.length).toBe(c.a.length);
    }
  });

  it('gives the library kernel’s gradients through attention-shaped products', async () => {
    const w = tf.tensor(randomArray(6 * 17 * 32, 11), [6, 17, 32]) as tf.Tensor3D;
    const r = tf.tensor(randomArray(6 * 17 * 32, 12), [6, 17, 32]);
    const f = (x: tf.Tensor) => tf.sum(tf.mul(matMul(tf.softmax(gram(x as tf.Tensor3D)), matMulT(x as tf.Tensor3D, x as tf.Tensor3D)), tf.slice(r, [0, 0, 0], [6, 17, 17])));
    const withKernel = await tf.grad(f)(w).data();
    uninstallWasmBatchMatMul();
    expect(wasmBatchMatMulInstalled()).toBe(false);
    const library = await tf.grad(f)(w).data();
    expect(await installWasmBatchMatMul()).toBe(true);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < library.length; i++) {
      worst = Math.max(worst, Math.abs(withKernel[i] - library[i]));
      scale = Math.max(scale, Math.abs(library[i]));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-5);
    tf.dispose([w, r]);
  });
});
