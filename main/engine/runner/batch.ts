// The images and memory rows of one step. Both are drawn from seeds of the run (never from the run's RNG stream), so a
// run resumed from a checkpoint draws the same batches as one that was never interrupted.
import { EngineRng, hashSeed } from '../rng';
import type { MemoryBank } from '../memoryBank';
import type { TrainBatch } from '../loopModel';
import { oldClasses, type Phase, type Position, type TaskWork } from './state';

/** Seeds of the batch order per phase (warm-up and loop kept from before the decoder phase: resumed runs draw the same batches). */
const PHASE_SEED: Partial<Record<Phase, number>> = { warmup: 1, loop: 2, decoder: 3 };

/** A permutation of the task's images per (task, phase, epoch), kept while the epoch lasts. */
export class BatchOrder {
  private perm: { key: string; perm: Int32Array } | null = null;

  constructor(private readonly seed: number) {}

  /** Forget the order (a new task, or a task re-entered from a checkpoint). */
  reset(): void {
    this.perm = null;
  }

  /** Indices of the images of the step at `pos`, B per batch. */
  indices(pos: Position, n: number, B: number): Int32Array {
    const key = `${pos.task}/${pos.phase}/${pos.epoch}`;
    if (this.perm?.key !== key) this.perm = { key, perm: new EngineRng(hashSeed(this.seed, pos.task, PHASE_SEED[pos.phase] ?? 2, pos.epoch)).permutation(n) };
    return this.perm.perm.subarray(pos.batch * B, pos.batch * B + B);
  }
}

/** The step's images (copied out of the task's) with their local labels. */
export function imageBatch(t: TaskWork, idx: Int32Array, S: number): TrainBatch {
  const x = new Float32Array(idx.length * S);
  const labels = new Int32Array(idx.length);
  idx.forEach((j, i) => {
    x.set(t.data.x.subarray(j * S, (j + 1) * S), i * S);
    labels[i] = t.localLabels[j];
  });
  return { x, n: idx.length, labels, k: t.seen.length };
}

/** A class-balanced random subset of the replayed memory rows for this step (seeded by run, task and step); null when
 *  the memory holds no more than `want` rows (all of them take part). */
export function memoryRowsForStep(memory: MemoryBank, t: TaskWork, seed: number, pos: Position, want: number): Int32Array | null {
  const old = oldClasses(t);
  const counts = old.map((c) => memory.classes.get(c)?.m ?? 0);
  const m = counts.reduce((a, b) => a + b, 0);
  if (m <= want) return null;
  const rng = new EngineRng(hashSeed(seed, 11, pos.task, pos.step));
  const per = Math.max(1, Math.floor(want / old.length));
  const rows: number[] = [];
  let offset = 0;
  for (const cnt of counts) {
    const p = rng.permutation(cnt);
    for (let i = 0; i < Math.min(per, cnt); i++) rows.push(offset + p[i]);
    offset += cnt;
  }
  return Int32Array.from(rows.sort((a, b) => a - b));
}
