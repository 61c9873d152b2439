// Row helpers on stacked (n, D) Float32Arrays: the steps and the task end pick images and features by class or index.
import type { SubspaceModel } from '../subspaceAdapter';

export function indicesOf(y: Int32Array, classes: number[]): number[] {
  const set = new Set(classes);
  const out: number[] = [];
  for (let i = 0; i < y.length; i++) if (set.has(y[i])) out.push(i);
  return out;
}

export function gatherRows(z: Float32Array, idx: ArrayLike<number>, D: number): Float32Array {
  const out = new Float32Array(idx.length * D);
  for (let i = 0; i < idx.length; i++) out.set(z.subarray(idx[i] * D, (idx[i] + 1) * D), i * D);
  return out;
}

/** The rows of one class. */
export function pick(z: Float32Array, y: Int32Array, F: number, cls: number): { z: Float32Array; n: number } {
  const idx = indicesOf(y, [cls]);
  return { z: gatherRows(z, idx, F), n: idx.length };
}

/** The given rows of a stacked memory (z (m, F), labels). */
export function subsetRows(mem: { z: Float32Array; labels: Int32Array }, rows: Int32Array, F: number): { z: Float32Array; labels: Int32Array; m: number } {
  const z = new Float32Array(rows.length * F);
  rows.forEach((r, i) => z.set(mem.z.subarray(r * F, (r + 1) * F), i * F));
  return { z, labels: Int32Array.from(rows, (r) => mem.labels[r]), m: rows.length };
}

/** A fitted classifier restricted to some of its classes (per-class fits are independent). */
export function restrict(m: SubspaceModel, classes: number[]): SubspaceModel {
  const at = classes.map((c) => m.classes.indexOf(c));
  return { ...m, classes: [...classes], means: at.map((i) => m.means[i]), bases: at.map((i) => m.bases[i]), sigma: at.map((i) => m.sigma[i]) };
}
