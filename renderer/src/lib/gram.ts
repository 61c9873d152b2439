/**
 * |ZᵀZ| of a snapshot in the paper's convention (Z is d × n, columns are samples), i.e. the n × n
 * matrix of absolute cosine similarities between samples, ordered by class. A block-diagonal
 * picture means the classes live in near-orthogonal subspaces.
 *
 * The snapshot can hold 5,000 points; the picture subsamples to ≤ maxPoints, class-balanced, so the
 * O(n²·d) product stays a few tens of milliseconds.
 */

export interface GramResult {
  /** (m, m) row-major |⟨z_i, z_j⟩| with rows normalised, ordered by class then by original index. */
  values: Float32Array;
  m: number;
  /** class of each ordered row */
  labels: Int32Array;
  /** row where each class block starts, for axis labels */
  blocks: { cls: number; start: number; count: number }[];
}

/** Pick up to maxPoints indices, the same number per class where possible, ordered by class. */
export function balancedSubsample(labels: ArrayLike<number>, maxPoints: number): number[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  if (classes.length === 0) return [];
  const per = Math.max(1, Math.floor(maxPoints / classes.length));
  const out: number[] = [];
  for (const c of classes) {
    const list = byClass.get(c)!;
    // even stride keeps the sample spread over the whole list
    const take = Math.min(per, list.length);
    for (let k = 0; k < take; k++) out.push(list[Math.floor((k * list.length) / take)]);
  }
  return out.slice(0, maxPoints);
}

export function absGram(features: Float32Array, n: number, d: number, labels: ArrayLike<number>, maxPoints = 1000): GramResult {
  if (features.length < n * d) throw new Error(`absGram: features hold ${features.length} values, need n·d = ${n * d}`);
  const idx = balancedSubsample(Array.from({ length: n }, (_, i) => labels[i]), maxPoints);
  const m = idx.length;
  const z = new Float32Array(m * d);
  for (let r = 0; r < m; r++) {
    const src = idx[r] * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += features[src + j] * features[src + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) z[r * d + j] = features[src + j] * inv;
  }
  const values = new Float32Array(m * m);
  for (let a = 0; a < m; a++) {
    values[a * m + a] = 1;
    for (let b = a + 1; b < m; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += z[a * d + j] * z[b * d + j];
      const v = Math.abs(s);
      values[a * m + b] = v;
      values[b * m + a] = v;
    }
  }
  const ordered = new Int32Array(m);
  const blocks: GramResult['blocks'] = [];
  for (let r = 0; r < m; r++) {
    const c = labels[idx[r]];
    ordered[r] = c;
    const last = blocks[blocks.length - 1];
    if (last && last.cls === c) last.count++;
    else blocks.push({ cls: c, start: r, count: 1 });
  }
  return { values, m, labels: ordered, blocks };
}
