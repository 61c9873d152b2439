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
  // W = L⁻¹ (lower triangular), by forward substitution column by column.
  const w = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    w[j * k + j] = 1 / l[j * k + j];
    for (let i = j + 1; i < k; i++) {
      let s = 0;
      for (let p = j; p < i; p++) s -= l[i * k + p] * w[p * k + j];
      w[i * k + j] = s / l[i * k + i];
    }
  }
  // A⁻¹[i][j] = Σ_{p ≥ max(i,j)} W[p][i]·W[p][j]
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = i; p < k; p++) s += w[p * k + i] * w[p * k + j];
      inv[i * k + j] = s;
      inv[j * k + i] = s;
    }
  }
  return inv;
}
