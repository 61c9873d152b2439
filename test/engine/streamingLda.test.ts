// Streaming LDA / NCM (main/engine/streamingLda.ts): fed batch by batch, class by class, it must hold the batch
// statistics (means and pooled within-class covariance, computed here in float64 from all rows at once), predict as
// the batch LDA formula does, survive a checkpoint round trip unchanged, and separate Gaussian classes with a shared
// covariance that nearest class mean confuses.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { StreamingLda } from '../../main/engine/streamingLda';
import { EngineRng } from '../../main/engine/rng';

const F = 6;

function gaussian(rng: EngineRng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** K classes with means on a line and one elongated shared covariance: the means step 2 along an axis of σ = 4 and 0.9
 *  along one of σ = 0.3, so the direction that separates them is not the one with the largest mean difference. */
function data(rng: EngineRng, K: number, per: number) {
  const n = K * per;
  const z = new Float32Array(n * F);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    y[i] = c;
    const e = Array.from({ length: F }, () => gaussian(rng));
    z[i * F] = 4 * e[0] + 2 * c;
    z[i * F + 1] = 0.9 * c + 0.3 * e[1];
    for (let f = 2; f < F; f++) z[i * F + f] = 0.3 * e[f];
  }
  return { z, y, n };
}

function batchStats(z: Float32Array, y: Int32Array, n: number, classes: number[]) {
  const means = classes.map((c) => {
    const m = new Float64Array(F);
    let k = 0;
    for (let i = 0; i < n; i++) if (y[i] === c) {
      k++;
      for (let f = 0; f < F; f++) m[f] += z[i * F + f];
    }
    return m.map((v) => v / k);
  });
  const S = new Float64Array(F * F);
  for (let i = 0; i < n; i++) {
    const m = means[classes.indexOf(y[i])];
    for (let p = 0; p < F; p++) for (let q = 0; q < F; q++) S[p * F + q] += (z[i * F + p] - m[p]) * (z[i * F + q] - m[q]);
  }
  return { means, cov: S.map((v) => v / n) };
}

describe('streaming LDA', () => {
  it('holds the batch statistics and predicts as batch LDA does', () => {
    const rng = new EngineRng(4);
    const K = 4;
    const all = data(rng, K, 150);
    const lda = new StreamingLda(F);
    // classes arrive two per task, each task in uneven batches (and class 1 comes back in a later batch)
    const order = [...Array(all.n).keys()].sort((a, b) => (all.y[a] >= 2 ? 1 : 0) - (all.y[b] >= 2 ? 1 : 0) || a - b);
    for (let at = 0; at < order.length; ) {
      const len = Math.min(order.length - at, 37 + (at % 50));
      const rows = order.slice(at, at + len);
      lda.update(Float32Array.from(rows.flatMap((r) => Array.from(all.z.subarray(r * F, (r + 1) * F)))), Int32Array.from(rows, (r) => all.y[r]), len);
      at += len;
    }
    const classes = [0, 1, 2, 3];
    const ref = batchStats(all.z, all.y, all.n, classes);
    for (const [j, c] of classes.entries()) for (let f = 0; f < F; f++) expect(lda.classes.get(c)!.mean[f]).toBeCloseTo(ref.means[j][f], 5);
    for (let i = 0; i < F * F; i++) expect(lda.scatter[i] / lda.total).toBeCloseTo(ref.cov[i], 4);

    // batch LDA in float64: Λ = ((1 − ε)Σ + εI)⁻¹, score_c = zᵀΛμ_c − ½μ_cᵀΛμ_c
    const eps = 1e-4;
    const S = new Matrix(F, F);
    for (let p = 0; p < F; p++) for (let q = 0; q < F; q++) S.set(p, q, (1 - eps) * ref.cov[p * F + q] + (p === q ? eps : 0));
    const M = new Matrix(ref.means.map((m) => Array.from(m))).transpose();
    const W = new CholeskyDecomposition(S).solve(M);
    const test = data(rng, K, 50);
    const got = lda.predict(test.z, test.n, classes).lda;
    let agree = 0;
    for (let i = 0; i < test.n; i++) {
      let best = -Infinity;
      let arg = -1;
      for (let j = 0; j < K; j++) {
        let s = 0;
        let q = 0;
        for (let f = 0; f < F; f++) {
          s += test.z[i * F + f] * W.get(f, j);
          q += M.get(f, j) * W.get(f, j);
        }
        if (s - q / 2 > best) [best, arg] = [s - q / 2, j];
      }
      if (got[i] === classes[arg]) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(test.n - 1); // float32 statistics may flip a tie
  });

  it('separates classes that nearest class mean confuses, and round-trips through a checkpoint exactly', () => {
    const rng = new EngineRng(9);
    const train = data(rng, 3, 300);
    const test = data(rng, 3, 200);
    const lda = new StreamingLda(F);
    lda.update(train.z, train.y, train.n);
    const s = lda.score(test.z, test.y, test.n, [0, 1, 2]);
    expect(s.lda.all).toBeGreaterThan(0.85); // LDA whitens: d′ ≈ 3 along the narrow axis
    expect(s.ncm.all).toBeLessThan(0.6); // NCM measures along the mean difference, where the wide axis swamps it
    const back = StreamingLda.fromTensors('x', F, lda.toTensors('x'))!;
    expect(Array.from(back.predict(test.z, test.n, [0, 1, 2]).lda)).toEqual(Array.from(lda.predict(test.z, test.n, [0, 1, 2]).lda));
    expect(back.total).toBe(lda.total);
  });
});
