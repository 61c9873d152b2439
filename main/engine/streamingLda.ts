// Streaming LDA and nearest class mean on a fixed encoder: the class-incremental reference that cannot forget by
// construction (Hayes & Kanan 2020, "Lifelong Machine Learning with Deep Streaming Linear Discriminant Analysis").
// The state is one mean per class and one within-class covariance shared by all classes, updated batch by batch
// with the exact pooled-scatter combination (Chan et al. 1979), so a stream of batches gives the batch LDA's
// statistics. Prediction: argmax_c  zᵀΛμ_c − ½ μ_cᵀΛμ_c  with  Λ = ((1 − ε)Σ + εI)⁻¹ (shrinkage ε, as in the paper);
// NCM: argmin_c ‖z − μ_c‖.
//
// Accumulators are rounded to float32 after every update: a checkpoint (float32 tensors) then holds the state
// exactly, and a resumed run scores as an uninterrupted one.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { TensorRecord } from '../store/checkpoints';
import { accuracyFromPredictions } from './accuracy';

export interface LdaScores {
  lda: { per: number[]; all: number };
  ncm: { per: number[]; all: number };
}

export class StreamingLda {
  /** per class: count and mean (F) */
  readonly classes = new Map<number, { n: number; mean: Float64Array }>();
  /** pooled within-class scatter Σ_c Σ_i (z_i − μ_c)(z_i − μ_c)ᵀ, F × F row-major */
  scatter: Float64Array;
  total = 0;

  constructor(readonly featureDim: number, readonly shrinkage = 1e-4) {
    this.scatter = new Float64Array(featureDim * featureDim);
  }

  /** Add n rows z (n, F) with labels y. */
  update(z: Float32Array, y: Int32Array, n: number): void {
    const F = this.featureDim;
    if (z.length !== n * F) throw new Error(`streaming LDA: ${z.length} values for ${n} rows of ${F}`);
    for (const c of new Set(y)) {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (y[i] === c) rows.push(i);
      const nb = rows.length;
      const mb = new Float64Array(F);
      for (const i of rows) for (let f = 0; f < F; f++) mb[f] += z[i * F + f];
      for (let f = 0; f < F; f++) mb[f] /= nb;
      // the batch's own scatter around its mean
      for (const i of rows)
        for (let p = 0; p < F; p++) {
          const dp = z[i * F + p] - mb[p];
          if (dp === 0) continue;
          for (let q = 0; q < F; q++) this.scatter[p * F + q] += dp * (z[i * F + q] - mb[q]);
        }
      const prev = this.classes.get(c);
      if (!prev) this.classes.set(c, { n: nb, mean: mb });
      else {
        // combining two groups of one class: the scatter gains the spread between their means
        const na = prev.n;
        const w = (na * nb) / (na + nb);
        const d = Float64Array.from(mb, (v, f) => v - prev.mean[f]);
        for (let p = 0; p < F; p++) for (let q = 0; q < F; q++) this.scatter[p * F + q] += w * d[p] * d[q];
        for (let f = 0; f < F; f++) prev.mean[f] += (d[f] * nb) / (na + nb);
        prev.n = na + nb;
      }
      this.total += nb;
    }
    for (let i = 0; i < this.scatter.length; i++) this.scatter[i] = Math.fround(this.scatter[i]);
    for (const e of this.classes.values()) for (let f = 0; f < F; f++) e.mean[f] = Math.fround(e.mean[f]);
  }

  /** Λμ_c and −½μ_cᵀΛμ_c for the given classes. */
  private linear(classes: number[]): { W: Matrix; b: Float64Array } {
    const F = this.featureDim;
    const eps = this.shrinkage;
    const S = new Matrix(F, F);
    const N = Math.max(1, this.total);
    for (let p = 0; p < F; p++) for (let q = 0; q < F; q++) S.set(p, q, (1 - eps) * (this.scatter[p * F + q] / N) + (p === q ? eps : 0));
    const M = new Matrix(F, classes.length);
    classes.forEach((c, j) => {
      const e = this.classes.get(c);
      if (!e) throw new Error(`streaming LDA: no class ${c}`);
      for (let f = 0; f < F; f++) M.set(f, j, e.mean[f]);
    });
    const W = new CholeskyDecomposition(S).solve(M); // Λ·M, (F, K)
    const b = Float64Array.from(classes, (_, j) => {
      let s = 0;
      for (let f = 0; f < F; f++) s += M.get(f, j) * W.get(f, j);
      return -0.5 * s;
    });
    return { W, b };
  }

  /** Predicted classes of n rows by LDA and by nearest class mean. */
  predict(z: Float32Array, n: number, classes: number[]): { lda: Int32Array; ncm: Int32Array } {
    const F = this.featureDim;
    const { W, b } = this.linear(classes);
    const means = classes.map((c) => this.classes.get(c)!.mean);
    const lda = new Int32Array(n);
    const ncm = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      let near = Infinity;
      for (let j = 0; j < classes.length; j++) {
        let s = b[j];
        let d2 = 0;
        for (let f = 0; f < F; f++) {
          const v = z[i * F + f];
          s += v * W.get(f, j);
          d2 += (v - means[j][f]) ** 2;
        }
        if (s > best) {
          best = s;
          lda[i] = classes[j];
        }
        if (d2 < near) {
          near = d2;
          ncm[i] = classes[j];
        }
      }
    }
    return { lda, ncm };
  }

  /** Per-class (aligned with `classes`) and overall accuracy of both classifiers on labelled rows. */
  score(z: Float32Array, y: Int32Array, n: number, classes: number[]): LdaScores {
    const p = this.predict(z, n, classes);
    const acc = (pred: Int32Array) => accuracyFromPredictions(pred, y, n, classes);
    return { lda: acc(p.lda), ncm: acc(p.ncm) };
  }

  /** The state as checkpoint tensors under `prefix/` (exact: the accumulators are float32 values). */
  toTensors(prefix: string): Map<string, TensorRecord> {
    const F = this.featureDim;
    const cls = [...this.classes.keys()].sort((a, b) => a - b);
    const out = new Map<string, TensorRecord>();
    out.set(`${prefix}/classes`, { shape: [cls.length], dtype: 'int32', data: Int32Array.from(cls) });
    out.set(`${prefix}/counts`, { shape: [cls.length], dtype: 'int32', data: Int32Array.from(cls, (c) => this.classes.get(c)!.n) });
    const means = new Float32Array(cls.length * F);
    cls.forEach((c, i) => means.set(this.classes.get(c)!.mean, i * F));
    out.set(`${prefix}/means`, { shape: [cls.length, F], dtype: 'float32', data: means });
    out.set(`${prefix}/scatter`, { shape: [F, F], dtype: 'float32', data: Float32Array.from(this.scatter) });
    return out;
  }

  static fromTensors(prefix: string, F: number, t: Map<string, TensorRecord>): StreamingLda | null {
    const cls = t.get(`${prefix}/classes`);
    if (!cls) return null;
    const s = new StreamingLda(F);
    const counts = t.get(`${prefix}/counts`)!.data;
    const means = t.get(`${prefix}/means`)!.data;
    Array.from(cls.data).forEach((c, i) => {
      s.classes.set(c, { n: counts[i], mean: Float64Array.from(means.subarray(i * F, (i + 1) * F)) });
      s.total += counts[i];
    });
    s.scatter = Float64Array.from(t.get(`${prefix}/scatter`)!.data);
    return s;
  }
}
