// Accuracy from predictions: per class (aligned with `classes`) and overall. One definition for every classifier the
// lab scores (nearest subspace, streaming LDA, nearest class mean), so their figures compare.
export function accuracyFromPredictions(pred: ArrayLike<number>, y: Int32Array, n: number, classes: number[]): { per: number[]; all: number } {
  const hit = new Map<number, number>();
  const tot = new Map<number, number>();
  let ok = 0;
  for (let i = 0; i < n; i++) {
    tot.set(y[i], (tot.get(y[i]) ?? 0) + 1);
    if (pred[i] === y[i]) {
      hit.set(y[i], (hit.get(y[i]) ?? 0) + 1);
      ok++;
    }
  }
  return { per: classes.map((c) => (tot.get(c) ? (hit.get(c) ?? 0) / tot.get(c)! : 0)), all: n ? ok / n : 0 };
}
