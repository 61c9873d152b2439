// LOCAL ADAPTER (engine side) for the nearest-subspace classifier and the structured-memory sampler, with the
// signatures of the shared brief. models/subspace and models/memory (models-losses helper) were not there when the
// engine was written; once they land this file should re-export them instead.
import { EngineRng } from './rng';

export interface SubspaceModel {
  classes: number[];
  means: Float32Array[];
  bases: Float32Array[]; // (F, r) row-major
  sigma: Float32Array[];
  r: number;
  featureDim: number;
}

/** Top-r right singular vectors (F, r) and singular values of rows X (n, F), by block power iteration + Rayleigh–Ritz. */
export function topSubspace(X: Float64Array, n: number, F: number, r: number, seed = 1): { basis: Float64Array; sigma: Float64Array } {
  r = Math.max(0, Math.min(r, n, F));
  if (r === 0) return { basis: new Float64Array(0), sigma: new Float64Array(0) };
  const rng = new EngineRng(seed);
  let V = new Float64Array(F * r);
  for (let i = 0; i < V.length; i++) V[i] = rng.next() - 0.5;
  orthonormalize(V, F, r);
  const XV = new Float64Array(n * r);
  const iters = 30;
  for (let it = 0; it < iters; it++) {
    mulXV(X, n, F, V, r, XV);
    const W = new Float64Array(F * r);
    mulXtY(X, n, F, XV, r, W); // XᵀX V
    orthonormalize(W, F, r);
    V = W;
  }
  // Rayleigh–Ritz: eigen of (XV)ᵀ(XV) (r×r)
  mulXV(X, n, F, V, r, XV);
  const G = new Float64Array(r * r);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < r; a++) {
      const u = XV[i * r + a];
      for (let b = 0; b < r; b++) G[a * r + b] += u * XV[i * r + b];
    }
  const { values, vectors } = jacobiEigen(G, r);
  const order = Array.from({ length: r }, (_, i) => i).sort((a, b) => values[b] - values[a]);
  const basis = new Float64Array(F * r);
  const sigma = new Float64Array(r);
  order.forEach((o, k) => {
    sigma[k] = Math.sqrt(Math.max(0, values[o]));
    for (let f = 0; f < F; f++) {
      let s = 0;
      for (let a = 0; a < r; a++) s += V[f * r + a] * vectors[a * r + o];
      basis[f * r + k] = s;
    }
  });
  return { basis, sigma };
}

function mulXV(X: Float64Array, n: number, F: number, V: Float64Array, r: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++) {
      const x = X[i * F + f];
      if (x === 0) continue;
      for (let a = 0; a < r; a++) out[i * r + a] += x * V[f * r + a];
    }
}

function mulXtY(X: Float64Array, n: number, F: number, Y: Float64Array, r: number, out: Float64Array): void {
  for (let i = 0; i < n; i++)
    for (let f = 0; f < F; f++) {
      const x = X[i * F + f];
      if (x === 0) continue;
      for (let a = 0; a < r; a++) out[f * r + a] += x * Y[i * r + a];
    }
}

/** Modified Gram–Schmidt on the columns of V (F, r); a dependent column is replaced by a unit vector. */
function orthonormalize(V: Float64Array, F: number, r: number): void {
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < a; b++) {
      let d = 0;
      for (let f = 0; f < F; f++) d += V[f * r + a] * V[f * r + b];
      for (let f = 0; f < F; f++) V[f * r + a] -= d * V[f * r + b];
    }
    let norm = 0;
    for (let f = 0; f < F; f++) norm += V[f * r + a] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) {
      for (let f = 0; f < F; f++) V[f * r + a] = f === a % F ? 1 : 0;
      a--; // re-orthogonalise the replacement
      continue;
    }
    for (let f = 0; f < F; f++) V[f * r + a] /= norm;
  }
}

/** Symmetric eigen-decomposition by cyclic Jacobi (small k). vectors: (k, k), column j is the j-th eigenvector. */
export function jacobiEigen(Ain: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(Ain);
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) V[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += A[p * k + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++)
      for (let q = p + 1; q < k; q++) {
        const apq = A[p * k + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * k + q] - A[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < k; i++) {
          const aip = A[i * k + p];
          const aiq = A[i * k + q];
          A[i * k + p] = c * aip - s * aiq;
          A[i * k + q] = s * aip + c * aiq;
        }
        for (let i = 0; i < k; i++) {
          const api = A[p * k + i];
          const aqi = A[q * k + i];
          A[p * k + i] = c * api - s * aqi;
          A[q * k + i] = s * api + c * aqi;
        }
        for (let i = 0; i < k; i++) {
          const vip = V[i * k + p];
          const viq = V[i * k + q];
          V[i * k + p] = c * vip - s * viq;
          V[i * k + q] = s * vip + c * viq;
        }
      }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = A[i * k + i];
  return { values, vectors: V };
}

export function fitNearestSubspace(features: Float32Array, n: number, F: number, labels: Int32Array, classes: number[], r: number): SubspaceModel {
  const means: Float32Array[] = [];
  const bases: Float32Array[] = [];
  const sigma: Float32Array[] = [];
  for (const c of classes) {
    let nc = 0;
    for (let i = 0; i < n; i++) if (labels[i] === c) nc++;
    const mean = new Float64Array(F);
    const X = new Float64Array(nc * F);
    let at = 0;
    for (let i = 0; i < n; i++)
      if (labels[i] === c) {
        for (let f = 0; f < F; f++) {
          X[at * F + f] = features[i * F + f];
          mean[f] += features[i * F + f];
        }
        at++;
      }
    for (let f = 0; f < F; f++) mean[f] /= Math.max(1, nc);
    for (let i = 0; i < nc; i++) for (let f = 0; f < F; f++) X[i * F + f] -= mean[f];
    const rc = Math.min(r, Math.max(0, nc - 1), F);
    const { basis, sigma: s } = topSubspace(X, nc, F, rc, 1 + c);
    means.push(Float32Array.from(mean));
    bases.push(Float32Array.from(basis));
    sigma.push(Float32Array.from(s));
  }
  return { classes: [...classes], means, bases, sigma, r, featureDim: F };
}

export function predictNearestSubspace(m: SubspaceModel, features: Float32Array, n: number): { pred: Int32Array; residuals: Float32Array } {
  const F = m.featureDim;
  const k = m.classes.length;
  const residuals = new Float32Array(n * k);
  const pred = new Int32Array(n);
  const d = new Float64Array(F);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let j = 0; j < k; j++) {
      const mu = m.means[j];
      const U = m.bases[j];
      const r = U.length / F;
      let norm2 = 0;
      for (let f = 0; f < F; f++) {
        d[f] = features[i * F + f] - mu[f];
        norm2 += d[f] * d[f];
      }
      // ‖(I − UUᵀ)d‖² = ‖d‖² − ‖Uᵀd‖² for orthonormal U
      let proj = 0;
      for (let a = 0; a < r; a++) {
        let s = 0;
        for (let f = 0; f < F; f++) s += U[f * r + a] * d[f];
        proj += s * s;
      }
      const res = Math.sqrt(Math.max(0, norm2 - proj));
      residuals[i * k + j] = res;
      if (res < best) {
        best = res;
        pred[i] = m.classes[j];
      }
    }
  }
  return { pred, residuals };
}

/** SPEC §5.2: top `directions` (uncentred) of the class, the `explore` samples with largest |projection| on each, and
 *  `perDirection` Gaussian draws from their mean and covariance (drawn as μ + Σ_i g_i (x_i − μ)/√(k−1), which has
 *  exactly the sample covariance). Not re-normalised, as in i-CTRL. */
export function sampleStructuredMemory(
  features: Float32Array,
  n: number,
  F: number,
  opts: { directions: number; explore: number; perDirection: number; seed: number },
): Float32Array {
  const X = Float64Array.from(features.subarray(0, n * F));
  const dirs = Math.min(opts.directions, n, F);
  const { basis } = topSubspace(X, n, F, dirs, opts.seed);
  const rng = new EngineRng(opts.seed);
  const gauss = () => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const k = Math.min(opts.explore, n);
  const out = new Float32Array(dirs * opts.perDirection * F);
  let row = 0;
  for (let a = 0; a < dirs; a++) {
    const proj = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let f = 0; f < F; f++) s += X[i * F + f] * basis[f * dirs + a];
      return { i, p: Math.abs(s) };
    }).sort((u, v) => v.p - u.p);
    const sel = proj.slice(0, k).map((e) => e.i);
    const mu = new Float64Array(F);
    for (const i of sel) for (let f = 0; f < F; f++) mu[f] += X[i * F + f] / sel.length;
    const scale = 1 / Math.sqrt(Math.max(1, sel.length - 1));
    for (let s = 0; s < opts.perDirection; s++) {
      const o = row * F;
      for (let f = 0; f < F; f++) out[o + f] = mu[f];
      for (const i of sel) {
        const g = gauss() * scale;
        for (let f = 0; f < F; f++) out[o + f] += g * (X[i * F + f] - mu[f]);
      }
      row++;
    }
  }
  return out;
}
