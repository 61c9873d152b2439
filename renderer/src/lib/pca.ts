/**
 * Projection of snapshot features (n, d) to 3D for the subspace view.
 *
 * PCA: the d×d covariance is formed once (n·d² flops; d ≤ a few hundred) and its top three
 * eigenvectors are found by power iteration with deflation — cheaper and simpler than a full
 * eigendecomposition, and accurate enough for a picture.
 *
 * Letters: n points, d feature dimension, k = 3 output axes.
 */

export interface Projection {
  /** (3, d) row-major: the three axes as rows. */
  axes: Float64Array;
  /** (d) subtracted before projecting (zeros for class-direction projections). */
  center: Float64Array;
  d: number;
}

export function meanRows(x: Float32Array, n: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) m[j] += x[o + j];
  }
  if (n > 0) for (let j = 0; j < d; j++) m[j] /= n;
  return m;
}

/** Covariance (d, d) of rows of x around `mean`, divided by n. */
export function covariance(x: Float32Array, n: number, d: number, mean: Float64Array): Float64Array {
  const c = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) row[j] = x[o + j] - mean[j];
    // upper triangle only; mirrored below
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) c[base + b] += ra * row[b];
    }
  }
  const inv = n > 0 ? 1 / n : 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = c[a * d + b] * inv;
      c[a * d + b] = v;
      c[b * d + a] = v;
    }
  }
  return c;
}

/**
 * Top-k eigenpairs of a symmetric PSD matrix by power iteration with deflation.
 * Start vectors are deterministic so the same data gives the same axes.
 */
export function topEigenvectors(
  c: Float64Array,
  d: number,
  k: number,
  iters = 200,
): { vectors: Float64Array; values: Float64Array } {
  const m = Float64Array.from(c);
  const vectors = new Float64Array(k * d);
  const values = new Float64Array(k);
  const v = new Float64Array(d);
  const w = new Float64Array(d);
  for (let e = 0; e < Math.min(k, d); e++) {
    for (let j = 0; j < d; j++) v[j] = 1 + ((j * 7 + e * 13) % 11) / 11; // not orthogonal to typical eigvecs
    normalize(v);
    let lambda = 0;
    for (let it = 0; it < iters; it++) {
      matVec(m, v, w, d);
      const nrm = Math.sqrt(dot(w, w));
      if (nrm < 1e-30) break;
      for (let j = 0; j < d; j++) w[j] /= nrm;
      let diff = 0;
      for (let j = 0; j < d; j++) diff += Math.abs(w[j] - v[j]);
      v.set(w);
      lambda = nrm;
      if (diff < 1e-10) break;
    }
    // Rayleigh quotient is the eigenvalue even when the norm estimate is mid-convergence.
    matVec(m, v, w, d);
    lambda = dot(v, w);
    values[e] = lambda;
    vectors.set(v, e * d);
    // deflate: m ← m − λ v vᵀ
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) m[a * d + b] -= lambda * v[a] * v[b];
  }
  return { vectors, values };
}

export function pcaProjection(x: Float32Array, n: number, d: number, previous?: Projection | null): Projection {
  const center = meanRows(x, n, d);
  const cov = covariance(x, n, d, center);
  const { vectors } = topEigenvectors(cov, d, 3);
  if (previous && previous.d === d) alignSigns(vectors, previous.axes, d);
  return { axes: vectors, center, d };
}

/**
 * Project onto three given directions (e.g. the leading basis vector of three chosen classes).
 * Not centred and not orthogonalised on purpose: features lie on the sphere and class subspaces
 * pass through the origin, so each chosen class spreads along its own axis.
 */
export function directionProjection(dirs: Float64Array[], d: number): Projection {
  const axes = new Float64Array(3 * d);
  for (let k = 0; k < 3; k++) {
    const src = dirs[k];
    if (!src) continue;
    const v = Float64Array.from(src);
    normalize(v);
    axes.set(v, k * d);
  }
  return { axes, center: new Float64Array(d), d };
}

/** Flip each new axis so it points the same way as the old one: snapshots then morph, not mirror. */
export function alignSigns(axes: Float64Array, prev: Float64Array, d: number): void {
  for (let k = 0; k < 3; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += axes[k * d + j] * prev[k * d + j];
    if (s < 0) for (let j = 0; j < d; j++) axes[k * d + j] = -axes[k * d + j];
  }
}

/** out (n, 3) = (x − center) · axesᵀ */
export function project(x: Float32Array, n: number, p: Projection, out?: Float32Array): Float32Array {
  const d = p.d;
  const res = out ?? new Float32Array(n * 3);
  const a = p.axes;
  const c = p.center;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const v = x[o + j] - c[j];
      s0 += v * a[j];
      s1 += v * a[d + j];
      s2 += v * a[2 * d + j];
    }
    res[i * 3] = s0;
    res[i * 3 + 1] = s1;
    res[i * 3 + 2] = s2;
  }
  return res;
}

/** Project a single d-vector (a class mean or an axis end point). */
export function projectVector(v: ArrayLike<number>, p: Projection, centred = true): [number, number, number] {
  const d = p.d;
  const out: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += ((v[j] ?? 0) - (centred ? p.center[j] : 0)) * p.axes[k * d + j];
    out[k] = s;
  }
  return out;
}

/** Root-mean-square distance from the origin of (n, 3) points; used to scale the cloud to a unit view. */
export function rmsRadius(pts: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n * 3; i++) s += pts[i] * pts[i];
  return n > 0 ? Math.sqrt(s / n) : 0;
}

function matVec(m: Float64Array, v: Float64Array, out: Float64Array, d: number): void {
  for (let a = 0; a < d; a++) {
    let s = 0;
    const base = a * d;
    for (let b = 0; b < d; b++) s += m[base + b] * v[b];
    out[a] = s;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalize(v: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
}
