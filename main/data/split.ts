import { Rng } from './rng';

/** Indices of each class, in file order. Class k's list is empty when no sample has label k. */
export function indicesByClass(labels: Int32Array, numClasses: number): number[][] {
  const out: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) out[labels[i]].push(i);
  return out;
}

/**
 * Splits one pool per class, as the PyTorch reference's load() does: for each class in ascending order,
 * permute its indices with one shared generator and take the first floor((1 - testFraction)·n) for
 * training. A class with two or more samples keeps at least one on each side. Results are grouped by class.
 */
export function splitPerClass(
  labels: Int32Array,
  numClasses: number,
  seed: number,
  testFraction: number,
): { train: number[][]; test: number[][] } {
  const rng = new Rng(seed);
  const train: number[][] = [];
  const test: number[][] = [];
  for (const idx of indicesByClass(labels, numClasses)) {
    rng.shuffle(idx);
    let k = Math.floor((1 - testFraction) * idx.length);
    if (idx.length >= 2) k = Math.min(Math.max(k, 1), idx.length - 1);
    else k = idx.length;
    train.push(idx.slice(0, k));
    test.push(idx.slice(k));
  }
  return { train, test };
}

/**
 * Keeps at most `max` samples of each class, chosen by seed, returned in ascending (file) order so that a
 * given split keeps its order.
 */
export function subsamplePerClass(labels: Int32Array, numClasses: number, max: number, seed: number): number[][] {
  const rng = new Rng(seed ^ 0x5bd1e995);
  return indicesByClass(labels, numClasses).map((idx) =>
    idx.length <= max ? idx : rng.shuffle(idx).slice(0, max).sort((a, b) => a - b),
  );
}
