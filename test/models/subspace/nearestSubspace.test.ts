import { describe, expect, it } from 'vitest';
import { fitNearestSubspace, predictNearestSubspace } from '../../../models/subspace/nearestSubspace';
import { gaussian, mulberry32 } from '../../../models/memory/random';

/** Random orthonormal (F, r) basis by Gram–Schmidt on Gaussian columns. */
function randomBasis(F: number, r: number, g: () => number): Float64Array {
  const b = new Float64Array(F * r);
  for (let c = 0; c < r; c++) {
    const v = Float64Array.from({ length: F }, g);
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let f = 0; f < F; f++) dot += v[f] * b[f * r + p];
      for (let f = 0; f < F; f++) v[f] -= dot * b[f * r + p];
    }
    const nrm = Math.hypot(...v);
    for (let f = 0; f < F; f++) b[f * r + c] = v[f] / nrm;
  }
  return b;
}

/** Union of K random r-dim subspaces of R^F (with a small offset mean and noise). */
function unionOfSubspaces(K: number, F: number, r: number, perClass: number, seed: number, noise = 0.01) {
  const g = gaussian(mulberry32(seed));
  const bases = Array.from({ length: K }, () => randomBasis(F, r, g));
  const means = Array.from({ length: K }, () => Float64Array.from({ length: F }, () => 0.1 * g()));
  const make = (n: number) => {
    const x = new Float32Array(K * n * F);
    const y = new Int32Array(K * n);
    for (let j = 0; j < K; j++)
      for (let s = 0; s < n; s++) {
        const row = j * n + s;
        y[row] = j;
        const a = Array.from({ length: r }, g);
        for (let f = 0; f < F; f++) {
          let v = means[j][f] + noise * g();
          for (let c = 0; c < r; c++) v += bases[j][f * r + c] * a[c];
          x[row * F + f] = v;
        }
      }
    return { x, y, n: K * n };
  };
  return { train: make(perClass), test: make(40), bases, means };
}

describe('nearest subspace classifier', () => {
  it('classifies a synthetic union of subspaces with accuracy ≥ 0.99', () => {
    const [K, F, r] = [6, 32, 4];
    const { train, test } = unionOfSubspaces(K, F, r, 60, 123);
    const classes = [0, 1, 2, 3, 4, 5];
    const m = fitNearestSubspace(train.x, train.n, F, train.y, classes, r);
    expect(m.bases[0].length).toBe(F * r);
    expect(m.sigma[0].length).toBe(r);
    const { pred, residuals } = predictNearestSubspace(m, test.x, test.n);
    expect(residuals.length).toBe(test.n * K);
    let correct = 0;
    for (let i = 0; i < test.n; i++) if (pred[i] === test.y[i]) correct++;
    expect(correct / test.n).toBeGreaterThanOrEqual(0.99);
  });

  it('fails on wrong-r fits: r = 1 cannot separate the same data as well (the test can fail)', () => {
    // Guards against a classifier that ignores U: with r = 1 the residual of 4-dim classes is large.
    const [K, F, r] = [6, 32, 4];
    const { train, test } = unionOfSubspaces(K, F, r, 60, 7);
    const m1 = fitNearestSubspace(train.x, train.n, F, train.y, [0, 1, 2, 3, 4, 5], 1);
    const m4 = fitNearestSubspace(train.x, train.n, F, train.y, [0, 1, 2, 3, 4, 5], r);
    const meanOwnResidual = (m: ReturnType<typeof fitNearestSubspace>) => {
      const { residuals } = predictNearestSubspace(m, test.x, test.n);
      let s = 0;
      for (let i = 0; i < test.n; i++) s += residuals[i * K + test.y[i]];
      return s / test.n;
    };
    expect(meanOwnResidual(m4)).toBeLessThan(0.1 * meanOwnResidual(m1));
  });

  it('residual equals ‖(I − UUᵀ)(z − μ)‖ computed directly', () => {
    const F = 5;
    // Class 0 spans e0, e1 around mean (1, 0, 0, 0, 0); class 1 spans e2 around 0.
    const x = new Float32Array([
      2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, // class 0: 4 rows in span{e0, e1}
      0, 0, 1, 0, 0, 0, 0, -1, 0, 0,
    ]);
    const y = Int32Array.from([0, 0, 0, 0, 1, 1]);
    const m = fitNearestSubspace(x, 6, F, y, [0, 1], 2);
    const z = new Float32Array([3, 4, 5, 6, 7]);
    const { residuals, pred } = predictNearestSubspace(m, z, 1);
    // Class 0 mean is (0.75, 0, 0, 0, 0) and its centred rows span {e0, e1}: residual = ‖(5, 6, 7)‖.
    expect(residuals[0]).toBeCloseTo(Math.hypot(5, 6, 7), 5);
    // Class 1: mean 0, spans e2 only (second column zeroed: 2 samples ⇒ rank 1): residual = ‖(3, 4, 6, 7)‖.
    expect(residuals[1]).toBeCloseTo(Math.hypot(3, 4, 6, 7), 5);
    expect(pred[0]).toBe(0);
  });

  it('reports bad input clearly', () => {
    const x = new Float32Array(12);
    expect(() => fitNearestSubspace(x, 4, 3, new Int32Array(4), [0, 1], 2)).toThrow('fitNearestSubspace: class 1 has no samples');
    expect(() => fitNearestSubspace(x, 4, 3, new Int32Array(4), [0], 4)).toThrow('fitNearestSubspace: r must be an integer in [1, 3], got 4');
    expect(() => fitNearestSubspace(x, 5, 3, new Int32Array(5), [0], 1)).toThrow('features has 12 values, expected n·F = 5·3 = 15');
  });
});
