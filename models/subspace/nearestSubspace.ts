/**
 * Nearest-subspace classifier (CRATE_SPEC §6.1; mcr2 evaluate.py, LDR test_acc.py, i-CTRL utils.py
 * nearsub — the "PCA with mean" variant the papers report). For each class: mean μ_j and the top-r
 * principal directions U_j (F×r) of the centred class features; a sample is scored by
 * s_j(z) = ‖(I − U_jU_jᵀ)(z − μ_j)‖₂ and assigned to argmin_j s_j.
 * Host float64; features are (n, F) row-major Float32Array.
 */
import { membersOf, rightSingular, rowMean } from './linalg';

export interface SubspaceModel {
  classes: number[];
  means: Float32Array[];
  /** (F, r) row-major per class, orthonormal columns (zero columns when a class has fewer than r+1 samples). */
  bases: Float32Array[];
  /** Top-r singular values of each centred class, descending. */
  sigma: Float32Array[];
  r: number;
  featureDim: number;
}

export function fitNearestSubspace(
  features: Float32Array,
  n: number,
  F: number,
  labels: Int32Array,
  classes: number[],
  r: number,
): SubspaceModel {
  const fn = 'fitNearestSubspace';
  checkFeatures(fn, features, n, F);
  if (labels.length !== n) throw new Error(`${fn}: labels has length ${labels.length} but there are ${n} samples`);
  if (classes.length === 0) throw new Error(`${fn}: no classes given`);
  if (!Number.isInteger(r) || r < 1 || r > F) throw new Error(`${fn}: r must be an integer in [1, ${F}], got ${r}`);
  const means: Float32Array[] = [];
  const bases: Float32Array[] = [];
  const sigma: Float32Array[] = [];
  for (const c of classes) {
    const rows = membersOf(labels, c);
    if (rows.length === 0) throw new Error(`${fn}: class ${c} has no samples`);
    const mu = rowMean(features, F, rows);
    const { basis, sigma: s } = rightSingular(features, F, rows, r, mu);
    // Directions beyond the class's rank (n_c − 1 after centring) are arbitrary: zero them so they
    // cannot absorb residual that the data never spanned.
    const rank = Math.min(rows.length - 1, F);
    for (let i = 0; i < F; i++) for (let k = rank; k < r; k++) basis[i * r + k] = 0;
    means.push(Float32Array.from(mu));
    bases.push(Float32Array.from(basis));
    sigma.push(Float32Array.from(s));
  }
  return { classes: [...classes], means, bases, sigma, r, featureDim: F };
}

export function predictNearestSubspace(
  m: SubspaceModel,
  features: Float32Array,
  n: number,
): { pred: Int32Array; residuals: Float32Array } {
  const F = m.featureDim;
  const r = m.r;
  checkFeatures('predictNearestSubspace', features, n, F);
  const k = m.classes.length;
  const pred = new Int32Array(n);
  const residuals = new Float32Array(n * k);
  const v = new Float64Array(F);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let bestJ = 0;
    for (let j = 0; j < k; j++) {
      const mu = m.means[j];
      const U = m.bases[j];
      let norm2 = 0;
      for (let f = 0; f < F; f++) {
        v[f] = features[i * F + f] - mu[f];
        norm2 += v[f] * v[f];
      }
      // ‖(I − UUᵀ)v‖² = ‖v‖² − ‖Uᵀv‖² for orthonormal (or zero) columns.
      let proj2 = 0;
      for (let c = 0; c < r; c++) {
        let p = 0;
        for (let f = 0; f < F; f++) p += U[f * r + c] * v[f];
        proj2 += p * p;
      }
      const res = Math.sqrt(Math.max(norm2 - proj2, 0));
      residuals[i * k + j] = res;
      if (res < best) {
        best = res;
        bestJ = j;
      }
    }
    pred[i] = m.classes[bestJ];
  }
  return { pred, residuals };
}

function checkFeatures(fn: string, features: Float32Array, n: number, F: number): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(F) || F < 1) throw new Error(`${fn}: bad sizes n=${n}, F=${F}`);
  if (features.length !== n * F) {
    throw new Error(`${fn}: features has ${features.length} values, expected n·F = ${n}·${F} = ${n * F}`);
  }
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) throw new Error(`${fn}: features contain NaN/Inf (row ${Math.floor(i / F)})`);
  }
}
