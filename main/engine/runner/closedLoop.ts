// The closed loop: encode → decode → re-encode and compare, the encoder up and the decoder down on the rate-reduction
// game (models/training), with the old classes present as their memory Z_mem and its decoded images X_mem = g(Z_mem).
import { memoryRowsForStep } from './batch';
import type { PreparedStep, StepInputs } from './phaseStep';

export function closedLoopStep(a: StepInputs): PreparedStep {
  const { batch, task: t, recipe: r } = a;
  if (t.xMem && r.memPerBatch > 0) {
    // a class-balanced subset of the memory bounds the step's size
    const rows = memoryRowsForStep(a.memory, t, a.seed, a.pos, r.memPerBatch);
    if (rows) batch.memRows = rows;
  }
  return { batch, learn: () => a.model.loopStep(batch) };
}
