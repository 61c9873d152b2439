// The ETA of a run as its progress and activity events report it: the run's schedule and timings (eta.ts) read from
// its context.
import { keepsBaselines, noMemoryRecipe } from './baselinePlan';
import type { RunContext } from './context';
import { remainingSeconds } from './eta';

/** Seconds until the run ends, its baselines included (eta.ts); null before the first step was timed. */
export function etaOf(ctx: RunContext): number | null {
  const { d, s } = ctx;
  const r = d.recipe;
  const memPerClass = memoryRowsPerClass(ctx);
  return remainingSeconds(
    ctx.clock,
    {
      recipe: r, tasks: s.tasks, base: s.base.length, trainCount: (c) => d.data.count('train', c), memPerClass,
      baselines: keepsBaselines(d) && !d.watch, noMemoryRecipe: noMemoryRecipe(r),
    },
    s.pos,
  );
}


/** Memory rows a class keeps: as stored, or as the recipe will sample them before the first class is stored. */
export function memoryRowsPerClass(ctx: RunContext): number {
  const known = [...ctx.s.memory.classes.values()];
  if (known.length) return known.reduce((a, e) => a + e.m, 0) / known.length;
  const r = ctx.d.recipe;
  return Math.min(r.memDirections, ctx.d.model.featureDim) * r.memPerDirection;
}
