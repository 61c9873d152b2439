// Linear drift compensation (recipe driftCompensation 3): an affine map z ↦ (z − m₀)·W + m₁ fitted on the task's new
// images, from their features under the encoder at the task start (f₀) to their features at the task end (f), and
// applied to what the lab keeps of each old class: mean, memory vectors and principal directions. A mean shift alone
// (semantic drift compensation, mode 2) cannot follow a rotation of the feature space, which moves an old class's
// subspace and not only its centre (learnable drift compensation, Gomez-Villa et al. 2024, fits such a linear map).
// Host float64; F is the feature size (≤ a few hundred).
import { symEig } from '../../models/subspace/linalg';

export interface DriftMap {
  F: number;
  /** (F, F) row-major: row vectors are mapped by z·W */
  W: Float64Array;
  m0: Float64Array;
  m1: Float64Array;
}

/**
 * Ridge fit toward the identity: W = argmin ‖(Z₁ − m₁) − (Z₀ − m₀)W‖² + α‖W − I‖², α = ridge·tr(Z₀cᵀZ₀c)/F, so directions
 * the new images do not span keep W = I there (no evidence of drift, no change).
 */
export function fitDriftMap(z0: Float32Array, z1: Float32Array, n: number, F: number, ridge: number): DriftMap {
  if (n < 2) throw new Error(`fitDriftMap: need at least 2 probe features, got ${n}`);
  if (z0.length < n * F || z1.length < n * F) throw new Error(`fitDriftMap: expected ${n}×${F} features before and after`);
  if (!(ridge > 0)) throw new Error(`fitDriftMap: ridge must be > 0, got ${ridge}`);
  const m0 = new Float64Array(F);
  const m1 = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) (m0[j] += z0[i * F + j] / n), (m1[j] += z1[i * F + j] / n);
  const A = new Float64Array(F * F); // Z₀cᵀZ₀c
  const B = new Float64Array(F * F); // Z₀cᵀZ₁c
  const a = new Float64Array(F);
  const b = new Float64Array(F);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < F; j++) (a[j] = z0[i * F + j] - m0[j]), (b[j] = z1[i * F + j] - m1[j]);
    for (let p = 0; p < F; p++) {
      const ap = a[p];
      if (ap === 0) continue;
      for (let q = 0; q < F; q++) (A[p * F + q] += ap * a[q]), (B[p * F + q] += ap * b[q]);
    }
  }
  let tr = 0;
  for (let j = 0; j < F; j++) tr += A[j * F + j];
  const alpha = Math.max((ridge * tr) / F, 1e-12);
  for (let j = 0; j < F; j++) (A[j * F + j] += alpha), (B[j * F + j] += alpha);
  return { F, W: solveSpd(A, B, F), m0, m1 };
}

/** Rows z (m, F) mapped by (z − m₀)·W + m₁. */
export function mapRows(map: DriftMap, z: Float32Array, m: number): Float32Array {
  const { F, W, m0, m1 } = map;
  const out = new Float32Array(m * F);
  const c = new Float64Array(F);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < F; j++) c[j] = z[i * F + j] - m0[j];
    for (let q = 0; q < F; q++) {
      let s = m1[q];
      for (let p = 0; p < F; p++) s += c[p] * W[p * F + q];
      out[i * F + q] = s;
    }
  }
  return out;
}

/**
 * A class's principal directions U (F, r) with singular values σ after the map: the columns of U·diag(σ) are
 * deviations from the mean, so they move by the linear part W alone; the new basis and σ are the thin SVD of the
 * moved deviations (directions with σ = 0 stay zero).
 */
export function mapSubspace(map: DriftMap, basis: Float32Array, sigma: Float32Array, r: number): { basis: Float32Array; sigma: Float32Array } {
  const { F, W } = map;
  const M = new Float64Array(r * F); // row k = σ_k·u_kᵀ·W
  for (let k = 0; k < r; k++) {
    const s = sigma[k] ?? 0;
    if (s === 0) continue;
    for (let q = 0; q < F; q++) {
      let v = 0;
      for (let p = 0; p < F; p++) v += basis[p * r + k] * W[p * F + q];
      M[k * F + q] = s * v;
    }
  }
  const G = new Float64Array(r * r); // M·Mᵀ
  for (let i = 0; i < r; i++) for (let j = 0; j <= i; j++) {
    let s = 0;
    for (let q = 0; q < F; q++) s += M[i * F + q] * M[j * F + q];
    G[i * r + j] = s;
    G[j * r + i] = s;
  }
  const { values, vectors } = symEig(G, r);
  const outBasis = new Float32Array(F * r);
  const outSigma = new Float32Array(r);
  for (let k = 0; k < r; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s < 1e-12) continue;
    outSigma[k] = s;
    for (let q = 0; q < F; q++) {
      let v = 0;
      for (let i = 0; i < r; i++) v += vectors[i * r + k] * M[i * F + q];
      outBasis[q * r + k] = v / s; // (Mᵀv_k)/s_k: unit, orthogonal to the others
    }
  }
  return { basis: outBasis, sigma: outSigma };
}

/** X = A⁻¹B for SPD A (F, F) by Cholesky; B (F, F). */
function solveSpd(A: Float64Array, B: Float64Array, F: number): Float64Array {
  const L = new Float64Array(F * F);
  for (let j = 0; j < F; j++) {
    let d = A[j * F + j];
    for (let k = 0; k < j; k++) d -= L[j * F + k] ** 2;
    if (!(d > 0)) throw new Error('fitDriftMap: the probe Gram is not positive definite');
    const ljj = Math.sqrt(d);
    L[j * F + j] = ljj;
    for (let i = j + 1; i < F; i++) {
      let v = A[i * F + j];
      for (let k = 0; k < j; k++) v -= L[i * F + k] * L[j * F + k];
      L[i * F + j] = v / ljj;
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < F; c++) {
    for (let i = 0; i < F; i++) { // forward: L y = b
      let v = X[i * F + c];
      for (let k = 0; k < i; k++) v -= L[i * F + k] * X[k * F + c];
      X[i * F + c] = v / L[i * F + i];
    }
    for (let i = F - 1; i >= 0; i--) { // back: Lᵀ x = y
      let v = X[i * F + c];
      for (let k = i + 1; k < F; k++) v -= L[k * F + i] * X[k * F + c];
      X[i * F + c] = v / L[i * F + i];
    }
  }
  return X;
}
