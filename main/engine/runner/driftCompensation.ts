// Drift compensation (recipe driftCompensation 1–4): while a later task is learned the encoder moves, and the old
// classes' memory — features under the encoder of their own task — would describe where the classes were. These
// estimate the drift from probes seen at the task start (f₀) and now (f) and move the old classes' stored statistics
// and vectors with it.
import { fitDriftMap } from '../driftMap';
import type { LoopModel } from '../loopModel';
import type { MemoryBank } from '../memoryBank';
import type { Recipe } from '../recipe';
import { oldClasses, type DriftProbe, type TaskWork } from './state';

/** Ridge of the linear drift map, relative to the probes' mean variance (driftMap.ts); 0.1 keeps it near identity where probes are thin. */
const DRIFT_MAP_RIDGE = 0.1;

export interface DriftInputs {
  recipe: Recipe;
  model: LoopModel;
  memory: MemoryBank;
  task: TaskWork;
  /** f₀ of the task's new images (null: none were taken for this task) */
  probe: DriftProbe | null;
}

/** Drift compensation of the old classes given f(new images) now. */
export async function compensateDrift(a: DriftInputs, zNew: Float32Array): Promise<void> {
  const { recipe: r, task: t, probe } = a;
  const F = a.model.featureDim;
  if (r.driftCompensation === 1 && t.xMem && t.zAnchor) shiftByProbes(a, t.zAnchor, await a.model.encode(t.xMem, t.zAnchor.length / F), null);
  if (r.driftCompensation === 2 && probe) shiftByProbes(a, probe.z0, zNew, probe.n);
  if (r.driftCompensation === 3 && probe) mapLinearly(a, probe.z0, zNew, probe.n);
  if (r.driftCompensation === 4 && probe && t.xMem && t.zAnchor) {
    // one affine map fitted on the new images and on the decoded memory: probes where the old classes are
    const m = t.zAnchor.length / F;
    const z0 = new Float32Array((probe.n + m) * F);
    z0.set(probe.z0.subarray(0, probe.n * F));
    z0.set(t.zAnchor, probe.n * F);
    const z1 = new Float32Array((probe.n + m) * F);
    z1.set(zNew.subarray(0, probe.n * F));
    z1.set(await a.model.encode(t.xMem, m), probe.n * F);
    mapLinearly(a, z0, z1, probe.n + m);
  }
}

/**
 * Shift each old class by a weighted mean of probe drifts f(x) − f₀(x), given as the probes' features z0 = f₀(x) at
 * the task start and z1 = f(x) now. Probes are either the decoded memory
 * (n = null: rows in memory.rows(old) order, each class from its own rows) or the task's n new images, weighted for
 * class c by exp(−‖f₀(x) − μ_c‖²/2σ²). The probe features at the task start are checkpointed ('task/driftprobe'), so a
 * task resumed in the middle compensates as an uninterrupted one does.
 */
function shiftByProbes(a: DriftInputs, z0: Float32Array, z1: Float32Array, n: number | null): void {
  const F = a.model.featureDim;
  const old = oldClasses(a.task);
  const mem = n === null ? a.memory.rows(old) : null;
  const count = mem ? mem.m : n!;
  const SIGMA2 = 0.3 * 0.3;
  for (const c of old) {
    const mu = a.memory.classes.get(c)!.mean;
    const acc = new Float64Array(F);
    let wsum = 0;
    for (let i = 0; i < count; i++) {
      let w: number;
      if (mem) w = mem.labels[i] === c ? 1 : 0;
      else {
        let d2 = 0;
        for (let j = 0; j < F; j++) d2 += (z0[i * F + j] - mu[j]) ** 2;
        w = Math.exp(-d2 / (2 * SIGMA2));
      }
      if (w === 0) continue;
      for (let j = 0; j < F; j++) acc[j] += w * (z1[i * F + j] - z0[i * F + j]);
      wsum += w;
    }
    if (wsum < 1e-30) continue;
    a.memory.shift(c, Float32Array.from(acc, (v) => v / wsum));
  }
}

/** driftCompensation 3: one affine map f₀ → f fitted on the probes moves every old class (driftMap.ts). */
function mapLinearly(a: DriftInputs, z0: Float32Array, z1: Float32Array, n: number): void {
  const map = fitDriftMap(z0, z1, n, a.model.featureDim, DRIFT_MAP_RIDGE);
  for (const c of oldClasses(a.task)) a.memory.transform(c, map);
}
