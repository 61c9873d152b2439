import { describe, expect, it } from 'vitest';
import { rightSingular, symEig } from '../../../models/subspace/linalg';
import { mulberry32, gaussian } from '../../../models/memory/random';

function randomSymmetric(k: number, seed: number): Float64Array {
  const g = gaussian(mulberry32(seed));
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j <= i; j++) a[i * k + j] = a[j * k + i] = g();
  return a;
}

describe('symEig (ml-matrix, symmetric path)', () => {
  it.each([2, 10, 40, 256])('reconstructs A = VΛVᵀ with orthonormal V for a random symmetric matrix, k = %i', (k) => {
    const a = randomSymmetric(k, k);
    const { values, vectors: v } = symEig(a, k);
    let err = 0;
    let nrm = 0;
    let orth = 0;
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        let s = 0;
        let o = 0;
        for (let p = 0; p < k; p++) {
          s += v[i * k + p] * values[p] * v[j * k + p];
          o += v[p * k + i] * v[p * k + j];
        }
        err += (s - a[i * k + j]) ** 2;
        nrm += a[i * k + j] ** 2;
        orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
      }
    expect(Math.sqrt(err / nrm)).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
    for (let i = 1; i < k; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
  });

  it('gets a hand-computed 2×2 case right', () => {
    const { values, vectors } = symEig([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0 * 2 + 0])).toBeCloseTo(Math.SQRT1_2, 12); // (1, 1)/√2 for λ = 3
    expect(vectors[0] * vectors[2]).toBeGreaterThan(0);
  });

  it('rejects non-finite entries and wrong sizes', () => {
    expect(() => symEig([1, Number.NaN, Number.NaN, 1], 2)).toThrow('symEig: matrix contains NaN/Inf (entry 1 of 2×2)');
    expect(() => symEig([1, 2, 3], 2)).toThrow('symEig: expected 2×2 = 4 entries, got 3');
  });
});

describe('rightSingular', () => {
  it('recovers the singular values and directions of X = diag-scaled orthonormal rows', () => {
    // X (3×4) rows: 3·e2, 2·e0, 1·e3 ⇒ σ = 3, 2, 1, 0; directions e2, e0, e3.
    const F = 4;
    const x = new Float32Array([0, 0, 3, 0, 2, 0, 0, 0, 0, 0, 0, 1]);
    const { basis, sigma, allSigma } = rightSingular(x, F, [0, 1, 2], 3);
    expect(Array.from(sigma)).toEqual([3, 2, 1].map((s) => expect.closeTo(s, 10)));
    expect(allSigma[3]).toBeCloseTo(0, 10);
    expect(Math.abs(basis[2 * 3 + 0])).toBeCloseTo(1, 10);
    expect(Math.abs(basis[0 * 3 + 1])).toBeCloseTo(1, 10);
    expect(Math.abs(basis[3 * 3 + 2])).toBeCloseTo(1, 10);
  });
});
