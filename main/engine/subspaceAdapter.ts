// Nearest subspace and structured memory for the engine: the models/ implementations (models-losses helper) for
// features, plus a power-iteration PCA for the raw-pixel baseline, where F = C·H·W (784 for digits) makes the exact
// F×F eigen-decomposition of models/subspace take ~27 s per class on 2 cores against ~3 s here.
import { fitNearestSubspace, predictNearestSubspace, type SubspaceModel } from '../../models/subspace/nearestSubspace';
import { sampleStructuredMemory } from '../../models/memory/structuredMemory';
import { EngineRng } from './rng';
import { symEig } from '../../models/subspace/linalg';

export { fitNearestSubspace, predictNearestSubspace, sampleStructuredMemory, type SubspaceModel };

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
  const { values, vectors } = symEig(G, r);
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


/** Same model as fitNearestSubspace (PCA with mean, r columns, zero columns beyond a class's rank), for large F. */
export function fitNearestSubspaceLarge(features: Float32Array, n: number, F: number, labels: Int32Array, classes: number[], r: number): SubspaceModel {
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
    // pad to r columns (zeros beyond the class's rank), as models/subspace does
    const padded = new Float32Array(F * r);
    for (let f = 0; f < F; f++) for (let k = 0; k < rc; k++) padded[f * r + k] = basis[f * rc + k];
    const sig = new Float32Array(r);
    sig.set(s);
    means.push(Float32Array.from(mean));
    bases.push(padded);
    sigma.push(sig);
  }
  return { classes: [...classes], means, bases, sigma, r, featureDim: F };
}

