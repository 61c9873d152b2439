/**
 * Small dense float64 linear algebra for the subspace metrics and the memory sampler (F ≤ ~256).
 * Row-major Float64Array throughout. Not for hot loops: these run once per evaluation.
 */

export interface SymEig {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** k×k row-major; column i (entries vectors[r·k + i]) is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition A = V·diag(λ)·Vᵀ of a symmetric k×k matrix by cyclic Jacobi rotations.
 * Jacobi is slower than QR-based methods but simple, unconditionally stable and accurate to
 * machine precision on small symmetric matrices, which is all the metrics need.
 */
export function symEig(a0: ArrayLike<number>, k: number, opts: { maxSweeps?: number } = {}): SymEig {
  if (a0.length !== k * k) throw new Error(`symEig: expected ${k}×${k} = ${k * k} entries, got ${a0.length}`);
  const a = Float64Array.from(a0);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`symEig: matrix contains NaN/Inf (entry ${i} of ${k}×${k})`);
  }
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  const maxSweeps = opts.maxSweeps ?? 60;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q] * a[p * k + q];
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (apq === 0) continue;
        const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ·A·J: columns p, q, then rows p, q; V ← V·J.
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p];
          const arq = a[r * k + q];
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r];
          const aqr = a[q * k + r];
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => a[j * k + j] - a[i * k + i]);
  const values = Float64Array.from(order, (i) => a[i * k + i]);
  const vectors = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) vectors[r * k + c] = v[r * k + order[c]];
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
