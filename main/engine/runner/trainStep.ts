// One training step of whichever phase the task is in: the phase's end (on to the next phase), the step's images, the
// phase's own inputs and model call (warmup.ts, closedLoop.ts, decoderPhase.ts) inside the divergence guard, then the
// same bookkeeping for every phase: position, metrics.ndjson, the progress event, the periodic checkpoint.
import type { MetricRecord, TrainPhase } from '../../../preload/api';
import type { StepStats } from '../loopModel';
import { imageBatch } from './batch';
import { closedLoopStep } from './closedLoop';
import { driftInputs, type RunContext } from './context';
import { stepRows, type StepPhase } from './eta';
import { restoreCheckpoint, writeCheckpoint } from './persistence';
import type { PreparedStep, StepInputs } from './phaseStep';
import { etaOf, memoryRowsPerClass } from './runEta';
import { batchesPerEpoch, batchOf, movePhase, nextPhase, phaseEpochs, taskSteps } from './schedule';
import { RunFailure } from './state';
import { warmupStep } from './warmup';

const MAX_DIVERGENCE_TRIES = 3;

const finite = (s: StepStats) => [s.T, s.lossEncoder, s.lossDecoder].every(Number.isFinite);

/** The mean time of the last 20 steps (the progress events' samples/s). */
export class StepTimer {
  private times: number[] = [];
  add(dt: number): number {
    this.times.push(dt);
    if (this.times.length > 20) this.times.shift();
    return this.times.reduce((a, b) => a + b, 0) / this.times.length;
  }
}

export async function trainStep(ctx: RunContext, timer: StepTimer): Promise<void> {
  const { d, s, out } = ctx;
  const r = d.recipe;
  const t = s.task!;
  const later = s.later();
  if (ctx.control.takeSkipTask()) {
    s.pos = movePhase(s.pos, 'finalize', d.model);
    out.log('info', `task ${s.pos.task + 1}: moving on to the next task on request`);
    return;
  }
  if (s.pos.epoch >= phaseEpochs(r, later, s.pos.phase)) {
    const next = nextPhase(r, later, s.pos.phase);
    if (next === 'decoder' && !s.pos.memoryRefreshed) await ctx.decoder.refreshMemory(driftInputs(ctx), s.pos);
    s.pos = movePhase(s.pos, next, d.model);
    return;
  }

  // 1. the batch: a permutation per (task, phase, epoch) from the run seed, so a resumed run draws the same batches
  const w0 = performance.now(); // the step's turn, batch to bookkeeping, is what the ETA counts
  const phase = s.pos.phase as StepPhase;
  const idx = ctx.order.indices(s.pos, t.data.n, batchOf(r, s.pos.phase, t.data.n));
  const inputs: StepInputs = { model: d.model, recipe: r, seed: d.run.seed, pos: s.pos, task: t, memory: s.memory, later, idx, batch: imageBatch(t, idx, d.model.imageSize) };
  let step: PreparedStep;
  if (s.pos.phase === 'warmup') step = warmupStep(inputs, s.driftProbe?.task === s.pos.task ? s.driftProbe : null);
  else if (s.pos.phase === 'decoder') step = await ctx.decoder.step(inputs, r.decoderLr * s.lrScale);
  else step = closedLoopStep(inputs);

  // 2. the step
  const t0 = performance.now();
  let stats: StepStats;
  try {
    stats = await step.learn();
  } catch (e) {
    // the losses refuse non-finite features (NaN/Inf, or a Gram that is no longer positive definite): a divergence
    const msg = e instanceof Error ? e.message : String(e);
    if (!/NaN|Inf|non-finite|positive definite/i.test(msg)) throw e;
    return diverged(ctx, { T: NaN, lossEncoder: NaN, lossDecoder: NaN, deltaRZ: NaN, deltaRZhat: NaN, pairTerm: NaN }, msg);
  }
  const dt = (performance.now() - t0) / 1000;

  // 3. divergence guard
  if (!finite(stats)) return diverged(ctx, stats);

  // 4. bookkeeping
  const pos = s.pos;
  pos.batch++;
  if (pos.batch >= batchesPerEpoch(r, pos.phase, t.data.n)) {
    pos.batch = 0;
    pos.epoch++;
  }
  pos.step++;
  pos.taskStep++;
  ctx.control.stepTaken();
  const meanDt = timer.add(dt);
  const samplesPerSec = step.batch.n / Math.max(meanDt, 1e-9);
  if (pos.step % r.logEvery === 0) {
    const rec: MetricRecord = {
      type: 'step', task: pos.task, step: pos.step, taskStep: pos.taskStep,
      lossEncoder: stats.lossEncoder, lossDecoder: stats.lossDecoder, T: stats.T, deltaRZ: stats.deltaRZ,
      deltaRZhat: stats.deltaRZhat, pairTerm: stats.pairTerm, samplesPerSec, time: s.elapsed, phase: pos.phase as TrainPhase,
    };
    out.metric(rec);
  }
  const steps = taskSteps(r, later, t.data.n);
  const shape = { n: t.data.n, newClasses: t.classes.length, oldClasses: t.seen.length - t.classes.length, later };
  ctx.clock.observeStep(phase, stepRows(r, phase, shape, memoryRowsPerClass(ctx)), (performance.now() - w0) / 1000);
  const etaSec = etaOf(ctx);
  ctx.onStep?.(pos.task, pos.taskStep, steps, etaSec);
  out.emit({
    type: 'progress', runId: d.run.id, status: out.status, task: pos.task, tasksTotal: s.tasks.length,
    step: pos.step, taskStep: pos.taskStep, taskSteps: steps, lossEncoder: stats.lossEncoder, lossDecoder: stats.lossDecoder,
    T: stats.T, samplesPerSec, etaSec,
    backend: d.backend.name, adapter: d.backend.adapter, phase: pos.phase as TrainPhase,
  });
  if (pos.step % r.checkpointEvery === 0) await writeCheckpoint(ctx);
}

/** A non-finite step: back to the last checkpoint with halved learning rates, up to MAX_DIVERGENCE_TRIES times. */
async function diverged(ctx: RunContext, stats: StepStats, cause?: string): Promise<void> {
  const { d, s, out } = ctx;
  s.divergences++;
  const what = `non-finite ${cause ? 'features' : 'loss'} at task ${s.pos.task + 1}, step ${s.pos.step + 1} (${cause ?? `T=${stats.T}, encoder ${stats.lossEncoder}, decoder ${stats.lossDecoder}`})`;
  if (!d.persist || s.divergences > MAX_DIVERGENCE_TRIES)
    throw new RunFailure(`training diverged: ${what}; gave up after ${MAX_DIVERGENCE_TRIES} restarts with halved learning rates — try a smaller --lr or a larger --eps2`);
  const tries = s.divergences;
  const scale = s.lrScale * 0.5;
  await restoreCheckpoint(ctx);
  s.divergences = tries;
  s.lrScale = scale;
  d.model.setLrScale((s.later() ? d.recipe.laterLrScale : 1) * s.lrScale);
  out.knowledge('divergence', `${what}: restored step ${s.pos.step}, learning rates ×${s.lrScale} (try ${tries}/${MAX_DIVERGENCE_TRIES})`);
  out.log('warn', `divergence: ${what}; restarting from step ${s.pos.step} with learning rates halved`);
}
