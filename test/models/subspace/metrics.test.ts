import { describe, expect, it } from 'vitest';
import { blockStats, classCodingRates, classRank, principalAngles } from '../../../models/subspace/metrics';
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
