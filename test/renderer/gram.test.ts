import { describe, expect, it } from 'vitest';
import { absGram, balancedSubsample } from '../../renderer/src/lib/gram';

describe('|ZᵀZ| of a snapshot', () => {
  it('subsamples the same number per class, ordered by class', () => {
    const labels = [2, 0, 0, 1, 2, 0, 1, 2, 2, 0];
    const idx = balancedSubsample(labels, 6);
    expect(idx.map((i) => labels[i])).toEqual([0, 0, 1, 1, 2, 2]);
    expect(new Set(idx).size).toBe(6);
  });

  it('equals the naive absolute cosine matrix', () => {
    const d = 3;
    const z = Float32Array.from([1, 0, 0, 0, 2, 0, 1, -1, 0, 0, 0, -3]);
    const labels = [1, 0, 0, 1];
    const g = absGram(z, 4, d, labels, 100);
    expect(g.m).toBe(4);
    expect(Array.from(g.labels)).toEqual([0, 0, 1, 1]);
    expect(g.blocks).toEqual([
      { cls: 0, start: 0, count: 2 },
      { cls: 1, start: 2, count: 2 },
    ]);
    // ordered rows: z1 (0,2,0), z2 (1,-1,0), z0 (1,0,0), z3 (0,0,-3)
    const rows = [
      [0, 1, 0],
      [Math.SQRT1_2, -Math.SQRT1_2, 0],
      [1, 0, 0],
      [0, 0, -1],
    ];
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++) {
        const ref = Math.abs(rows[a][0] * rows[b][0] + rows[a][1] * rows[b][1] + rows[a][2] * rows[b][2]);
        expect(g.values[a * 4 + b]).toBeCloseTo(ref, 6);
      }
  });

  it('caps the picture at maxPoints', () => {
    const n = 5000;
    const z = new Float32Array(n * 2).fill(1);
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    expect(absGram(z, n, 2, labels, 1000).m).toBe(1000);
  });
});
