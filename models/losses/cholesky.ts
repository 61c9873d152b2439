/**
 * Dense float64 Cholesky for the small SPD matrices of the coding-rate terms (k ≤ a few hundred).
 *
 * TF.js has no cholesky/logdet/inv (CRATE_SPEC §1.4), so the k×k Gram is factored on the host in
 * float64: the matrices are tiny next to the (n, d) features and float64 keeps logdet exact to
 * ~1e-12 even when α·λ_max(G) is large. Matrices are row-major Float64Array of length k·k.
 */

/**
 * Lower-triangular L with A = L·Lᵀ, reading only the lower triangle of A.
 * Returns null when a pivot is not positive (A not numerically SPD) so callers can name the culprit.
 */
export function choleskyLower(a: Float64Array, k: number): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const rj = j * k;
    let diag = a[rj + j];
    for (let p = 0; p < j; p++) diag -= l[rj + p] * l[rj + p];
    if (!(diag > 0)) return null;
    const ljj = Math.sqrt(diag);
    l[rj + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      const ri = i * k;
      let s = a[ri + j];
      for (let p = 0; p < j; p++) s -= l[ri + p] * l[rj + p];
      l[ri + j] = s / ljj;
    }
  }
  return l;
}

/** Σ log L_ii = ½·logdet(A) for A = L·Lᵀ. */
export function halfLogdetFromCholesky(l: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(l[i * k + i]);
  return s;
}

/** A⁻¹ = L⁻ᵀ·L⁻¹ from the Cholesky factor (full symmetric matrix, row-major). */
export function spdInverseFromCholesky(l: Float64Array, k: number): Float64Array {
  // V = (L⁻¹)ᵀ, upper triangular, stored row-major so both inner loops below run over contiguous
  // memory (about 5× faster than the column-strided form at k = 128).
  // Row j of V is column j of L⁻¹: V[j][i] = −(Σ_{p=j}^{i−1} L[i][p]·V[j][p]) / L[i][i], V[j][j] = 1/L[j][j].
  const v = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const rj = j * k;
    v[rj + j] = 1 / l[rj + j];
    for (let i = j + 1; i < k; i++) {
      const ri = i * k;
      let s = 0;
      for (let p = j; p < i; p++) s -= l[ri + p] * v[rj + p];
      v[rj + i] = s / l[ri + i];
    }
  }
  // A⁻¹[i][j] = Σ_{p ≥ max(i,j)} L⁻¹[p][i]·L⁻¹[p][j] = Σ_p V[i][p]·V[j][p]
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const ri = i * k;
    for (let j = 0; j <= i; j++) {
      const rj = j * k;
      let s = 0;
      for (let p = i; p < k; p++) s += v[ri + p] * v[rj + p];
      inv[ri + j] = s;
      inv[rj + i] = s;
    }
  }
  return inv;
}
