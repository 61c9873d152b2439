/**
 * The nearest-subspace head (CRATE_SPEC §6.1) as an ONNX subgraph:
 * residual_j(z) = ‖(z − μ_j) − ((z − μ_j)·U_j)·U_jᵀ‖, label = classes[argmin_j residual_j].
 * Means and bases are graph constants; classes with fewer basis columns are zero-padded, which leaves their projection unchanged.
 */
import type { GraphBuilder } from './graphBuilder';

/** Plain subspace head data (models/subspace SubspaceModel satisfies it). */
export interface SubspaceHead {
  classes: number[];
  means: Float32Array[]; // k × (F)
  bases: Float32Array[]; // k × (F, r_j) row-major
  featureDim: number;
}

export function subspaceColumns(head: SubspaceHead, j: number): number {
  const cols = head.bases[j].length / head.featureDim;
  if (!Number.isInteger(cols)) {
    throw new Error(`class ${head.classes[j]}: basis has ${head.bases[j].length} values, not a multiple of F=${head.featureDim}`);
  }
  return cols;
}

export function stackHead(head: SubspaceHead): { k: number; F: number; r: number; means: Float32Array; bases: Float32Array } {
  const k = head.classes.length;
  const F = head.featureDim;
  if (k === 0) throw new Error('the classifier has no classes');
  if (head.means.length !== k || head.bases.length !== k) {
    throw new Error(`classifier: ${k} classes but ${head.means.length} means and ${head.bases.length} bases`);
  }
  const r = Math.max(1, ...head.bases.map((_, j) => subspaceColumns(head, j)));
  const means = new Float32Array(k * F);
  const bases = new Float32Array(k * F * r); // (k, F, r)
  for (let j = 0; j < k; j++) {
    if (head.means[j].length !== F) throw new Error(`class ${head.classes[j]}: mean has ${head.means[j].length} values, expected ${F}`);
    means.set(head.means[j], j * F);
    const rj = subspaceColumns(head, j);
    for (let f = 0; f < F; f++) for (let c = 0; c < rj; c++) bases[(j * F + f) * r + c] = head.bases[j][f * rj + c];
  }
  return { k, F, r, means, bases };
}

/** z (B, F) → { residuals (B, k), label (B) int64 class index }. */
export function subspaceHeadGraph(g: GraphBuilder, head: SubspaceHead, z: string): { residuals: string; label: string } {
  const { k, F, r, means, bases } = stackHead(head);
  const mu = g.floatInit('head/means', [k, 1, F], means);
  const U = g.floatInit('head/bases', [k, F, r], bases);
  const Ut = g.node('Transpose', [U], { perm: [0, 2, 1] }); // (k, r, F)
  const diff = g.node('Sub', [g.node('Unsqueeze', [z, g.ints('class_axis', [0])]), mu]); // (k, B, F)
  const coef = g.node('MatMul', [diff, U]); // (k, B, r)
  const resid = g.node('Sub', [diff, g.node('MatMul', [coef, Ut])]); // (k, B, F)
  const norms = g.node('ReduceL2', [resid], { axes: [2], keepdims: 0 }); // (k, B)
  const residuals = g.node('Transpose', [norms], { perm: [1, 0] }); // (B, k)
  const j = g.node('ArgMin', [residuals], { axis: 1, keepdims: 0 }); // (B) position in `classes`
  const label = g.node('Gather', [g.int64Init('head/classes', [k], head.classes), j], { axis: 0 }); // (B)
  return { residuals, label };
}
