// The decoder phase: after the loop, the decoder alone learns to draw the task's images and the old classes' decoded
// memory (generative self-replay) while the encoder stays where the loop left it. Entering it, the old classes' memory
// first follows the encoder's drift of this task (refreshMemory), so that the decoder learns to draw the refreshed codes.
import { memoryRowsForStep } from './batch';
import { compensateDrift, type DriftInputs } from './driftCompensation';
import type { PreparedStep, StepInputs } from './phaseStep';
import { gatherRows } from './rows';
import { batchOf } from './schedule';
import { localIndex, oldClasses, type Position } from './state';

export class DecoderPhase {
  /** f(x) of the task's images for its decoder phase, where f does not move (recomputed after a resume) */
  private features: { task: number; z: Float32Array } | null = null;

  /** The task is over: its features are not kept beyond it. */
  forget(): void {
    this.features = null;
  }

  /**
   * Old classes' memory follows the encoder's drift of this task (recipe driftCompensation), before the decoder phase:
   * the decoder then learns to draw the refreshed codes Z_mem as the images X_mem decoded at the task start, and to
   * re-encode them where the moved encoder now has them (i-CTRL's memory update, with the stored class statistics
   * moved the same way).
   */
  async refreshMemory(a: DriftInputs, pos: Position): Promise<void> {
    const t = a.task;
    if (t.xMem) {
      const z = await a.model.encode(t.data.x, t.data.n);
      this.features = { task: pos.task, z }; // f does not move in the decoder phase: its features are these
      await compensateDrift(a, z);
      const local = localIndex(t.seen);
      const mem = a.memory.rows(oldClasses(t));
      a.model.setReplay(
        { z: mem.z, labels: Int32Array.from(mem.labels, (c) => local.get(c)!), m: mem.m, newClasses: t.classes.map((c) => local.get(c)!), anchorWeight: 0, anchorTarget: null },
        t.xMem,
      );
      pos.memoryRefreshed = true;
    }
    // with nothing replayed (the first task, a run without memory) there is nothing to refresh here: the task end
    // compensates the drift from the new images, as without the decoder phase
  }

  /** `rate`: the decoder's learning rate now (recipe decoderLr × the run's divergence scale). */
  async step(a: StepInputs, rate: number): Promise<PreparedStep> {
    const { batch, task: t, recipe: r, model } = a;
    // f is fixed in this phase: the task's images are encoded once, not at every step
    if (this.features?.task !== a.pos.task) this.features = { task: a.pos.task, z: await model.encode(t.data.x, t.data.n) };
    batch.z = gatherRows(this.features.z, a.idx, model.featureDim);
    if (t.xMem) {
      // generative self-replay: every old class gets as many rows as a new class has images in the step
      const B = batchOf(r, 'decoder', t.data.n);
      const old = t.seen.length - t.classes.length;
      const balanced = Math.ceil(B / t.classes.length) * old;
      const rows = memoryRowsForStep(a.memory, t, a.seed, a.pos, r.decoderMemRows > 0 ? Math.min(balanced, r.decoderMemRows) : balanced);
      if (rows) batch.memRows = rows;
    }
    return {
      batch,
      learn: async () => {
        if (!model.decoderStep) throw new Error('this model has no decoder phase (recipe decoderEpochs must be 0)');
        return model.decoderStep(batch, rate);
      },
    };
  }
}
