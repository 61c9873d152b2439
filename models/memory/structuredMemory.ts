/**
 * i-CTRL structured feature memory (CRATE_SPEC §5.2; tsb0601/i-CTRL incrementalLR/utils.py
 * find_support). For one finished class with features X (n, F):
 *   1. top `directions` right-singular directions v_i of X, WITHOUT centring (TruncatedSVD);
 *   2. for each v_i, the `explore` rows with the largest |X·v_i|;
 *   3. their mean μ_i and covariance Σ_i (np.cov: unbiased), plus 1e-6·I so Cholesky always works;
 *   4. `perDirection` draws from N(μ_i, Σ_i).
 * The memory is the (directions·perDirection, F) stack of draws, NOT re-normalised to the sphere
 * (as in the code) unless `normalize` is set. Exact eigenvectors of XᵀX stand in for sklearn's
 * randomized TruncatedSVD (same subspace up to its approximation error; signs do not matter since
 * only |projection| is used).
 */
import { choleskyLower } from '../losses/cholesky';
import { rightSingular } from '../subspace/linalg';
import { gaussian, mulberry32 } from './random';

export interface StructuredMemoryOptions {
  /** SAMPLE_N: right-singular directions per class (i-CTRL: 12). */
  directions: number;
  /** num_explore: rows kept per direction to fit the Gaussian (i-CTRL: 40). */
  explore: number;
  /** SAMPLE_K: draws per direction (i-CTRL yaml: 30 MNIST, 40 CIFAR-10). */
  perDirection: number;
  seed: number;
  /** Project each draw back onto the unit sphere (default false, as the reference code). */
  normalize?: boolean;
}

const COV_JITTER = 1e-6;

export function sampleStructuredMemory(
  features: Float32Array,
  n: number,
  F: number,
  opts: StructuredMemoryOptions,
): Float32Array {
  const fn = 'sampleStructuredMemory';
  const { directions, explore, perDirection, seed } = opts;
  if (features.length !== n * F) throw new Error(`${fn}: features has ${features.length} values, expected n·F = ${n}·${F} = ${n * F}`);
  if (n < 1) throw new Error(`${fn}: no features for this class`);
  for (const [k, v] of Object.entries({ directions, explore, perDirection })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${fn}: ${k} must be a positive integer, got ${v}`);
  }
  if (directions > F) throw new Error(`${fn}: directions (${directions}) exceeds the feature dimension ${F}`);
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) throw new Error(`${fn}: features contain NaN/Inf (row ${Math.floor(i / F)})`);
  }

  const all = Int32Array.from({ length: n }, (_, i) => i);
  const { basis } = rightSingular(features, F, all, directions); // (F, directions), no centring
  const e = Math.min(explore, n);
  const draw = gaussian(mulberry32(seed));
  const out = new Float32Array(directions * perDirection * F);
  const proj = new Float64Array(n);
  const g = new Float64Array(F);
  for (let d = 0; d < directions; d++) {
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let f = 0; f < F; f++) p += features[i * F + f] * basis[f * directions + d];
      proj[i] = Math.abs(p);
    }
    const top = Array.from(all)
      .sort((a, b) => proj[b] - proj[a] || a - b)
      .slice(0, e);
    const { mean, cov } = meanCov(features, F, top);
    const L = choleskyWithJitter(cov, F);
    for (let s = 0; s < perDirection; s++) {
      for (let f = 0; f < F; f++) g[f] = draw();
      const row = (d * perDirection + s) * F;
      let norm2 = 0;
      for (let i = 0; i < F; i++) {
        let x = mean[i];
        for (let j = 0; j <= i; j++) x += L[i * F + j] * g[j];
        out[row + i] = x;
        norm2 += x * x;
      }
      if (opts.normalize && norm2 > 0) {
        const inv = 1 / Math.sqrt(norm2);
        for (let i = 0; i < F; i++) out[row + i] *= inv;
      }
    }
  }
  return out;
}

/** Bytes of a memory bank: float32 features plus one int32 label per vector. */
export function memoryBytes(opts: { classes: number; directions: number; perDirection: number; featureDim: number }): number {
  const vectors = opts.classes * opts.directions * opts.perDirection;
  return vectors * (opts.featureDim * 4 + 4);
}

/** Mean and unbiased covariance (np.cov) of the given rows, plus COV_JITTER·I. */
export function meanCov(x: ArrayLike<number>, F: number, rows: ArrayLike<number>): { mean: Float64Array; cov: Float64Array } {
  const m = rows.length;
  const mean = new Float64Array(F);
  for (let r = 0; r < m; r++) for (let f = 0; f < F; f++) mean[f] += x[rows[r] * F + f];
  for (let f = 0; f < F; f++) mean[f] /= m;
  const cov = new Float64Array(F * F);
  const v = new Float64Array(F);
  for (let r = 0; r < m; r++) {
    for (let f = 0; f < F; f++) v[f] = x[rows[r] * F + f] - mean[f];
    for (let p = 0; p < F; p++) {
      const vp = v[p];
      if (vp === 0) continue;
      for (let q = 0; q <= p; q++) cov[p * F + q] += vp * v[q];
    }
  }
  const denom = Math.max(m - 1, 1);
  for (let p = 0; p < F; p++) {
    for (let q = 0; q <= p; q++) {
      const c = cov[p * F + q] / denom;
      cov[p * F + q] = c;
      cov[q * F + p] = c;
    }
    cov[p * F + p] += COV_JITTER;
  }
  return { mean, cov };
}

function choleskyWithJitter(cov: Float64Array, F: number): Float64Array {
  // The jitter already makes Σ SPD in exact arithmetic; round-off on a rank-deficient Σ can still
  // leave a tiny negative pivot, so grow the jitter a few times before giving up.
  let jitter = 0;
  for (let attempt = 0; attempt < 6; attempt++) {
    const a = Float64Array.from(cov);
    for (let i = 0; i < F; i++) a[i * F + i] += jitter;
    const l = choleskyLower(a, F);
    if (l) return l;
    jitter = jitter === 0 ? COV_JITTER : jitter * 10;
  }
  throw new Error('sampleStructuredMemory: covariance is not positive definite even with jitter');
}
