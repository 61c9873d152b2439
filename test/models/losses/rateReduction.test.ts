import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogdetMode } from '../../../models/losses/halfLogdet';
import {
  closedLoopObjective,
  codingRate,
  pairedRateReduction,
  rateReduction,
} from '../../../models/losses/rateReduction';
import { TEST_BACKENDS, useBackend } from './backends';
import { centralDiff, codingRateRef, pairedRef, rateReductionRef, relErr, rowsOf, unitRows } from './reference';

const CASES = TEST_BACKENDS.flatMap((b) => (['host', 'device'] as const).map((m) => [b, m] as const));

function withTensors<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

function scalar(t: tf.Tensor): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

function labelsOf(n: number, k: number, seed: number): Int32Array {
  const l = new Int32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    l[i] = (s >>> 16) % k;
  }
  return l;
}

describe.each(CASES)('rate reduction on %s (%s mode)', (backend, mode) => {
  const tol = mode === 'host' ? 1e-5 : 1e-4;
  beforeAll(async () => {
    await useBackend(backend);
    setLogdetMode(mode);
  });
  afterAll(() => setLogdetMode('auto'));

  it.each([
    [30, 8, 3, 0.5],
    [24, 16, 4, 1.0],
    [50, 6, 5, 0.5],
  ])('ΔR matches the float64 reference for n=%i d=%i k=%i ε²=%f', (n, d, k, eps2) => {
    const z = unitRows(n, d, n + d);
    const labels = labelsOf(n, k, 7);
    const [r, dr] = withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const out = [scalar(codingRate(Z, eps2)), scalar(rateReduction(Z, labels, k, eps2))];
      Z.dispose();
      return out;
    });
    expect(Math.abs(r - codingRateRef(z, n, d, eps2)) / codingRateRef(z, n, d, eps2)).toBeLessThan(tol);
    const ref = rateReductionRef(z, n, d, labels, k, eps2);
    expect(Math.abs(dr - ref)).toBeLessThan(tol * 10 * Math.max(1, Math.abs(ref)));
  });

  it('closed form: orthonormal rows (n ≤ d) give R = n/2·log(1 + d/(nε²))', () => {
    // Z = first n rows of I_d, so ZᵀZ is a rank-n projector: logdet(I + αP) = n·log(1 + α).
    const [n, d, eps2] = [6, 10, 0.5];
    const labels = Int32Array.from([0, 0, 0, 1, 1, 2]);
    const z = new Float32Array(n * d);
    for (let i = 0; i < n; i++) z[i * d + i] = 1;
    const [r, dr] = withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const out = [scalar(codingRate(Z, eps2)), scalar(rateReduction(Z, labels, 3, eps2))];
      Z.dispose();
      return out;
    });
    const R = (m: number) => (m / 2) * Math.log(1 + d / (m * eps2));
    expect(r).toBeCloseTo(R(n), 4);
    const expected = R(6) - (3 / 6) * R(3) - (2 / 6) * R(2) - (1 / 6) * R(1);
    expect(dr).toBeCloseTo(expected, 4);
  });

  it('closed form: each class one repeated direction, directions orthonormal (n > d branch)', () => {
    // ZᵀZ = Σ_j n_j·u_j u_jᵀ ⇒ R = ½Σ_j log(1 + d·n_j/(nε²)); each class is rank 1 ⇒ R(Z_j) = ½·log(1 + d/ε²).
    const [d, eps2] = [8, 0.5];
    const counts = [10, 14, 16];
    const n = counts.reduce((a, b) => a + b, 0);
    const z = new Float32Array(n * d);
    const labels = new Int32Array(n);
    let row = 0;
    counts.forEach((c, j) => {
      for (let r = 0; r < c; r++, row++) {
        z[row * d + 2 * j] = Math.SQRT1_2;
        z[row * d + 2 * j + 1] = Math.SQRT1_2;
        labels[row] = j;
      }
    });
    const dr = withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const out = scalar(rateReduction(Z, labels, 3, eps2));
      Z.dispose();
      return out;
    });
    const R = counts.reduce((a, c) => a + 0.5 * Math.log(1 + (d * c) / (n * eps2)), 0);
    const Rc = counts.reduce((a, c) => a + (c / n) * 0.5 * Math.log(1 + d / eps2), 0);
    expect(dr).toBeCloseTo(R - Rc, 4);
  });

  it('is invariant to a joint permutation of rows and labels, gradient permutes along', () => {
    const [n, d, k] = [21, 7, 3];
    const z = unitRows(n, d, 4);
    const labels = labelsOf(n, k, 3);
    const perm = Array.from({ length: n }, (_, i) => (i * 8 + 5) % n); // 8 is coprime with 21
    const zp = Float32Array.from(rowsOf(z, d, perm));
    const lp = Int32Array.from(perm, (i) => labels[i]);
    withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const Zp = tf.tensor2d(zp, [n, d]);
      const f = (l: Int32Array) => (x: tf.Tensor) => rateReduction(x as tf.Tensor2D, l, k, 0.5);
      const a = scalar(rateReduction(Z, labels, k, 0.5));
      const b = scalar(rateReduction(Zp, lp, k, 0.5));
      const ga = tf.grad(f(labels))(Z);
      const gb = tf.grad(f(lp))(Zp);
      const gaP = rowsOf(ga.dataSync(), d, perm);
      expect(Math.abs(a - b)).toBeLessThan(tol * 10);
      expect(relErr(gb.dataSync(), gaP)).toBeLessThan(1e-4);
      tf.dispose([Z, Zp, ga, gb]);
    });
  });

  it('skips empty classes: same value as after relabelling them away', () => {
    const [n, d] = [18, 6];
    const z = unitRows(n, d, 12);
    const dense = labelsOf(n, 3, 9); // classes 0..2
    const sparse = Int32Array.from(dense, (c) => [1, 3, 4][c]); // classes 0, 2, 5 empty
    const [a, b] = withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const out = [scalar(rateReduction(Z, dense, 3, 0.5)), scalar(rateReduction(Z, sparse, 6, 0.5))];
      Z.dispose();
      return out;
    });
    expect(Number.isFinite(b)).toBe(true);
    expect(Math.abs(a - b)).toBeLessThan(1e-6);
  });

  it('gradient of ΔR matches central differences of the float64 reference (both branches)', () => {
    for (const [n, d, k] of [
      [16, 5, 2],
      [9, 12, 3],
    ]) {
      const z = unitRows(n, d, 77 + n);
      const labels = labelsOf(n, k, 5);
      const g = withTensors(() => {
        const Z = tf.tensor2d(z, [n, d]);
        const gt = tf.grad((x: tf.Tensor) => rateReduction(x as tf.Tensor2D, labels, k, 0.5))(Z);
        const out = Array.from(gt.dataSync());
        tf.dispose([Z, gt]);
        return out;
      });
      const fd = centralDiff((x) => rateReductionRef(x, n, d, labels, k, 0.5), z);
      expect(relErr(g, fd)).toBeLessThan(1e-4);
    }
  });

  it('paired ΔR(Z, Z) = 0 and ΔR(Z, Ẑ) matches the reference with its gradient', () => {
    const [n, nh, d] = [12, 9, 7];
    const z = unitRows(n, d, 1);
    const zh = unitRows(nh, d, 2);
    const [self, pr, g] = withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const Zh = tf.tensor2d(zh, [nh, d]);
      const selfV = scalar(pairedRateReduction(Z, Z, 0.5));
      const prV = scalar(pairedRateReduction(Z, Zh, 0.5));
      const gt = tf.grad((x: tf.Tensor) => pairedRateReduction(x as tf.Tensor2D, Zh, 0.5))(Z);
      const out = Array.from(gt.dataSync());
      tf.dispose([Z, Zh, gt]);
      return [selfV, prV, out] as const;
    });
    expect(Math.abs(self)).toBeLessThan(1e-4);
    const ref = pairedRef(z, n, zh, nh, d, 0.5);
    expect(Math.abs(pr - ref)).toBeLessThan(tol * 10 * Math.max(1, Math.abs(ref)));
    const fd = centralDiff((x) => pairedRef(x, n, zh, nh, d, 0.5), z);
    expect(relErr(g, fd)).toBeLessThan(1e-4);
  });

  it('closedLoopObjective equals its parts computed separately, with weights and an empty class', () => {
    const [n, d, k, eps2] = [20, 6, 4, 0.5];
    const z = unitRows(n, d, 31);
    const zh = unitRows(n, d, 32);
    const labels = Int32Array.from(labelsOf(n, 3, 11), (c) => (c === 2 ? 3 : c)); // class 2 empty
    const w = [2, 0.5, 7, -1];
    const got = withTensors(() => {
      const Z = tf.tensor2d(z, [n, d]);
      const Zh = tf.tensor2d(zh, [n, d]);
      const o = closedLoopObjective(Z, Zh, labels, k, eps2, { pairWeights: w });
      const out = {
        T: o.T.dataSync()[0],
        dz: o.deltaRZ.dataSync()[0],
        dzh: o.deltaRZhat.dataSync()[0],
        pair: o.pair.dataSync()[0],
        per: Array.from(o.pairPerClass.dataSync()),
      };
      tf.dispose([Z, Zh, o.T, o.deltaRZ, o.deltaRZhat, o.pair, o.pairPerClass]);
      return out;
    });
    const dz = rateReductionRef(z, n, d, labels, k, eps2);
    const dzh = rateReductionRef(zh, n, d, labels, k, eps2);
    const per = [0, 1, 2, 3].map((c) => {
      const rows = Array.from(labels.keys()).filter((i) => labels[i] === c);
      return rows.length === 0 ? 0 : pairedRef(rowsOf(z, d, rows), rows.length, rowsOf(zh, d, rows), rows.length, d, eps2);
    });
    const pair = per.reduce((a, p, c) => a + w[c] * p, 0);
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(tol * 20 * Math.max(1, Math.abs(b)));
    close(got.dz, dz);
    close(got.dzh, dzh);
    got.per.forEach((p, c) => close(p, per[c]));
    expect(got.per[2]).toBe(0);
    close(got.pair, pair);
    close(got.T, dz + dzh + pair);
  });

  it('closedLoopObjective gradient w.r.t. Z and Ẑ matches central differences', () => {
    const [n, d, k, eps2] = [10, 4, 2, 0.5];
    const z = unitRows(n, d, 41);
    const zh = unitRows(n, d, 42);
    const labels = labelsOf(n, k, 13);
    const w = [1.5, 3];
    const ref = (x: ArrayLike<number>, xh: ArrayLike<number>) => {
      let t = rateReductionRef(x, n, d, labels, k, eps2) + rateReductionRef(xh, n, d, labels, k, eps2);
      for (let c = 0; c < k; c++) {
        const rows = Array.from(labels.keys()).filter((i) => labels[i] === c);
        t += w[c] * pairedRef(rowsOf(x, d, rows), rows.length, rowsOf(xh, d, rows), rows.length, d, eps2);
      }
      return t;
    };
    const [gz, gzh] = withTensors(() => {
      const inits = [tf.tensor2d(z, [n, d]), tf.tensor2d(zh, [n, d])];
      const Z = tf.variable(inits[0], true, `clZ-${backend}-${mode}`);
      const Zh = tf.variable(inits[1], true, `clZh-${backend}-${mode}`);
      tf.dispose(inits);
      const { value, grads } = tf.variableGrads(() => {
        const o = closedLoopObjective(Z, Zh, labels, k, eps2, { pairWeights: w });
        tf.dispose([o.deltaRZ, o.deltaRZhat, o.pair, o.pairPerClass]);
        return o.T;
      }, [Z, Zh]);
      const out = [Array.from(grads[Z.name].dataSync()), Array.from(grads[Zh.name].dataSync())];
      tf.dispose([value, grads[Z.name], grads[Zh.name], Z, Zh]);
      return out;
    });
    expect(relErr(gz, centralDiff((x) => ref(x, zh), z))).toBeLessThan(1e-4);
    expect(relErr(gzh, centralDiff((x) => ref(z, x), zh))).toBeLessThan(1e-4);
  });

  // Counted on cpu only: wasm kernels call readSync internally on their own heap (no device sync).
  it.skipIf(backend !== 'cpu')(`reads the device ${mode === 'host' ? 'exactly once' : 'never'} per forward+backward of closedLoopObjective`, () => {
    const [n, d, k] = [24, 6, 3];
    const Z = tf.tensor2d(unitRows(n, d, 1), [n, d]);
    const Zh = tf.tensor2d(unitRows(n, d, 2), [n, d]);
    const labels = labelsOf(n, k, 1);
    const backend = tf.backend() as unknown as { readSync: (id: object) => unknown };
    const original = backend.readSync;
    let reads = 0;
    backend.readSync = function (this: unknown, id: object) {
      reads++;
      return original.call(this, id);
    };
    try {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const o = closedLoopObjective(a as tf.Tensor2D, b as tf.Tensor2D, labels, k, 0.5);
        tf.dispose([o.deltaRZ, o.deltaRZhat, o.pair, o.pairPerClass]);
        return o.T;
      })([Z, Zh]);
      expect(reads).toBe(mode === 'host' ? 1 : 0);
      tf.dispose(grads);
    } finally {
      backend.readSync = original;
      tf.dispose([Z, Zh]);
    }
  });

  it('rejects bad labels and shapes with messages naming the function', () => {
    withTensors(() => {
      const Z = tf.tensor2d(unitRows(4, 3, 1), [4, 3]);
      expect(() => rateReduction(Z, Int32Array.from([0, 1, 2]), 3, 0.5)).toThrow('rateReduction: labels has length 3 but Z has 4 rows');
      expect(() => rateReduction(Z, Int32Array.from([0, 1, 5, 0]), 3, 0.5)).toThrow('rateReduction: label 5 at row 2 is outside [0, 3)');
      expect(() => rateReduction(Z, Int32Array.from([0, 1, 1, 0]), 3, 0)).toThrow(/eps2 \(ε²\) must be a positive number, got 0/);
      const Zh = tf.tensor2d(unitRows(4, 2, 1), [4, 2]);
      expect(() => pairedRateReduction(Z, Zh, 0.5)).toThrow('pairedRateReduction: Z is 4×3 but Zhat is 4×2');
      expect(() => closedLoopObjective(Z, Z, Int32Array.from([0, 0, 1, 1]), 2, 0.5, { pairWeights: [1] })).toThrow(
        'closedLoopObjective: pairWeights has length 1, expected numClasses = 2',
      );
      tf.dispose([Z, Zh]);
    });
  });
});

describe.each(TEST_BACKENDS)('rate reduction non-finite input on %s (host mode)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
    setLogdetMode('host');
  });
  afterAll(() => setLogdetMode('auto'));

  it('throws naming the input, no leak', () => {
    const z = unitRows(8, 3, 2);
    z[5] = Number.NaN;
    withTensors(() => {
      const Z = tf.tensor2d(z, [8, 3]);
      const Zok = tf.tensor2d(unitRows(8, 3, 3), [8, 3]);
      expect(() => rateReduction(Z, new Int32Array(8), 1, 0.5)).toThrow('rateReduction: Z contains NaN/Inf (shape 8×3)');
      expect(() => closedLoopObjective(Zok, Z, new Int32Array(8), 1, 0.5)).toThrow('closedLoopObjective: Zhat contains NaN/Inf (shape 8×3)');
      tf.dispose([Z, Zok]);
    });
  });
});
