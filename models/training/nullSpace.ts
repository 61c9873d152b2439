/**
 * Learning in the null space of old classes' activations (Gradient Projection Memory, Saha et al., ICLR 2021).
 *
 * A linear layer y = a·W leaves every old input a unchanged when its update ΔW satisfies Uᵀ·ΔW = 0, U an orthonormal
 * basis of the old inputs' span. The basis is built task by task from the layer's inputs at each task's end
 * (`extendActivationBasis`, host float64: it runs once per task) and later updates are projected out of it
 * (`projectOutOf`). Only activations' directions are kept, never the images.
 */
import * as tf from '@tensorflow/tfjs';
import { symEig } from '../subspace/linalg';

export interface ActivationBasis {
  /** (dim, k) row-major, orthonormal columns */
  U: Float32Array;
  dim: number;
  k: number;
}

/**
 * Grow `prev` (null: empty) with the directions of the rows of `a` (n, dim) that it does not yet hold, until the
 * basis captures `energy` ∈ (0, 1] of ‖a‖²_F (GPM's threshold criterion; uncentred: the layer is linear).
 * The residual's directions come from the eigenvectors of its n×n Gram matrix, so n should stay in the hundreds.
 * Returns prev itself when it already captures enough.
 */
export function extendActivationBasis(
  prev: ActivationBasis | null,
  a: Float32Array,
  n: number,
  dim: number,
  energy: number,
): ActivationBasis {
  if (a.length !== n * dim) throw new Error(`extendActivationBasis: ${a.length} values are not ${n}×${dim}`);
  if (prev && prev.dim !== dim) throw new Error(`extendActivationBasis: basis has dim ${prev.dim}, activations ${dim}`);
  if (!(energy > 0 && energy <= 1)) throw new Error(`extendActivationBasis: energy must be in (0, 1], got ${energy}`);
  const k0 = prev?.k ?? 0;
  const U0 = prev?.U ?? new Float32Array(0);
  // residual R = A − A·U·Uᵀ, float64
  const r = Float64Array.from(a);
  let total = 0;
  for (let i = 0; i < r.length; i++) total += r[i] * r[i];
  if (total === 0 || n === 0) return prev ?? { U: new Float32Array(0), dim, k: 0 };
  const proj = new Float64Array(k0);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    proj.fill(0);
    for (let d = 0; d < dim; d++) {
      const v = r[row + d];
      if (v === 0) continue;
      for (let j = 0; j < k0; j++) proj[j] += v * U0[d * k0 + j];
    }
    for (let d = 0; d < dim; d++) {
      let s = 0;
      for (let j = 0; j < k0; j++) s += proj[j] * U0[d * k0 + j];
      r[row + d] -= s;
    }
  }
  let residual = 0;
  for (let i = 0; i < r.length; i++) residual += r[i] * r[i];
  let captured = total - residual;
  if (captured / total >= energy || k0 >= dim) return prev ?? { U: new Float32Array(0), dim, k: 0 };

  // eigenvectors of R·Rᵀ (n×n) give R's right singular vectors v = Rᵀu/σ
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += r[i * dim + d] * r[j * dim + d];
      g[i * n + j] = g[j * n + i] = s;
    }
  const { values, vectors } = symEig(g, n);
  const added: Float64Array[] = [];
  const floor = 1e-10 * total;
  for (let c = 0; c < n && captured / total < energy && k0 + added.length < dim; c++) {
    const lambda = values[c];
    if (!(lambda > floor)) break;
    const v = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const u = vectors[i * n + c];
      if (u === 0) continue;
      for (let d = 0; d < dim; d++) v[d] += u * r[i * dim + d];
    }
    // re-orthogonalise against the old basis and the directions added so far (round-off), then normalise
    for (let j = 0; j < k0; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += v[d] * U0[d * k0 + j];
      for (let d = 0; d < dim; d++) v[d] -= s * U0[d * k0 + j];
    }
    for (const w of added) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += v[d] * w[d];
      for (let d = 0; d < dim; d++) v[d] -= s * w[d];
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += v[d] * v[d];
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) continue;
    for (let d = 0; d < dim; d++) v[d] /= norm;
    added.push(v);
    captured += lambda;
  }
  const k = k0 + added.length;
  const U = new Float32Array(dim * k);
  for (let d = 0; d < dim; d++) {
    for (let j = 0; j < k0; j++) U[d * k + j] = U0[d * k0 + j];
    for (let j = 0; j < added.length; j++) U[d * k + k0 + j] = added[j][d];
  }
  return { U, dim, k };
}

/** delta − U·(Uᵀ·delta) for delta (dim, F) and U (dim, k): the part of an update that leaves span(U)'s inputs alone. */
export function projectOutOf(U: tf.Tensor2D, delta: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    // explicit transpose: tfjs-backend-wasm's matMul with transpose flags is 10–15× slower
    const coef = tf.matMul(tf.transpose(U), delta); // (k, F)
    return tf.sub(delta, tf.matMul(U, coef)) as tf.Tensor2D;
  });
}
