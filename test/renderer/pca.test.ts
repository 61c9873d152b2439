import { describe, expect, it } from 'vitest';
import { alignSigns, covariance, directionProjection, meanRows, pcaProjection, project, rmsRadius, topEigenvectors } from '../../renderer/src/lib/pca';
import { mulberry32 } from '../../models/memory/random';

/** Cyclic Jacobi eigendecomposition in float64: the independent reference for power iteration. */
function jacobiEigen(a0: Float64Array, d: number): { values: number[]; vectors: number[][] } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++)
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[j * d + j] - a[i * d + i]);
  return { values: order.map((i) => a[i * d + i]), vectors: order.map((i) => Array.from({ length: d }, (_, k) => v[k * d + i])) };
}

function randomData(n: number, d: number, seed: number, scales: number[]): Float32Array {
  const r = mulberry32(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (r() * 2 - 1) * (scales[j] ?? 0.05) + 0.3;
  return x;
}

describe('pca', () => {
  it('covariance matches a direct float64 computation', () => {
    const n = 7;
    const d = 3;
    const x = randomData(n, d, 3, [1, 2, 3]);
    const m = meanRows(x, n, d);
    const c = covariance(x, n, d, m);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (x[i * d + a] - m[a]) * (x[i * d + b] - m[b]);
        expect(c[a * d + b]).toBeCloseTo(s / n, 12);
      }
  });

  it('top-3 eigenvectors by power iteration agree with Jacobi (up to sign)', () => {
    const n = 400;
    const d = 12;
    // rotate anisotropic data so the eigenvectors are not the coordinate axes
    const x0 = randomData(n, d, 11, [3, 2, 1.2, 0.6, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
    const x = new Float32Array(n * d);
    const ang = 0.7;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = x0[i * d + j];
      const a = x0[i * d];
      const b = x0[i * d + 1];
      x[i * d] = Math.cos(ang) * a - Math.sin(ang) * b;
      x[i * d + 1] = Math.sin(ang) * a + Math.cos(ang) * b;
    }
    const c = covariance(x, n, d, meanRows(x, n, d));
    const ref = jacobiEigen(c, d);
    const got = topEigenvectors(c, d, 3);
    for (let k = 0; k < 3; k++) {
      expect(got.values[k]).toBeCloseTo(ref.values[k], 6);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += got.vectors[k * d + j] * ref.vectors[k][j];
      expect(Math.abs(dot)).toBeGreaterThan(1 - 1e-6);
    }
  });

  it('projection equals (x − mean)·Vᵀ and has the eigenvalues as variances', () => {
    const n = 300;
    const d = 6;
    const x = randomData(n, d, 5, [2, 1, 0.5, 0.2, 0.1, 0.05]);
    const p = pcaProjection(x, n, d);
    const y = project(x, n, p);
    const c = covariance(x, n, d, p.center);
    const { values } = topEigenvectors(c, d, 3);
    for (let k = 0; k < 3; k++) {
      let s = 0;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += y[i * 3 + k] / n;
      for (let i = 0; i < n; i++) s += (y[i * 3 + k] - mean) ** 2;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(s / n).toBeCloseTo(values[k], 4);
    }
    expect(rmsRadius(y, n)).toBeGreaterThan(0);
  });

  it('alignSigns keeps the new axes pointing like the previous ones', () => {
    const d = 3;
    const prev = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const next = Float64Array.from([-1, 0, 0, 0, 1, 0, 0, 0, -1]);
    alignSigns(next, prev, d);
    expect(Array.from(next).map((v) => v + 0)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('directionProjection normalises the directions and does not centre', () => {
    const p = directionProjection([Float64Array.from([2, 0]), Float64Array.from([0, 3]), Float64Array.from([1, 1])], 2);
    const y = project(Float32Array.from([1, 1]), 1, p);
    expect(y[0]).toBeCloseTo(1, 6);
    expect(y[1]).toBeCloseTo(1, 6);
    expect(y[2]).toBeCloseTo(Math.SQRT2, 6);
  });
});
