// The run as the task-level steps (startTask, trainStep, taskEnd, persistence) see it: its deps, its learner state,
// its log and control, and the per-task caches that are not checkpointed (recomputed after a resume).
import type { BatchOrder } from './batch';
import type { RunControl } from './control';
import type { DecoderPhase } from './decoderPhase';
import type { DriftInputs } from './driftCompensation';
import type { RunClock } from './eta';
import type { RunLog } from './runLog';
import type { LearnerState, RunnerDeps } from './state';

export interface RunContext {
  readonly d: RunnerDeps;
  readonly s: LearnerState;
  readonly out: RunLog;
  readonly control: RunControl;
  readonly order: BatchOrder;
  readonly decoder: DecoderPhase;
  /** step, task-end and task-start timings of this run (the no-memory re-run is given its parent's): the ETA */
  clock: RunClock;
  /** set on the no-memory baseline's sub-run: where it is, for the parent's activity events */
  onStep: ((task: number, taskStep: number, taskSteps: number, etaSec: number | null) => void) | null;
}

/** The drift-compensation inputs of the current task. */
export function driftInputs(ctx: RunContext): DriftInputs {
  const s = ctx.s;
  return { recipe: ctx.d.recipe, model: ctx.d.model, memory: s.memory, task: s.task!, probe: s.driftProbe?.task === s.pos.task ? s.driftProbe : null };
}
