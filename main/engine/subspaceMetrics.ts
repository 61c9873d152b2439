// Host-side summaries of fitted class subspaces for the knowledge record (small r×r problems, float64).

/** Largest singular value of UiᵀUj for two orthonormal bases (F, ri) and (F, rj), row-major: cos of the smallest principal angle. */
export function maxPrincipalCosine(Ui: Float32Array, ri: number, Uj: Float32Array, rj: number, F: number): number {
  if (ri === 0 || rj === 0) return 0;
  // M = Uiᵀ Uj  (ri, rj)
  const M = new Float64Array(ri * rj);
  for (let f = 0; f < F; f++)
    for (let a = 0; a < ri; a++) {
      const u = Ui[f * ri + a];
      if (u === 0) continue;
      for (let b = 0; b < rj; b++) M[a * rj + b] += u * Uj[f * rj + b];
    }
  // power iteration on MᵀM (rj, rj); the top eigenvalue is σ_max²
  const G = new Float64Array(rj * rj);
  for (let a = 0; a < ri; a++)
    for (let b = 0; b < rj; b++) for (let c = 0; c < rj; c++) G[b * rj + c] += M[a * rj + b] * M[a * rj + c];
  let v = new Float64Array(rj).fill(1 / Math.sqrt(rj));
  let lambda = 0;
  for (let it = 0; it < 200; it++) {
    const w = new Float64Array(rj);
    for (let b = 0; b < rj; b++) for (let c = 0; c < rj; c++) w[b] += G[b * rj + c] * v[c];
    const norm = Math.hypot(...w);
    if (norm === 0) return 0;
    for (let b = 0; b < rj; b++) w[b] /= norm;
    if (Math.abs(norm - lambda) < 1e-12 * Math.max(1, norm)) {
      lambda = norm;
      v = w;
      break;
    }
    lambda = norm;
    v = w;
  }
  return Math.min(1, Math.sqrt(lambda));
}

/** Coding rate R(Z) = ½ logdet(I + F/(n ε²) ZᵀZ) of rows (n, F), through the F×F Gram, float64 Cholesky. */
export function codingRateHost(z: Float32Array, n: number, F: number, eps2: number): number {
  if (n === 0) return 0;
  const a = F / (n * eps2);
  const A = new Float64Array(F * F);
  for (let i = 0; i < n; i++) {
    const o = i * F;
    for (let p = 0; p < F; p++) {
      const zp = z[o + p];
      if (zp === 0) continue;
      for (let q = p; q < F; q++) A[p * F + q] += zp * z[o + q];
    }
  }
  for (let p = 0; p < F; p++) {
    for (let q = p; q < F; q++) {
      A[p * F + q] *= a;
      A[q * F + p] = A[p * F + q];
    }
    A[p * F + p] += 1;
  }
  // Cholesky in place (lower), ½ logdet = Σ log L_ii
  let half = 0;
  for (let j = 0; j < F; j++) {
    let d = A[j * F + j];
    for (let k = 0; k < j; k++) d -= A[j * F + k] * A[j * F + k];
    if (!(d > 0)) return NaN;
    const l = Math.sqrt(d);
    A[j * F + j] = l;
    half += Math.log(l);
    for (let i = j + 1; i < F; i++) {
      let s = A[i * F + j];
      for (let k = 0; k < j; k++) s -= A[i * F + k] * A[j * F + k];
      A[i * F + j] = s / l;
    }
  }
  return half;
}

/** Rows of `z` (n, F) whose label is `cls`. */
export function rowsOf(z: Float32Array, labels: Int32Array, F: number, cls: number): { z: Float32Array; n: number } {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === cls) n++;
  const out = new Float32Array(n * F);
  let at = 0;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] === cls) {
      out.set(z.subarray(i * F, (i + 1) * F), at * F);
      at++;
    }
  return { z: out, n };
}

export function meanRow(z: Float32Array, n: number, F: number): Float64Array {
  const m = new Float64Array(F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) m[f] += z[i * F + f];
  for (let f = 0; f < F; f++) m[f] /= Math.max(1, n);
  return m;
}
