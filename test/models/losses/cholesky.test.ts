import { describe, expect, it } from 'vitest';
import { choleskyLower, halfLogdetFromCholesky, spdInverseFromCholesky } from '../../../models/losses/cholesky';
import { inverseGJ, logdetLU } from './reference';

function spd(k: number, seed: number): Float64Array {
  // A = I + BᵀB with a deterministic B.
  const b = Float64Array.from({ length: k * k }, (_, i) => Math.sin(seed * 13 + i * 0.7));
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = i === j ? 1 : 0;
      for (let p = 0; p < k; p++) s += b[p * k + i] * b[p * k + j];
      a[i * k + j] = s;
    }
  return a;
}

describe('host Cholesky', () => {
  it.each([1, 3, 17, 64])('factor, ½logdet and inverse agree with LU / Gauss–Jordan for k=%i', (k) => {
    const a = spd(k, k);
    const l = choleskyLower(a, k);
    expect(l).not.toBeNull();
    const L = l as Float64Array;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) expect(L[i * k + j]).toBe(0);
    expect(halfLogdetFromCholesky(L, k)).toBeCloseTo(0.5 * logdetLU(a, k), 9);
    const inv = spdInverseFromCholesky(L, k);
    const ref = inverseGJ(a, k);
    let err = 0;
    let nrm = 0;
    for (let i = 0; i < k * k; i++) {
      err += (inv[i] - ref[i]) ** 2;
      nrm += ref[i] ** 2;
    }
    expect(Math.sqrt(err / nrm)).toBeLessThan(1e-10);
  });

  it('returns null for a matrix that is not positive definite', () => {
    expect(choleskyLower(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
    expect(choleskyLower(Float64Array.from([Number.NaN]), 1)).toBeNull();
  });
});
