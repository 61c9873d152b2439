import { describe, expect, it } from 'vitest';
import { blockStats, classCodingRates, classRank, energyRank, principalAngles } from '../../../models/subspace/metrics';
import { gaussian, mulberry32 } from '../../../models/memory/random';
import { codingRateRef, rowsOf, unitRows } from '../losses/reference';

describe('classRank', () => {
  it('counts σ_i ≥ 1% of σ₁: a 3-dim class plus 1e-5 noise has rank 3', () => {
    const F = 12;
    const n = 50;
    const g = gaussian(mulberry32(1));
    const x = new Float32Array(n * F);
    for (let i = 0; i < n; i++) {
      const a = [g(), g(), g()];
      for (let f = 0; f < F; f++) x[i * F + f] = 0.5 + 1e-5 * g() + (f < 3 ? a[f] * (f + 1) : 0);
    }
    const labels = new Int32Array(n);
    const out = classRank(x, n, F, labels, [0]);
    expect(out.rank).toEqual([3]);
    expect(out.sigma[0].length).toBe(F);
    expect(out.sigma[0][2] / out.sigma[0][0]).toBeGreaterThan(0.01);
    expect(out.sigma[0][3] / out.sigma[0][0]).toBeLessThan(1e-3);
    expect(out.rule).toContain('0.01');
    // Uncentred, the constant 0.5 offset adds a direction: rank 4.
    expect(classRank(x, n, F, labels, [0], { centre: false }).rank).toEqual([4]);
  });
});

describe('energyRank', () => {
  it('counts the leading directions that hold a fraction of Σσ²', () => {
    // σ² = 9, 4, 1, 0 (total 14): 9 < 0.9·14 = 12.6 ≤ 13
    expect(energyRank([3, 2, 1, 0], 0.9)).toBe(2);
    expect(energyRank([3, 2, 1, 0], 0.5)).toBe(1);
    expect(energyRank([3, 2, 1, 0], 1)).toBe(3); // the zero direction holds nothing
    expect(energyRank([0, 0], 0.9)).toBe(0);
    expect(() => energyRank([1], 0)).toThrow(/energy must be in/);
  });

  it('tells apart what σ_i ≥ 1 % σ₁ does not: four orthogonal directions with scales 4, 2, 1, 0.5', () => {
    // rows = Σ_j s_j·h_ij·u_j with h the columns 1–4 of an 8×8 Sylvester–Hadamard matrix (orthogonal, mean zero)
    // and u_j orthonormal in F = 6, so the centred spectrum is exactly σ_j² = 8·s_j²: 128, 32, 8, 2 (total 170)
    const F = 6;
    const n = 8;
    const had = (i: number, j: number) => (popcount(i & j) % 2 === 0 ? 1 : -1);
    const g = gaussian(mulberry32(7));
    const u: number[][] = [];
    while (u.length < 4) {
      const v = Array.from({ length: F }, () => g());
      for (const w of u) {
        const d = v.reduce((a, x, k) => a + x * w[k], 0);
        for (let k = 0; k < F; k++) v[k] -= d * w[k];
      }
      const norm = Math.hypot(...v);
      u.push(v.map((x) => x / norm));
    }
    const s = [4, 2, 1, 0.5];
    const x = new Float32Array(n * F);
    for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < F; k++) x[i * F + k] += s[j] * had(i, j + 1) * u[j][k] + (j === 0 ? 0.25 : 0);
    const labels = new Int32Array(n);
    const spectra = classRank(x, n, F, labels, [0]);
    expect(Array.from(spectra.sigma[0].slice(0, 4), (v) => v * v)).toEqual([128, 32, 8, 2].map((v) => expect.closeTo(v, 3)));
    expect(spectra.rank).toEqual([4]); // every σ is ≥ 1 % of σ₁
    // cumulative 128, 160, 168, 170: 0.75·170 = 127.5 → 1; 0.9·170 = 153 → 2; 0.96·170 = 163.2 → 3
    expect(classRank(x, n, F, labels, [0], { energy: 0.75 }).rank).toEqual([1]);
    expect(classRank(x, n, F, labels, [0], { energy: 0.9 }).rank).toEqual([2]);
    const r96 = classRank(x, n, F, labels, [0], { energy: 0.96 });
    expect(r96.rank).toEqual([3]);
    expect(r96.rule).toContain('0.96 of the energy');
  });
});

function popcount(v: number): number {
  let c = 0;
  for (; v; v >>= 1) c += v & 1;
  return c;
}

describe('principalAngles', () => {
  it('gives cos θ for two lines at angle θ, 0 for orthogonal and √r overlap for identical subspaces', () => {
    const F = 3;
    const th = 0.3;
    const a = new Float32Array([1, 0, 0]);
    const b = new Float32Array([Math.cos(th), Math.sin(th), 0]);
    const c = new Float32Array([0, 0, 1]);
    const { cosSmallest, overlap } = principalAngles([a, b, c], F, 1);
    expect(cosSmallest[0 * 3 + 1]).toBeCloseTo(Math.cos(th), 6);
    expect(cosSmallest[1 * 3 + 0]).toBeCloseTo(Math.cos(th), 6);
    expect(cosSmallest[0 * 3 + 2]).toBeCloseTo(0, 6);
    expect(overlap[0 * 3 + 1]).toBeCloseTo(Math.cos(th), 6);
    // r = 2: span{e0, e1} vs span{e1, e2} share e1 (cos 1), Frobenius overlap 1; self overlap √2.
    const u = new Float32Array([1, 0, 0, 1, 0, 0]);
    const v = new Float32Array([0, 0, 1, 0, 0, 1]);
    const r2 = principalAngles([u, v], 3, 2);
    expect(r2.cosSmallest[1]).toBeCloseTo(1, 6);
    expect(r2.overlap[1]).toBeCloseTo(1, 6);
    expect(r2.overlap[0]).toBeCloseTo(Math.SQRT2, 6);
  });
});

describe('classCodingRates', () => {
  it('matches the float64 reference per class, for n_j < F and n_j > F', () => {
    const F = 6;
    const n = 17;
    const x = unitRows(n, F, 5);
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 4 ? 0 : 1)); // 4 < F, 13 > F
    const got = classCodingRates(x, n, F, labels, [0, 1, 2], 0.5);
    const ref = [0, 1].map((c) => {
      const rows = Array.from(labels.keys()).filter((i) => labels[i] === c);
      return codingRateRef(rowsOf(x, F, rows), rows.length, F, 0.5);
    });
    expect(got[0]).toBeCloseTo(ref[0], 10);
    expect(got[1]).toBeCloseTo(ref[1], 10);
    expect(Number.isNaN(got[2])).toBe(true);
  });
});

describe('blockStats', () => {
  it('is 1 within and 0 between for classes on orthogonal axes, and averages |cos| by hand', () => {
    const F = 2;
    const x = new Float32Array([1, 0, -1, 0, 0, 1, 0, 1]);
    const labels = Int32Array.from([0, 0, 1, 1]);
    const s = blockStats(x, 4, F, labels);
    expect(s.within).toBeCloseTo(1, 12);
    expect(s.between).toBeCloseTo(0, 12);
    // Mixed: a third class at 45° has |cos| = √½ to everything else.
    const y = new Float32Array([1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2]);
    const t = blockStats(y, 3, F, Int32Array.from([0, 1, 2]));
    expect(t.between).toBeCloseTo((0 + 2 * Math.SQRT1_2) / 3, 6);
    expect(Number.isNaN(t.within)).toBe(true); // no within-class pairs
    expect(t.matrix[0 * 3 + 2]).toBeCloseTo(Math.SQRT1_2, 6);
  });
});
