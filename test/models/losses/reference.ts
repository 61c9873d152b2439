/**
 * Float64 references for the coding-rate tests, deliberately using different algorithms from the
 * code under test (LU with partial pivoting and Gauss–Jordan instead of Cholesky), and always the
 * d×d form logdet(I + α·ZᵀZ), so they also cross-check the n×n branch.
 */

export type Mat = Float64Array; // row-major

/** log|det A| by LU with partial pivoting (A is k×k, copied). */
export function logdetLU(a0: Mat, k: number): number {
  const a = Float64Array.from(a0);
  let s = 0;
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r * k + c]) > Math.abs(a[p * k + c])) p = r;
    if (p !== c) for (let j = 0; j < k; j++) [a[c * k + j], a[p * k + j]] = [a[p * k + j], a[c * k + j]];
    const piv = a[c * k + c];
    s += Math.log(Math.abs(piv));
    for (let r = c + 1; r < k; r++) {
      const f = a[r * k + c] / piv;
      if (f !== 0) for (let j = c; j < k; j++) a[r * k + j] -= f * a[c * k + j];
    }
  }
  return s;
}

/** A⁻¹ by Gauss–Jordan with partial pivoting. */
export function inverseGJ(a0: Mat, k: number): Mat {
  const a = Float64Array.from(a0);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r * k + c]) > Math.abs(a[p * k + c])) p = r;
    for (let j = 0; j < k; j++) {
      [a[c * k + j], a[p * k + j]] = [a[p * k + j], a[c * k + j]];
      [inv[c * k + j], inv[p * k + j]] = [inv[p * k + j], inv[c * k + j]];
    }
    const piv = a[c * k + c];
    for (let j = 0; j < k; j++) {
      a[c * k + j] /= piv;
      inv[c * k + j] /= piv;
    }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r * k + c];
      if (f === 0) continue;
      for (let j = 0; j < k; j++) {
        a[r * k + j] -= f * a[c * k + j];
        inv[r * k + j] -= f * inv[c * k + j];
      }
    }
  }
  return inv;
}

/** I + α·ZᵀZ (d×d) for Z (n×d) row-major. */
export function iPlusAlphaZtZ(z: ArrayLike<number>, n: number, d: number, alpha: number): Mat {
  const a = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const zi = z[r * d + i];
      if (zi === 0) continue;
      for (let j = 0; j < d; j++) a[i * d + j] += alpha * zi * z[r * d + j];
    }
  }
  for (let i = 0; i < d; i++) a[i * d + i] += 1;
  return a;
}

export function halfLogdetRef(z: ArrayLike<number>, n: number, d: number, alpha: number): number {
  return 0.5 * logdetLU(iPlusAlphaZtZ(z, n, d, alpha), d);
}

/** α·Z·(I + αZᵀZ)⁻¹, (n×d). */
export function halfLogdetGradRef(z: ArrayLike<number>, n: number, d: number, alpha: number): Mat {
  const inv = inverseGJ(iPlusAlphaZtZ(z, n, d, alpha), d);
  const g = new Float64Array(n * d);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += z[r * d + i] * inv[i * d + j];
      g[r * d + j] = alpha * s;
    }
  return g;
}

export function rowsOf(z: ArrayLike<number>, d: number, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < d; j++) out[i * d + j] = z[rows[i] * d + j];
  return out;
}

export function codingRateRef(z: ArrayLike<number>, n: number, d: number, eps2: number): number {
  return halfLogdetRef(z, n, d, d / (n * eps2));
}

export function rateReductionRef(z: ArrayLike<number>, n: number, d: number, labels: ArrayLike<number>, k: number, eps2: number): number {
  let rc = 0;
  for (let c = 0; c < k; c++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (labels[i] === c) rows.push(i);
    if (rows.length === 0) continue;
    rc += (rows.length / n) * codingRateRef(rowsOf(z, d, rows), rows.length, d, eps2);
  }
  return codingRateRef(z, n, d, eps2) - rc;
}

export function pairedRef(z: ArrayLike<number>, n: number, zh: ArrayLike<number>, nh: number, d: number, eps2: number): number {
  const u = new Float64Array((n + nh) * d);
  u.set(Array.from(z).slice(0, n * d), 0);
  u.set(Array.from(zh).slice(0, nh * d), n * d);
  return codingRateRef(u, n + nh, d, eps2) - 0.5 * codingRateRef(z, n, d, eps2) - 0.5 * codingRateRef(zh, nh, d, eps2);
}

/** Central differences of f at x, every coordinate, step h. */
export function centralDiff(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-5): Float64Array {
  const xx = Float64Array.from(x);
  const g = new Float64Array(xx.length);
  for (let i = 0; i < xx.length; i++) {
    const x0 = xx[i];
    xx[i] = x0 + h;
    const fp = f(xx);
    xx[i] = x0 - h;
    const fm = f(xx);
    xx[i] = x0;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Deterministic unit-norm rows (n×d) from a tiny LCG, so tests need no tf randomness. */
export function unitRows(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const z = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    let nrm = 0;
    for (let j = 0; j < d; j++) {
      const v = rnd();
      z[r * d + j] = v;
      nrm += v * v;
    }
    nrm = Math.sqrt(nrm);
    for (let j = 0; j < d; j++) z[r * d + j] /= nrm;
  }
  return z;
}
