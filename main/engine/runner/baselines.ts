// The baselines a run is measured against, in the same run and split (recipe baselines):
//   frozen encoder      the encoder after the first task, frozen; later classes only add memory (nearest subspace from
//                       memory, streaming LDA and nearest class mean on the same features), scored at every task end;
//   raw pixels          nearest subspace on the images themselves (no learning);
//   random encoder      an untrained encoder of the same preset;
//   no memory           the same curriculum re-run with nothing replayed, branched from the end of the first task.
// The last three run once, at the last task's end.
import type { DataSource } from '../dataSource';
import { accuracyOf, mergeFits, type LabeledImages } from '../evaluate';
import { MemoryBank } from '../memoryBank';
import type { Recipe } from '../recipe';
import { hashSeed } from '../rng';
import { StreamingLda } from '../streamingLda';
import { fitNearestSubspace, fitNearestSubspaceLarge, type SubspaceModel } from '../subspaceAdapter';
import type { RunContext } from './context';
import { keepsBaselines, noMemoryRecipe } from './baselinePlan';
import type { RunControl } from './control';
import type { RunClock } from './eta';
import { etaOf } from './runEta';
import { gatherRows, indicesOf, pick, restrict } from './rows';
import type { EngineTaskRecord, FrozenEncoder, LearnerState, RunnerDeps, TaskWork } from './state';

type MemoryOptions = Parameters<MemoryBank['addClass']>[3];

/** At a task end: the frozen encoder (taken after the first task) adds the task's classes to its memory and LDA. */
export async function extendFrozenEncoder(ctx: RunContext, t: TaskWork, memOpts: MemoryOptions): Promise<void> {
  const { d, s } = ctx;
  if (!keepsBaselines(d) || d.recipe.freezeAfterFirst) return;
  const F = d.model.featureDim;
  if (s.pos.task === 0 && !s.frozen) {
    const params = await d.model.exportEncoder();
    s.frozen = { params, enc: d.makeEncoder({ params }), memory: new MemoryBank(F), lda: new StreamingLda(F) };
  }
  if (s.frozen) {
    const zf = await s.frozen.enc.encode(t.data.x, t.data.n);
    for (const c of t.classes) {
      const rows = pick(zf, t.data.y, F, c);
      s.frozen.memory.addClass(c, rows.z, rows.n, memOpts, hashSeed(d.run.seed, 7, c));
    }
    s.frozen.lda.update(zf, t.data.y, t.data.n); // streaming LDA / NCM: the task's new classes join the statistics
  }
}

/** After the first task: both networks and optimisers, where the no-memory re-run branches off. */
export async function keepBranchPoint(ctx: RunContext): Promise<void> {
  const { d, s } = ctx;
  if (s.pos.task === 0 && keepsBaselines(d) && !s.branch) s.branch = await d.model.exportState();
}

export interface FrozenInputs {
  frozen: FrozenEncoder;
  data: DataSource;
  recipe: Recipe;
  featureDim: number;
  /** the earlier tasks' records (their frozen LDA / NCM figures average into this one's) */
  history: EngineTaskRecord[];
}

/** The encoder frozen after the first task, old classes from its memory, new classes from their features. */
export async function frozenEncoderScores(a: FrozenInputs, test: LabeledImages, seen: number[], newClasses: number[], withPaper: boolean): Promise<Record<string, number>> {
  const f = a.frozen;
  const F = a.featureDim;
  const r = Math.min(a.recipe.subspaceRank, F);
  const zt = await f.enc.encode(test.x, test.n);
  const newTrain = a.data.subset('train', newClasses);
  const zNew = await f.enc.encode(newTrain.x, newTrain.n);
  const fits = new Map<number, SubspaceModel>();
  for (const c of seen) {
    if (newClasses.includes(c)) {
      const rows = pick(zNew, newTrain.y, F, c);
      fits.set(c, fitNearestSubspace(rows.z, rows.n, F, new Int32Array(rows.n).fill(c), [c], r));
    } else fits.set(c, f.memory.statisticsFit(c)); // same protocol as the lab's accMemory
  }
  const out: Record<string, number> = { frozenMemory: accuracyOf(mergeFits(fits, seen, r, F), zt, test.y, test.n, seen).all };
  // streaming LDA and nearest class mean on the same frozen encoder (a run checkpointed before they existed has
  // no statistics of its earlier classes: then they are left out)
  if (seen.every((c) => f.lda.classes.has(c))) {
    const s = f.lda.score(zt, test.y, test.n, seen);
    out.frozenLda = s.lda.all;
    out.frozenNcm = s.ncm.all;
    const earlier = (k: string) => a.history.map((h) => h.baselines?.[k]).filter((v): v is number => v !== undefined);
    const lda = earlier('frozenLda');
    const ncm = earlier('frozenNcm');
    if (lda.length === a.history.length) out.frozenLdaAvg = (lda.reduce((p, q) => p + q, 0) + s.lda.all) / (lda.length + 1);
    if (ncm.length === a.history.length) out.frozenNcmAvg = (ncm.reduce((p, q) => p + q, 0) + s.ncm.all) / (ncm.length + 1);
  }
  if (withPaper) {
    const train = a.data.subset('train', seen);
    const zp = await f.enc.encode(train.x, train.n);
    out.frozenPaper = accuracyOf(fitNearestSubspace(zp, train.n, F, train.y, seen, r), zt, test.y, test.n, seen).all;
  }
  return out;
}

/** The no-memory re-run as the baselines drive it: a curriculum runner of its own (made by the caller). */
export interface SubRun {
  readonly state: LearnerState;
  readonly control: RunControl;
  onStep: RunContext['onStep'];
  clock: RunClock;
  start(): Promise<void>;
}

/** Baselines in the same run and split: raw pixels, a random encoder (both with no learning), no-memory continuation. */
export async function finalBaselines(ctx: RunContext, makeSubRun: (deps: RunnerDeps) => SubRun): Promise<Record<string, number>> {
  const { d, s, out: log, control } = ctx;
  const out: Record<string, number> = {};
  const r = d.recipe;
  const prefixes = s.tasks.map((_, i) => s.seenThrough(i));
  const all = prefixes[prefixes.length - 1];
  const train = d.data.subset('train', all);
  const test = d.data.subset('test', all);
  const S = d.model.imageSize;
  const incremental = (fit: SubspaceModel, zTest: Float32Array, D: number) => {
    const accs = prefixes.map((seen) => {
      const m = restrict(fit, seen);
      const keep = indicesOf(test.y, seen);
      const z = gatherRows(zTest, keep, D);
      const y = Int32Array.from(keep, (i) => test.y[i]);
      return accuracyOf(m, z, y, keep.length, seen).all;
    });
    return { last: accs[accs.length - 1], avg: accs.reduce((a, b) => a + b, 0) / accs.length };
  };
  // raw-pixel nearest subspace: each class is fitted on its own, so one fit per class serves every task prefix
  await control.pausePoint(log);
  log.log('info', 'baseline: raw-pixel nearest subspace');
  log.activity('baselines', 'nearest subspace on raw pixels', null, etaOf(ctx));
  const px = incremental(fitNearestSubspaceLarge(train.x, train.n, S, train.y, all, r.subspaceRank), test.x, S);
  out.rawPixelLast = px.last;
  out.rawPixelAvg = px.avg;
  await control.pausePoint(log);
  // randomly initialised encoder
  log.log('info', 'baseline: randomly initialised encoder');
  log.activity('baselines', 'a randomly initialised encoder', null, etaOf(ctx));
  const rnd = d.makeEncoder({ seed: hashSeed(d.run.seed, 99) });
  try {
    const F = d.model.featureDim;
    const ztr = await rnd.encode(train.x, train.n);
    const zte = await rnd.encode(test.x, test.n);
    const re = incremental(fitNearestSubspace(ztr, train.n, F, train.y, all, r.subspaceRank), zte, F);
    out.randomEncoderLast = re.last;
    out.randomEncoderAvg = re.avg;
  } finally {
    rnd.dispose();
  }
  if (s.tasks.length > 1 && !r.noMemory) Object.assign(out, await noMemoryRerun(ctx, makeSubRun));
  return out;
}

/** Continuing without memory: the same curriculum re-run with nothing replayed. */
async function noMemoryRerun(ctx: RunContext, makeSubRun: (deps: RunnerDeps) => SubRun): Promise<Record<string, number>> {
  const { d, s, out: log, control } = ctx;
  const r = d.recipe;
  const out: Record<string, number> = {};
  await control.pausePoint(log);
  log.log('info', 'baseline: re-running the curriculum without memory');
  const rec = noMemoryRecipe(r);
  const model = d.makeModel(rec, d.run.seed);
  const sub = makeSubRun({ ...d, recipe: rec, model, persist: false, index: null, watch: null });
  sub.clock = ctx.clock; // the run's timings: the re-run's ETA is right from its first step, and it is the rest of the run's
  const ss = sub.state;
  ss.tasks = s.tasks.map((x) => [...x]);
  if (s.branch && s.history.length) {
    // the first task is the same with or without memory: branch from its end instead of learning it again
    await model.importState(s.branch);
    for (const c of s.tasks[0]) {
      const e = s.memory.classes.get(c);
      if (e) ss.memory.classes.set(c, e);
    }
    ss.history = [s.history[0]];
    ss.pos = { task: 1, phase: 'start', epoch: 0, batch: 0, step: 0, taskStep: 0 };
  }
  // the re-run is minutes of training: its progress shows as the run's activity, throttled to 2 per second
  const first = ss.pos.task;
  const span = Math.max(1, s.tasks.length - first);
  let shown = 0;
  const report = (task: number, taskStep: number, taskSteps: number, etaSec: number | null, force = false) => {
    const now = Date.now();
    if (!force && now - shown < 500) return;
    shown = now;
    const f = Math.min(1, (task - first + (taskSteps > 0 ? taskStep / taskSteps : 0)) / span);
    // the re-run is the last of the run: what it has left is what the run has left
    log.activity('baselines', `re-run without memory · task ${task + 1} of ${s.tasks.length}`, f, etaSec);
  };
  sub.onStep = report;
  report(first, 0, 1, etaOf(ctx), true);
  // Stop and Pause reach the re-run (the run reports 'paused' while it waits)
  let settled = false;
  const mirror = (async () => {
    let held = false;
    while (!settled) {
      await new Promise<void>((res) => setTimeout(res, 100));
      if (settled) break;
      if (control.stopRequested) sub.control.stop();
      const hold = control.holding();
      if (hold === held) continue;
      held = hold;
      sub.control.pauseRequested = hold; // set directly: the sub-run may not have reached 'running' yet
      if (!hold) sub.control.resume();
      await log.setStatus(hold ? 'paused' : 'running');
    }
  })();
  try {
    await sub.start();
    const last = ss.history[ss.history.length - 1];
    if (last && ss.history.length === s.tasks.length) {
      out.noMemoryLastMemory = last.accAllMemory;
      out.noMemoryLastPaper = last.accAllPaper;
      out.noMemoryAvgMemory = last.avgIncrementalMemory;
    }
  } finally {
    settled = true;
    await mirror;
    model.dispose();
  }
  return out;
}
