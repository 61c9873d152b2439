import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../../models/memory/random';
import { memoryBytes, sampleStructuredMemory } from '../../../models/memory/structuredMemory';

/** Rows dominated by e0 with varied magnitude, plus noise: top right-singular direction ≈ e0. */
function dataset(n: number, F: number, seed: number): Float32Array {
  const g = gaussian(mulberry32(seed));
  const x = new Float32Array(n * F);
  for (let i = 0; i < n; i++) {
    x[i * F] = 3 + 2 * g();
    for (let f = 1; f < F; f++) x[i * F + f] = 0.3 * g() + (f === 1 ? 0.5 : 0);
  }
  return x;
}

describe('mulberry32 + Box–Muller', () => {
  it('is deterministic per seed with the right first two moments', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
    const g = gaussian(mulberry32(7));
    const N = 20000;
    let m = 0;
    let v = 0;
    for (let i = 0; i < N; i++) {
      const x = g();
      m += x;
      v += x * x;
    }
    m /= N;
    v = v / N - m * m;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.04);
  });
});

describe('sampleStructuredMemory', () => {
  it('returns (directions·perDirection, F), deterministic per seed, not normalised by default', () => {
    const [n, F] = [120, 8];
    const x = dataset(n, F, 1);
    const opts = { directions: 3, explore: 20, perDirection: 5, seed: 9 };
    const a = sampleStructuredMemory(x, n, F, opts);
    expect(a.length).toBe(3 * 5 * F);
    expect(Array.from(sampleStructuredMemory(x, n, F, opts))).toEqual(Array.from(a));
    expect(Array.from(sampleStructuredMemory(x, n, F, { ...opts, seed: 10 }))).not.toEqual(Array.from(a));
    const norms = Array.from({ length: 15 }, (_, r) => Math.hypot(...a.subarray(r * F, (r + 1) * F)));
    expect(norms.some((v) => Math.abs(v - 1) > 0.1)).toBe(true);
    const u = sampleStructuredMemory(x, n, F, { ...opts, normalize: true });
    for (let r = 0; r < 15; r++) expect(Math.hypot(...u.subarray(r * F, (r + 1) * F))).toBeCloseTo(1, 5);
  });

  it('draws around the mean and covariance of the explored rows (largest |projection| on the top direction)', () => {
    const [n, F, explore] = [300, 6, 40];
    const x = dataset(n, F, 2);
    const N = 4000;
    const s = sampleStructuredMemory(x, n, F, { directions: 1, explore, perDirection: N, seed: 3 });
    // Independent selection: top right-singular vector by power iteration on XᵀX (large eigengap),
    // then the 40 rows with the largest |projection|.
    let v = new Float64Array(F).fill(1);
    for (let it = 0; it < 100; it++) {
      const w = new Float64Array(F);
      for (let i = 0; i < n; i++) {
        let p = 0;
        for (let f = 0; f < F; f++) p += x[i * F + f] * v[f];
        for (let f = 0; f < F; f++) w[f] += p * x[i * F + f];
      }
      const nrm = Math.hypot(...w);
      v = w.map((e) => e / nrm);
    }
    const proj = (i: number) => Math.abs(x.subarray(i * F, (i + 1) * F).reduce((a, e, f) => a + e * v[f], 0));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => proj(b) - proj(a));
    const chosen = order.slice(0, explore);
    const mean = new Float64Array(F);
    for (const i of chosen) for (let f = 0; f < F; f++) mean[f] += x[i * F + f] / explore;
    const varr = new Float64Array(F);
    for (const i of chosen) for (let f = 0; f < F; f++) varr[f] += (x[i * F + f] - mean[f]) ** 2 / (explore - 1);
    const sm = new Float64Array(F);
    for (let r = 0; r < N; r++) for (let f = 0; f < F; f++) sm[f] += s[r * F + f] / N;
    const sv = new Float64Array(F);
    for (let r = 0; r < N; r++) for (let f = 0; f < F; f++) sv[f] += (s[r * F + f] - sm[f]) ** 2 / (N - 1);
    for (let f = 0; f < F; f++) {
      expect(Math.abs(sm[f] - mean[f])).toBeLessThan(4 * Math.sqrt(varr[f] / N) + 1e-6);
      expect(Math.abs(sv[f] / varr[f] - 1)).toBeLessThan(0.1);
    }
    // The explored set is far from the typical row: its mean along e0 is well above the data mean 3.
    expect(mean[0]).toBeGreaterThan(5);
  });

  it('rejects bad input', () => {
    const x = new Float32Array(20);
    expect(() => sampleStructuredMemory(x, 5, 4, { directions: 5, explore: 2, perDirection: 1, seed: 1 })).toThrow(
      'sampleStructuredMemory: directions (5) exceeds the feature dimension 4',
    );
    expect(() => sampleStructuredMemory(x, 4, 4, { directions: 1, explore: 2, perDirection: 1, seed: 1 })).toThrow(
      'features has 20 values, expected n·F = 4·4 = 16',
    );
    x[3] = Number.NaN;
    expect(() => sampleStructuredMemory(x, 5, 4, { directions: 1, explore: 2, perDirection: 0, seed: 1 })).toThrow(
      'perDirection must be a positive integer, got 0',
    );
  });

  it('memoryBytes counts float32 features and an int32 label per vector', () => {
    // i-CTRL MNIST: 12 × 30 vectors of 128 floats per class, 10 classes.
    expect(memoryBytes({ classes: 10, directions: 12, perDirection: 30, featureDim: 128 })).toBe(3600 * (128 * 4 + 4));
  });
});
