// The SIMD transposes on wasm (models/ops/wasmTranspose.ts): bit-exact against an index-by-index reference for the
// permutations they take (2-D, batched 2-D, the head split), with and without 4×4 tiles; every other case goes to
// the package's kernel and is still right.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/engine/backends';
import { installWasmTranspose, uninstallWasmTranspose, wasmTransposeInstalled } from '../../../models/ops/wasmTranspose';
import { noLeak, randomArray } from '../crate/backends';

/** out[perm-index] = x[index], one element at a time */
function reference(x: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * strides[perm[k]];
    out[o] = x[src];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

const CASES: { shape: number[]; perm: number[] }[] = [
  { shape: [64, 128], perm: [1, 0] }, // tiles
  { shape: [37, 20], perm: [1, 0] }, // one float at a time
  { shape: [4, 4], perm: [1, 0] },
  { shape: [1, 12], perm: [1, 0] },
  { shape: [3, 8, 12], perm: [0, 2, 1] }, // batched tiles
  { shape: [3, 5, 7], perm: [0, 2, 1] },
  { shape: [6, 17, 4, 32], perm: [0, 2, 1, 3] }, // the head split
  { shape: [6, 4, 17, 32], perm: [0, 2, 1, 3] }, // and its merge
  { shape: [2, 5, 3, 6], perm: [0, 2, 1, 3] }, // blocks of 6: the package's kernel
  { shape: [2, 3, 4], perm: [2, 0, 1] }, // another permutation: the package's kernel
  { shape: [0, 8], perm: [1, 0] },
];

describe('SIMD transposes on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await installWasmTranspose(); // leave the engine's default in place for later files in this process
  });

  it('is in front of the package kernel once the engine initialised wasm', () => {
    expect(wasmTransposeInstalled()).toBe(true);
  });

  it('moves every float bit for bit, for every shape and permutation', async () => {
    let seed = 3;
    for (const c of CASES) {
      const xv = randomArray(c.shape.reduce((a, b) => a * b, 1), seed++);
      const got = await noLeak(async () => {
        const x = tf.tensor(xv, c.shape);
        const t = tf.transpose(x, c.perm);
        const v = { shape: t.shape, data: Array.from(await t.data()) };
        tf.dispose([x, t]);
        return v;
      });
      expect(got.shape, JSON.stringify(c)).toEqual(c.perm.map((p) => c.shape[p]));
      expect(got.data, JSON.stringify(c)).toEqual(reference(xv, c.shape, c.perm));
    }
    // int32 goes to the package's kernel
    const i = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(await tf.transpose(i).array()).toEqual([[1, 4], [2, 5], [3, 6]]);
    i.dispose();
  });

  it('gives the package kernel’s gradient through a transpose', async () => {
    const x = tf.tensor(randomArray(8 * 12, 5), [8, 12]);
    const w = tf.tensor(randomArray(12 * 8, 6), [12, 8]);
    const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.transpose(a), w));
    const ours = Array.from(await tf.grad(f)(x).data());
    uninstallWasmTranspose();
    expect(wasmTransposeInstalled()).toBe(false);
    const theirs = Array.from(await tf.grad(f)(x).data());
    expect(await installWasmTranspose()).toBe(true);
    expect(ours).toEqual(theirs);
    tf.dispose([x, w]);
  });
});
