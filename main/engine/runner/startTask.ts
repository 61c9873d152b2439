// The start of a task: the drift probes f₀ of its new images, the old classes' memory decoded once into the images
// X_mem = g(Z_mem) that the task replays (frozen for the task), then the task's working set (enterTask).
import type { RunContext } from './context';
import { warmupEpochs } from './schedule';
import { localIndex, oldClasses } from './state';

export async function startTask(ctx: RunContext): Promise<void> {
  const { d, s, out } = ctx;
  const r = d.recipe;
  const classes = s.tasks[s.pos.task];
  // the no-memory baseline gets the probes too: compensating drift from the new images needs no replay, and a
  // baseline without it would be weaker than a careful learner without memory
  if ((r.driftCompensation >= 2 || r.distillWeight > 0) && s.later()) {
    const data = d.data.subset('train', classes); // f₀ of the new images: drift probes for compensateDrift
    s.driftProbe = { task: s.pos.task, z0: await d.model.encode(data.x, data.n), n: data.n };
  }
  const old = oldClasses({ seen: s.seenThrough(s.pos.task), classes });
  let xMem: Float32Array | null = null;
  let zAnchor: Float32Array | null = null;
  if (s.later() && !r.noMemory && old.length) {
    const mem = s.memory.rows(old);
    xMem = await d.model.decode(mem.z, mem.m); // X_mem = g(Z_mem), decoded once per task and frozen
    if (r.anchorWeight > 0 || r.warmupAnchorWeight > 0 || r.driftCompensation === 1 || r.driftCompensation === 4) zAnchor = await d.model.encode(xMem, mem.m); // f₀(X_mem)
  }
  if (r.nullSpaceEnergy > 0 && s.later() && !r.noMemory && old.length && !s.memory.activations)
    out.log('warn', `null space: the classes known before this run came without the span of their head inputs (an export folder keeps only features), so task ${s.pos.task + 1} learns without protecting them`);
  s.pos = { ...s.pos, epoch: 0, batch: 0, taskStep: 0, phase: 'warmup', memoryRefreshed: false };
  enterTask(ctx, xMem, zAnchor);
  if (warmupEpochs(r, s.later()) === 0) s.pos.phase = 'loop';
  if (r.freezeAfterFirst && s.later()) s.pos.phase = 'finalize';
  out.knowledge('task-start', `task ${s.pos.task + 1}/${s.tasks.length}: classes ${classes.map((c) => d.data.classNames[c]).join(', ')}${xMem ? ` with ${xMem.length / d.model.imageSize} memory rows replayed` : ''}`);
  out.log('info', `task ${s.pos.task + 1}/${s.tasks.length} started (${s.task!.data.n} images)`);
}

/** Build the task's working set: its images, local labels and the replay (X_mem given when restoring). */
export function enterTask(ctx: RunContext, xMem: Float32Array | null, zAnchor: Float32Array | null): void {
  const { d, s } = ctx;
  const r = d.recipe;
  const classes = s.tasks[s.pos.task];
  const seen = s.seenThrough(s.pos.task);
  const local = localIndex(seen);
  const data = d.data.subset('train', classes);
  const localLabels = Int32Array.from(data.y, (c) => local.get(c)!);
  const old = oldClasses({ seen, classes });
  const useMemory = s.later() && !r.noMemory && old.length > 0;
  const mem = s.memory.rows(old);
  s.task = { classes, seen, data, localLabels, xMem: useMemory ? xMem : null, zAnchor: useMemory ? zAnchor : null };
  if (useMemory && xMem) {
    d.model.setReplay(
      {
        z: mem.z,
        labels: Int32Array.from(mem.labels, (c) => local.get(c)!),
        m: mem.m,
        newClasses: classes.map((c) => local.get(c)!),
        anchorWeight: zAnchor ? r.anchorWeight : 0,
        anchorTarget: zAnchor,
      },
      xMem,
    );
  } else d.model.setReplay(null, null);
  d.model.setLrScale((s.later() ? r.laterLrScale : 1) * s.lrScale);
  // recipe nullSpaceEnergy: later tasks learn the head only, away from old classes' head inputs
  d.model.setNullSpace?.(s.later() && r.nullSpaceEnergy > 0 && !r.noMemory ? s.memory.activations : null);
  ctx.order.reset();
}
