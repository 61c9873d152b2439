// The raw-pixel baseline's power-iteration PCA must find the same subspace as the exact eigen-decomposition
// that models/subspace uses for features (it exists only because F = 784 makes the exact route slow).
import { describe, expect, it } from 'vitest';
import { topSubspace } from '../../main/engine/subspaceAdapter';
import { rightSingular } from '../../models/subspace/linalg';
import { mulberry32, gaussian } from '../../models/memory/random';

describe('topSubspace (power iteration + Rayleigh–Ritz)', () => {
  it('matches the exact top-r right singular subspace and values on data with a clear spectral gap', () => {
    const n = 120, F = 40, r = 4;
    const g = gaussian(mulberry32(7));
    // rows = low-rank signal with decaying scales 10, 8, 6, 4 plus small isotropic noise
    const dirs = Array.from({ length: r }, () => Float64Array.from({ length: F }, g));
    const X = new Float64Array(n * F);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < r; a++) {
        const c = g() * (10 - 2 * a);
        for (let f = 0; f < F; f++) X[i * F + f] += c * dirs[a][f];
      }
    for (let i = 0; i < X.length; i++) X[i] += 0.01 * g();

    const fast = topSubspace(X, n, F, r, 3);
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const exact = rightSingular(X, F, rows, r);
    for (let k = 0; k < r; k++) expect(fast.sigma[k]).toBeCloseTo(exact.sigma[k], 6);
    // same subspace: the projectors agree, ‖P_fast − P_exact‖_max small
    let worst = 0;
    for (let a = 0; a < F; a++)
      for (let b = 0; b < F; b++) {
        let pf = 0, pe = 0;
        for (let k = 0; k < r; k++) {
          pf += fast.basis[a * r + k] * fast.basis[b * r + k];
          pe += exact.basis[a * r + k] * exact.basis[b * r + k];
        }
        worst = Math.max(worst, Math.abs(pf - pe));
      }
    expect(worst).toBeLessThan(1e-6);
  });
});
