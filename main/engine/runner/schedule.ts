// A task's schedule: how many epochs each phase runs, the batch of each phase, the steps of a task, and the order
// warm-up → loop → decoder phase → task end. Pure functions of the recipe and of whether the task is a later one.
import type { LoopModel } from '../loopModel';
import type { Recipe } from '../recipe';
import type { Phase, Position } from './state';

export function warmupEpochs(r: Recipe, later: boolean): number {
  return later ? r.laterWarmupEpochs : r.warmupEpochs;
}

export function decoderEpochs(r: Recipe, later: boolean): number {
  return later && r.laterDecoderEpochs >= 0 ? r.laterDecoderEpochs : r.decoderEpochs;
}

export function phaseEpochs(r: Recipe, later: boolean, phase: Phase): number {
  return phase === 'warmup' ? warmupEpochs(r, later) : phase === 'decoder' ? decoderEpochs(r, later) : r.epochs;
}

/** Images per step of a phase: the decoder phase has its own (smaller) batch. */
export function batchOf(r: Recipe, phase: Phase, n: number): number {
  return Math.min(phase === 'decoder' ? r.decoderBatch : r.batchSize, n);
}

export function batchesPerEpoch(r: Recipe, phase: Phase, n: number): number {
  const B = batchOf(r, phase, n);
  return n >= B ? Math.floor(n / B) : 1;
}

/** Steps of a task of n images (0 when later tasks are not trained: recipe freezeAfterFirst). */
export function taskSteps(r: Recipe, later: boolean, n: number): number {
  if (r.freezeAfterFirst && later) return 0;
  return batchesPerEpoch(r, 'loop', n) * (warmupEpochs(r, later) + r.epochs) + batchesPerEpoch(r, 'decoder', n) * decoderEpochs(r, later);
}

/** The phase after `phase` within a task. */
export function nextPhase(r: Recipe, later: boolean, phase: Phase): Phase {
  if (phase === 'warmup') return 'loop';
  if (phase === 'loop' && decoderEpochs(r, later) > 0) return 'decoder';
  return 'finalize';
}

/** Go on to `next` within the task. The decoder phase and the loop give the decoder different objectives, so
 *  entering or leaving the decoder phase starts the decoder's Adam afresh. */
export function movePhase(pos: Position, next: Phase, model: LoopModel): Position {
  if (next === 'decoder' || pos.phase === 'decoder') model.resetDecoderOptimizer?.();
  return { ...pos, phase: next, epoch: 0, batch: 0 };
}
