/**
 * Float64 reference helpers for the training tests: per-class PCA bases, nearest-subspace prediction and
 * principal-angle cosines (CRATE_SPEC §6.1, §6.4). Independent of models/subspace so the tests check the
 * closed loop against plain linear algebra.
 */

/** Eigen-decomposition of a symmetric k×k row-major matrix by cyclic Jacobi; eigenvalues descending. */
export function symEig(a: Float64Array, k: number): { values: number[]; vectors: Float64Array /* k×k, columns */ } {
  const m = Float64Array.from(a);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += m[p * k + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = m[p * k + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * k + q] - m[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < k; i++) {
          const mip = m[i * k + p];
          const miq = m[i * k + q];
          m[i * k + p] = c * mip - s * miq;
          m[i * k + q] = s * mip + c * miq;
        }
        for (let i = 0; i < k; i++) {
          const mpi = m[p * k + i];
          const mqi = m[q * k + i];
          m[p * k + i] = c * mpi - s * mqi;
          m[q * k + i] = s * mpi + c * mqi;
        }
        for (let i = 0; i < k; i++) {
          const vip = v[i * k + p];
          const viq = v[i * k + q];
          v[i * k + p] = c * vip - s * viq;
          v[i * k + q] = s * vip + c * viq;
        }
      }
    }
  }
  const order = [...Array(k).keys()].sort((i, j) => m[j * k + j] - m[i * k + i]);
  const vectors = new Float64Array(k * k);
  order.forEach((src, dst) => {
    for (let i = 0; i < k; i++) vectors[i * k + dst] = v[i * k + src];
  });
  return { values: order.map((i) => m[i * k + i]), vectors };
}

export interface ClassSubspaces {
  means: Float64Array[];
  /** Orthonormal bases, F×r row-major. */
  bases: Float64Array[];
  r: number;
  f: number;
}

/** Per-class mean and top-r principal directions of rows `feats` (n×F). */
export function fitSubspaces(feats: Float32Array, n: number, f: number, labels: Int32Array, k: number, r: number, centre = true): ClassSubspaces {
  const means: Float64Array[] = [];
  const bases: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === c) rows.push(i);
    const mu = new Float64Array(f);
    if (centre) for (const i of rows) for (let j = 0; j < f; j++) mu[j] += feats[i * f + j] / rows.length;
    const cov = new Float64Array(f * f);
    for (const i of rows) {
      for (let a = 0; a < f; a++) {
        const xa = feats[i * f + a] - mu[a];
        for (let b = 0; b < f; b++) cov[a * f + b] += xa * (feats[i * f + b] - mu[b]);
      }
    }
    const { vectors } = symEig(cov, f);
    const basis = new Float64Array(f * r);
    for (let a = 0; a < f; a++) for (let j = 0; j < r; j++) basis[a * r + j] = vectors[a * f + j];
    means.push(mu);
    bases.push(basis);
  }
  return { means, bases, r, f };
}

/** Nearest subspace: argmin_c ‖(I − U_cU_cᵀ)(x − μ_c)‖. */
export function predictSubspaces(m: ClassSubspaces, feats: Float32Array, n: number): Int32Array {
  const { f, r } = m;
  const pred = new Int32Array(n);
  const d = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    m.bases.forEach((u, c) => {
      let norm2 = 0;
      for (let a = 0; a < f; a++) {
        d[a] = feats[i * f + a] - m.means[c][a];
        norm2 += d[a] * d[a];
      }
      let proj2 = 0;
      for (let j = 0; j < r; j++) {
        let s = 0;
        for (let a = 0; a < f; a++) s += u[a * r + j] * d[a];
        proj2 += s * s;
      }
      const res = norm2 - proj2;
      if (res < best) {
        best = res;
        pred[i] = c;
      }
    });
  }
  return pred;
}

/** Cosines of the principal angles between span(U) and span(V) (F×r each, orthonormal columns). */
export function principalCosines(u: Float64Array, v: Float64Array, f: number, r: number): number[] {
  const m = new Float64Array(r * r); // UᵀV
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let s = 0;
    for (let a = 0; a < f; a++) s += u[a * r + i] * v[a * r + j];
    m[i * r + j] = s;
  }
  const mtm = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
    let s = 0;
    for (let a = 0; a < r; a++) s += m[a * r + i] * m[a * r + j];
    mtm[i * r + j] = s;
  }
  return symEig(mtm, r).values.map((x) => Math.sqrt(Math.max(0, Math.min(1, x))));
}

/** Mean over class pairs of the mean principal-angle cosine. */
export function meanPairCosine(m: ClassSubspaces): number {
  let total = 0;
  let pairs = 0;
  for (let a = 0; a < m.bases.length; a++) for (let b = a + 1; b < m.bases.length; b++) {
    const cs = principalCosines(m.bases[a], m.bases[b], m.f, m.r);
    total += cs.reduce((x, y) => x + y, 0) / cs.length;
    pairs++;
  }
  return total / pairs;
}
