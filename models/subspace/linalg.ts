/**
 * Small dense float64 linear algebra for the subspace metrics and the memory sampler (F ≤ ~256).
 * Row-major Float64Array throughout. Not for hot loops: these run once per evaluation.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface SymEig {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** k×k row-major; column i (entries vectors[r·k + i]) is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition A = V·diag(λ)·Vᵀ of a symmetric k×k matrix: ml-matrix's symmetric path (Householder
 * tridiagonalisation + implicit QL, the JAMA/EISPACK tred2/tql2 pair), about 5× faster than cyclic Jacobi at
 * k = 256, where every evaluation runs dozens of these.
 */
export function symEig(a0: ArrayLike<number>, k: number): SymEig {
  if (a0.length !== k * k) throw new Error(`symEig: expected ${k}×${k} = ${k * k} entries, got ${a0.length}`);
  const rows: number[][] = [];
  for (let r = 0; r < k; r++) {
    const row = new Array<number>(k);
    for (let c = 0; c < k; c++) {
      const v = a0[r * k + c];
      if (!Number.isFinite(v)) throw new Error(`symEig: matrix contains NaN/Inf (entry ${r * k + c} of ${k}×${k})`);
      // the symmetric path reads only one triangle's worth of a non-symmetric input: symmetrise explicitly
      row[c] = 0.5 * (v + a0[c * k + r]);
    }
    rows.push(row);
  }
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const lambda = e.realEigenvalues; // ascending
  const V = e.eigenvectorMatrix;
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => lambda[j] - lambda[i]);
  const values = Float64Array.from(order, (i) => lambda[i]);
  const vectors = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) vectors[r * k + c] = V.get(r, order[c]);
  return { values, vectors };
}

/** XᵀX (F×F) of the rows `rows` of X (n×F), optionally minus the row mean `mean`. */
export function gramOfRows(
  x: ArrayLike<number>,
  F: number,
  rows: ArrayLike<number>,
  mean?: Float64Array,
): Float64Array {
  const g = new Float64Array(F * F);
  const v = new Float64Array(F);
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i] * F;
    for (let j = 0; j < F; j++) v[j] = x[base + j] - (mean ? mean[j] : 0);
    for (let p = 0; p < F; p++) {
      const vp = v[p];
      if (vp === 0) continue;
      for (let q = p; q < F; q++) g[p * F + q] += vp * v[q];
    }
  }
  for (let p = 0; p < F; p++) for (let q = 0; q < p; q++) g[p * F + q] = g[q * F + p];
  return g;
}

export function rowMean(x: ArrayLike<number>, F: number, rows: ArrayLike<number>): Float64Array {
  const m = new Float64Array(F);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < F; j++) m[j] += x[rows[i] * F + j];
  for (let j = 0; j < F; j++) m[j] /= Math.max(rows.length, 1);
  return m;
}

/**
 * Top-r right singular vectors (F×r row-major, orthonormal columns) and the singular values of the
 * rows of X (optionally centred), from the eigen-decomposition of XᵀX. Singular values below the
 * round-off floor are reported as 0 and their columns are still orthonormal eigenvectors.
 */
export function rightSingular(
  x: ArrayLike<number>,
  F: number,
  rows: ArrayLike<number>,
  r: number,
  mean?: Float64Array,
): { basis: Float64Array; sigma: Float64Array; allSigma: Float64Array } {
  const { values, vectors } = symEig(gramOfRows(x, F, rows, mean), F);
  const allSigma = Float64Array.from(values, (l) => Math.sqrt(Math.max(l, 0)));
  const basis = new Float64Array(F * r);
  for (let i = 0; i < F; i++) for (let c = 0; c < r; c++) basis[i * r + c] = vectors[i * F + c];
  return { basis, sigma: allSigma.slice(0, r), allSigma };
}

export function membersOf(labels: Int32Array, c: number): Int32Array {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === c) count++;
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === c) out[k++] = i;
  return out;
}
