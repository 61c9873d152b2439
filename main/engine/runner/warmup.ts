// The warm-up of a task: the encoder alone, supervised MCR² (all features spread by the coding rate R(Z) while two
// randomly shifted views of each image agree). On a later task the old classes take part through their memory: as
// fixed vectors in the rate terms, or (recipe replayImages) as decoded images in the batch.
import { memoryRowsForStep } from './batch';
import type { PreparedStep, StepInputs } from './phaseStep';
import { subsetRows } from './rows';
import { localIndex, oldClasses, type DriftProbe } from './state';

/** `probe`: f₀ of the task's new images, when this task has them (targets of the distillation term). */
export function warmupStep(a: StepInputs, probe: DriftProbe | null): PreparedStep {
  const { batch, task: t, recipe: r, idx } = a;
  const F = a.model.featureDim;
  const local = localIndex(t.seen);
  const all = a.later && !r.noMemory ? a.memory.rows(oldClasses(t)) : null;
  // the same class-balanced subset of at most memPerBatch rows as the loop steps replay (bounds the step's size)
  const sel = all && r.memPerBatch > 0 ? memoryRowsForStep(a.memory, t, a.seed, a.pos, r.memPerBatch) : null;
  let mem = all && sel ? subsetRows(all, sel, F) : all;
  if (all && r.replayImages && t.xMem) {
    // recipe replayImages: the decoded memory joins the batch as images of the old classes (the first task's
    // objective on all of them), instead of entering the rate terms as fixed vectors
    const rows = sel ?? Int32Array.from({ length: all.m }, (_, i) => i);
    const S = a.model.imageSize;
    const xb = new Float32Array((batch.n + rows.length) * S);
    xb.set(batch.x);
    rows.forEach((row, i) => xb.set(t.xMem!.subarray(row * S, (row + 1) * S), (batch.n + i) * S));
    const lb = new Int32Array(batch.n + rows.length);
    lb.set(batch.labels);
    rows.forEach((row, i) => (lb[batch.n + i] = local.get(all.labels[row])!));
    if (r.warmupAnchorWeight > 0 && t.zAnchor) {
      const src = r.anchorToMemory ? all.z : t.zAnchor;
      const target = new Float32Array(rows.length * F);
      rows.forEach((row, i) => target.set(src.subarray(row * F, (row + 1) * F), i * F));
      batch.anchor = { from: batch.n, target, weight: r.warmupAnchorWeight };
    }
    batch.x = xb;
    batch.labels = lb;
    batch.n += rows.length;
    mem = null;
  }
  if (all && mem && r.distillWeight > 0 && probe) {
    const z0 = probe.z0;
    batch.distillTarget = new Float32Array(idx.length * F);
    idx.forEach((j, i) => batch.distillTarget!.set(z0.subarray(j * F, (j + 1) * F), i * F));
  }
  if (a.later && r.reconInvariance > 0) batch.reconView = true;
  const fixed = mem ? { z: mem.z, labels: Int32Array.from(mem.labels, (c) => local.get(c)!), m: mem.m } : null;
  return { batch, learn: () => a.model.warmupStep(batch, fixed) };
}
