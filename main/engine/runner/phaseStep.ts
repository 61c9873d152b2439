// What a phase of a task hands the step driver (trainStep.ts): the step's batch with the phase's own inputs added, and
// the model call that learns from it. The driver draws the images, runs the call inside the divergence guard, then
// counts, logs and checkpoints the same way for every phase.
import type { LoopModel, StepStats, TrainBatch } from '../loopModel';
import type { MemoryBank } from '../memoryBank';
import type { Recipe } from '../recipe';
import type { Position, TaskWork } from './state';

export interface StepInputs {
  model: LoopModel;
  recipe: Recipe;
  /** the run's seed (memory rows of a step are drawn from it) */
  seed: number;
  pos: Position;
  task: TaskWork;
  memory: MemoryBank;
  /** the task has earlier knowledge to keep */
  later: boolean;
  /** the step's images (indices into task.data) and the batch made of them */
  idx: Int32Array;
  batch: TrainBatch;
}

export interface PreparedStep {
  /** the batch as the model sees it (its n counts replayed rows that joined it) */
  batch: TrainBatch;
  learn: () => Promise<StepStats>;
}
