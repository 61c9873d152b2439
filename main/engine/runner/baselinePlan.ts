// Which baselines a run measures and the recipe of its re-run without memory: what baselines.ts runs and what the ETA
// (runEta.ts) plans for.
import type { Recipe } from '../recipe';
import type { RunnerDeps } from './state';

/** Whether this run keeps the frozen-encoder and no-memory baselines (not for their own re-runs, nor without memory). */
export const keepsBaselines = (d: RunnerDeps): boolean => d.recipe.baselines && d.persist && !d.recipe.noMemory;

/** The no-memory baseline's recipe: nothing replayed, no baselines of its own, the loop's epochs scaled by baselineEpochScale. */
export function noMemoryRecipe(r: Recipe): Recipe {
  return { ...r, noMemory: true, baselines: false, epochs: Math.max(1, Math.round(r.epochs * r.baselineEpochScale)), warmupEpochs: Math.round(r.warmupEpochs * r.baselineEpochScale) };
}
