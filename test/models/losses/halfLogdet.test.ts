import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfLogdet, halfLogdetBatch, setLogdetMode } from '../../../models/losses/halfLogdet';
import { TEST_BACKENDS, useBackend } from './backends';
import { centralDiff, halfLogdetGradRef, halfLogdetRef, relErr, unitRows } from './reference';

const CASES = TEST_BACKENDS.flatMap((b) => (['host', 'device'] as const).map((m) => [b, m] as const));

// (n, d, α): n > d uses the d×d Gram, n ≤ d the n×n Gram.
const SHAPES: Array<[number, number, number]> = [
  [40, 8, 0.7],
  [5, 12, 3],
  [16, 16, 1],
  [30, 24, 2.5],
];

function transpose(z: Float32Array, n: number, d: number): Float32Array {
  const t = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) t[j * n + i] = z[i * d + j];
  return t;
}

describe.each(CASES)('halfLogdet on %s (%s mode)', (backend, mode) => {
  const valueTol = mode === 'host' ? 1e-5 : 1e-4;
  beforeAll(async () => {
    await useBackend(backend);
    setLogdetMode(mode);
  });
  afterAll(() => setLogdetMode('auto'));

  it.each(SHAPES)('value matches float64 LU reference for %i×%i, α=%f', (n, d, alpha) => {
    const z = unitRows(n, d, n * 31 + d);
    const before = tf.memory().numTensors;
    const Z = tf.tensor2d(z, [n, d]);
    const v = halfLogdet(Z, alpha);
    const got = v.dataSync()[0];
    tf.dispose([Z, v]);
    expect(tf.memory().numTensors).toBe(before);
    const ref = halfLogdetRef(z, n, d, alpha);
    expect(Math.abs(got - ref) / Math.abs(ref)).toBeLessThan(valueTol);
  });

  it.each(SHAPES)('gradient matches central differences of the float64 value for %i×%i, α=%f', (n, d, alpha) => {
    const z = unitRows(n, d, n * 7 + d);
    const before = tf.memory().numTensors;
    const Z = tf.tensor2d(z, [n, d]);
    const g = tf.grad((x: tf.Tensor) => halfLogdet(x as tf.Tensor2D, alpha))(Z);
    const got = g.dataSync();
    tf.dispose([Z, g]);
    expect(tf.memory().numTensors).toBe(before);
    const fd = centralDiff((x) => halfLogdetRef(x, n, d, alpha), z);
    expect(relErr(got, fd)).toBeLessThan(1e-4);
    // And the closed form α·Z·(I + αZᵀZ)⁻¹, so a wrong-but-smooth formula cannot pass via FD noise.
    expect(relErr(got, halfLogdetGradRef(z, n, d, alpha))).toBeLessThan(1e-4);
  });

  it('push-through: Z and Zᵀ give the same value, gradients are transposes (both Gram branches)', () => {
    const [n, d, alpha] = [6, 14, 1.7];
    const z = unitRows(n, d, 99);
    const zt = transpose(z, n, d);
    const before = tf.memory().numTensors;
    const Z = tf.tensor2d(z, [n, d]); // n < d: n×n Gram
    const Zt = tf.tensor2d(zt, [d, n]); // d > n: the (n×n) ZᵀZ of Zᵀ — the other branch
    const [v1, g1] = [halfLogdet(Z, alpha), tf.grad((x: tf.Tensor) => halfLogdet(x as tf.Tensor2D, alpha))(Z)];
    const [v2, g2] = [halfLogdet(Zt, alpha), tf.grad((x: tf.Tensor) => halfLogdet(x as tf.Tensor2D, alpha))(Zt)];
    const a = v1.dataSync()[0];
    const b = v2.dataSync()[0];
    const ga = g1.dataSync();
    const gb = transpose(g2.dataSync() as Float32Array, d, n);
    tf.dispose([Z, Zt, v1, v2, g1, g2]);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(valueTol);
    expect(relErr(ga, gb)).toBeLessThan(1e-4);
  });

  it('halfLogdetBatch equals per-matrix values and gradients, empty matrices give 0', () => {
    const d = 10;
    const rows = [7, 0, 20, 3];
    const alphas = [2, 5, 0.5, 4];
    const zs = rows.map((n, i) => unitRows(n, d, 1000 + i));
    const weights = [1, -2, 0.5, 3];
    const before = tf.memory().numTensors;
    const Zs = zs.map((z, i) => tf.tensor2d(z, [rows[i], d]));
    const v = halfLogdetBatch(Zs, alphas);
    const got = Array.from(v.dataSync());
    const grads = tf.grads((...xs: tf.Tensor[]) =>
      tf.sum(tf.mul(halfLogdetBatch(xs as tf.Tensor2D[], alphas), tf.tensor1d(weights))),
    )(Zs);
    const g = grads.map((t) => Array.from(t.dataSync()));
    expect(grads.map((t) => t.shape)).toEqual(rows.map((n) => [n, d]));
    tf.dispose([v, ...Zs, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    rows.forEach((n, i) => {
      const ref = n === 0 ? 0 : halfLogdetRef(zs[i], n, d, alphas[i]);
      expect(Math.abs(got[i] - ref)).toBeLessThan(valueTol * Math.max(1, Math.abs(ref)));
      if (n > 0) {
        const gref = Array.from(halfLogdetGradRef(zs[i], n, d, alphas[i]), (x) => x * weights[i]);
        expect(relErr(g[i], gref)).toBeLessThan(1e-4);
      }
    });
  });

  it('no tensor leak across forward, tf.grads and tf.variableGrads', () => {
    const z = unitRows(12, 5, 3);
    const before = tf.memory().numTensors;
    const init = tf.tensor2d(z, [12, 5]);
    const Zv = tf.variable(init);
    init.dispose();
    const afterVar = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.dispose(halfLogdet(Zv, 1.5));
      tf.dispose(tf.grads((x: tf.Tensor) => halfLogdet(x as tf.Tensor2D, 1.5))([Zv]));
      const { value, grads } = tf.variableGrads(() => halfLogdet(Zv, 1.5), [Zv]);
      expect(grads[Zv.name].shape).toEqual([12, 5]);
      tf.dispose([value, grads[Zv.name]]);
    }
    expect(tf.memory().numTensors).toBe(afterVar);
    Zv.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad shapes and α with a message naming the function', () => {
    const Z = tf.zeros([3]);
    expect(() => halfLogdet(Z as unknown as tf.Tensor2D, 1)).toThrow(/halfLogdet: Z must be a 2-D \(n, d\) tensor, got \[3\]/);
    const Z2 = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => halfLogdet(Z2, Number.NaN)).toThrow(/halfLogdet: Z: alpha must be finite and ≥ 0, got NaN/);
    expect(() => halfLogdetBatch([Z2, tf.zeros([2, 3]) as tf.Tensor2D], [1, 1])).toThrow(/Zs\[1\] has 3 columns but Zs\[0\] has 2/);
    tf.dispose([Z, Z2]);
  });
});

describe.each(TEST_BACKENDS)('halfLogdet non-finite input on %s (host mode)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
    setLogdetMode('host');
  });
  afterAll(() => setLogdetMode('auto'));

  it.each([
    ['NaN', Number.NaN],
    ['Inf', Number.POSITIVE_INFINITY],
  ])('throws a clear Error for %s, and frees everything', (_, bad) => {
    const z = unitRows(6, 4, 5);
    z[9] = bad;
    const before = tf.memory().numTensors;
    const Z = tf.tensor2d(z, [6, 4]);
    expect(() => halfLogdet(Z, 1)).toThrow('halfLogdet: Z contains NaN/Inf (shape 6×4)');
    expect(() => halfLogdetBatch([Z, Z], [1, 1])).toThrow('halfLogdetBatch: Zs[0] contains NaN/Inf (shape 6×4)');
    Z.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throws under a gradient tape too', () => {
    // Not leak-checked: tf.grad itself keeps one tensor whenever its f throws (any f, tfjs 4.22).
    const z = unitRows(6, 4, 5);
    z[0] = Number.NaN;
    const Z = tf.tensor2d(z, [6, 4]);
    expect(() => tf.grad((x: tf.Tensor) => halfLogdet(x as tf.Tensor2D, 1))(Z)).toThrow(/halfLogdet: Z contains NaN\/Inf/);
    Z.dispose();
  });
});
