// Linear drift compensation (main/engine/driftMap.ts): the affine map fitted on probe features before/after a task,
// checked against known maps, and its action on a class's stored subspace against a refit of the moved features.
import { describe, expect, it } from 'vitest';
import { fitDriftMap, mapRows, mapSubspace } from '../../main/engine/driftMap';
import { MemoryBank } from '../../main/engine/memoryBank';
import { fitNearestSubspace } from '../../models/subspace/nearestSubspace';

const F = 6;
function rand(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
}
/** A well-conditioned map: identity plus a small random part, and a bias. */
function knownMap(seed: number): { W: Float64Array; b: Float64Array } {
  const r = rand(seed);
  const W = Float64Array.from({ length: F * F }, (_, k) => (k % (F + 1) === 0 ? 1 : 0) + 0.3 * r());
  return { W, b: Float64Array.from({ length: F }, () => 0.2 * r()) };
}
function apply(W: Float64Array, b: Float64Array, z: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * F);
  for (let i = 0; i < n; i++) for (let q = 0; q < F; q++) {
    let s = b[q];
    for (let p = 0; p < F; p++) s += z[i * F + p] * W[p * F + q];
    out[i * F + q] = s;
  }
  return out;
}

describe('fitDriftMap', () => {
  it('recovers an affine map exactly from noise-free probes that span the space', () => {
    const r = rand(3);
    const n = 200;
    const z0 = Float32Array.from({ length: n * F }, () => r());
    const { W, b } = knownMap(5);
    const z1 = apply(W, b, z0, n);
    const map = fitDriftMap(z0, z1, n, F, 1e-9);
    for (let k = 0; k < F * F; k++) expect(map.W[k]).toBeCloseTo(W[k], 4);
    const probe = Float32Array.from({ length: 4 * F }, () => 3 * r()); // also far outside the probes
    const want = apply(W, b, probe, 4);
    const got = mapRows(map, probe, 4);
    for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k], 3);
  });

  it('keeps the identity in directions the probes never vary in', () => {
    const r = rand(7);
    const n = 100;
    const z0 = new Float32Array(n * F);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) z0[i * F + j] = r(); // coordinates 3..5 stay 0
    const { W, b } = knownMap(9);
    const map = fitDriftMap(z0, apply(W, b, z0, n), n, F, 0.1);
    for (let p = 3; p < F; p++) for (let q = 0; q < F; q++) expect(map.W[p * F + q]).toBeCloseTo(p === q ? 1 : 0, 6);
  });

  it('rejects too few probes, short arrays and a non-positive ridge, naming the problem', () => {
    const z = new Float32Array(4 * F);
    expect(() => fitDriftMap(z, z, 1, F, 0.1)).toThrow(/at least 2/);
    expect(() => fitDriftMap(z, z, 5, F, 0.1)).toThrow(/5×6/);
    expect(() => fitDriftMap(z, z, 4, F, 0)).toThrow(/ridge/);
  });
});

describe('mapSubspace and MemoryBank.transform', () => {
  it('move a class subspace to the one refitted on the moved features (same span, same σ)', () => {
    const r = rand(11);
    const n = 60;
    const rank = 3;
    // class features: mean + combinations of 3 fixed directions (rank 3 in F = 6)
    const dirs = Array.from({ length: rank }, () => Float64Array.from({ length: F }, () => r()));
    const z = new Float32Array(n * F);
    for (let i = 0; i < n; i++) {
      const c = [r(), 0.5 * r(), 0.2 * r()];
      for (let j = 0; j < F; j++) z[i * F + j] = 0.3 + dirs.reduce((a, d, k) => a + c[k] * d[j], 0);
    }
    const labels = new Int32Array(n);
    const before = fitNearestSubspace(z, n, F, labels, [0], rank);
    const { W, b } = knownMap(13);
    const probes = Float32Array.from({ length: 100 * F }, () => r());
    const map = fitDriftMap(probes, apply(W, b, probes, 100), 100, F, 1e-9);
    const moved = mapSubspace(map, before.bases[0], before.sigma[0], rank);
    const refit = fitNearestSubspace(apply(W, b, z, n), n, F, labels, [0], rank);
    for (let k = 0; k < rank; k++) expect(moved.sigma[k]).toBeCloseTo(refit.sigma[0][k], 3);
    // same projector U·Uᵀ
    for (let p = 0; p < F; p++) for (let q = 0; q < F; q++) {
      let a = 0;
      let c = 0;
      for (let k = 0; k < rank; k++) {
        a += moved.basis[p * rank + k] * moved.basis[q * rank + k];
        c += refit.bases[0][p * rank + k] * refit.bases[0][q * rank + k];
      }
      expect(a).toBeCloseTo(c, 3);
    }

    // the memory bank applies the same map to mean, vectors and basis
    const bank = new MemoryBank(F);
    const e = bank.addClass(4, z, n, { directions: 2, explore: 10, perDirection: 3, rank }, 1);
    const z0 = Float32Array.from(e.z);
    const mean0 = Float32Array.from(e.mean);
    bank.transform(4, map);
    const after = bank.classes.get(4)!;
    const wantZ = apply(W, b, z0, e.m);
    for (let k = 0; k < wantZ.length; k++) expect(after.z[k]).toBeCloseTo(wantZ[k], 3);
    const wantMean = apply(W, b, mean0, 1);
    for (let j = 0; j < F; j++) expect(after.mean[j]).toBeCloseTo(wantMean[j], 3);
    for (let k = 0; k < rank; k++) {
      let norm = 0;
      for (let p = 0; p < F; p++) norm += after.basis[p * rank + k] ** 2;
      expect(norm).toBeCloseTo(1, 5);
    }
    expect(() => bank.transform(9, map)).toThrow(/no class 9/);
  });
});
