// What the window shows of a task end, kept with the run (the latest task end only) so that a reopened run shows it
// too: the class features in 3D with each class's subspace (snapshot.json) and the reconstructions, x | x̂ for the new
// classes and g(Z_mem) decoded from memory for the old ones (reconstructions.json).
import type { ReconstructionEvent, SnapshotEvent } from '../../../preload/api';
import { writeJsonAtomic } from '../../store/atomicFile';
import { reconstructionsFile, snapshotFile } from '../../store/runFiles';
import type { DataSource } from '../dataSource';
import type { LabeledImages } from '../evaluate';
import { toWire } from '../events';
import type { LoopModel } from '../loopModel';
import type { MemoryBank } from '../memoryBank';
import type { EngineRng } from '../rng';
import type { SubspaceModel } from '../subspaceAdapter';
import { gatherRows, indicesOf } from './rows';

export interface ViewInputs {
  runId: string;
  runDir: string;
  task: number;
  step: number;
  data: DataSource;
  model: LoopModel;
}

/** At most 5,000 test points, class-balanced, drawn with the run's RNG (its state is checkpointed). */
export function snapshotEvent(a: ViewInputs, rng: EngineRng, z: Float32Array, y: Int32Array, cls: SubspaceModel): SnapshotEvent {
  const F = a.model.featureDim;
  const classes = cls.classes;
  const per = Math.max(1, Math.floor(5000 / Math.max(1, classes.length)));
  const keep: number[] = [];
  const count = new Map<number, number>();
  const order = rng.permutation(y.length);
  for (const i of order) {
    const c = y[i];
    if ((count.get(c) ?? 0) >= per) continue;
    count.set(c, (count.get(c) ?? 0) + 1);
    keep.push(i);
  }
  const e: SnapshotEvent = {
    type: 'snapshot', runId: a.runId, task: a.task, step: a.step,
    labels: keep.map((i) => y[i]),
    features: toWire(gatherRows(z, keep, F), [keep.length, F]),
    classes: classes.map((c, i) => ({
      cls: c, mean: Array.from(cls.means[i]), basis: toWire(Float32Array.from(cls.bases[i]), [F, cls.bases[i].length / F]), sigma: Array.from(cls.sigma[i]),
    })),
    classNames: a.data.classNames,
  };
  // kept with the run (the latest task end only: at most ≈ 3.5 MB at F = 128, 5,000 points), so a reopened run shows its classes in 3D
  writeJsonAtomic(snapshotFile(a.runDir), e);
  return e;
}

export async function reconstructionsEvent(a: ViewInputs, memory: MemoryBank, test: LabeledImages, newClasses: number[], seen: number[]): Promise<ReconstructionEvent> {
  const S = a.model.imageSize;
  const F = a.model.featureDim;
  const rows: ReconstructionEvent['rows'] = [];
  const shape = [...a.data.shape];
  const per = reconstructionCounts(seen.length - newClasses.length);
  for (const c of newClasses) {
    const idx = indicesOf(test.y, [c]).slice(0, per.pairs);
    if (!idx.length) continue;
    const x = gatherRows(test.x, idx, S);
    const xh = await a.model.decode(await a.model.encode(x, idx.length), idx.length);
    rows.push({ cls: c, kind: 'pair', x: toWire(x, [idx.length, ...shape]), xhat: toWire(xh, [idx.length, ...shape]) });
  }
  for (const c of seen.filter((s) => !newClasses.includes(s))) {
    const m = memory.classes.get(c);
    if (!m) continue;
    const k = Math.min(per.memory, m.m);
    const xh = await a.model.decode(m.z.subarray(0, k * F), k);
    rows.push({ cls: c, kind: 'memory', xhat: toWire(xh, [k, ...shape]) });
  }
  const e: ReconstructionEvent = { type: 'reconstructions', runId: a.runId, task: a.task, step: a.step, imageShape: a.data.shape, rows, classNames: a.data.classNames };
  // kept with the run (the latest task end only: ≈ 0.25 MB for ten digit classes), so a reopened run shows them
  writeJsonAtomic(reconstructionsFile(a.runDir), e);
  return e;
}

/**
 * Images per class row of a task end's reconstructions: what the window shows (3 x | x̂ pairs, 6 samples of g(Z_mem)),
 * and fewer memory samples when many classes are old, so that the event and reconstructions.json stay near 1.5 MB
 * even for CIFAR-100 (8 of each for 100 classes were ≈ 13 MB, rewritten at every task end).
 */
export function reconstructionCounts(oldClasses: number): { pairs: number; memory: number } {
  return { pairs: 3, memory: Math.max(1, Math.min(6, Math.floor(120 / Math.max(1, oldClasses)))) };
}
