// The end of a task: the old classes' memory follows the drift (unless the decoder phase did it), the new classes join
// the memory, the null-space basis and the frozen-encoder baseline; then evaluation on every class seen, loop fidelity,
// the baselines, the task's record, what the window shows, and the checkpoint. The task's images are forgotten here.
import { evaluateTask, MEMORY_PROTOCOL, mergeFits, type LabeledImages } from '../evaluate';
import { measureLoopFidelity, type LoopFidelity } from '../loopFidelity';
import type { LoopModel } from '../loopModel';
import type { MemoryBank } from '../memoryBank';
import { EngineRng, hashSeed } from '../rng';
import { fitNearestSubspaceLarge, type SubspaceModel } from '../subspaceAdapter';
import type { DataSource } from '../dataSource';
import { extendFrozenEncoder, finalBaselines, frozenEncoderScores, keepBranchPoint, type SubRun } from './baselines';
import { driftInputs, type RunContext } from './context';
import { compensateDrift } from './driftCompensation';
import { probeMemory } from './memoryProbe';
import { etaOf } from './runEta';
import { writeCheckpoint } from './persistence';
import { gatherRows, pick } from './rows';
import type { EngineTaskRecord, RunnerDeps } from './state';
import { reconstructionsEvent, snapshotEvent, type ViewInputs } from './taskViews';

/** images of a task whose head inputs extend the null-space basis (recipe nullSpaceEnergy) */
const NULL_SPACE_ROWS = 400;

export async function endTask(ctx: RunContext, judge: FidelityJudge, makeSubRun: (deps: RunnerDeps) => SubRun): Promise<void> {
  const { d, s, out } = ctx;
  const t = s.task!;
  ctx.decoder.forget(); // the decoder phase is over: its features are not kept beyond the task
  const r = d.recipe;
  const F = d.model.featureDim;
  const tStart = performance.now();
  out.activity('evaluating', `task ${s.pos.task + 1}: memory of ${t.classes.map((c) => d.data.classNames[c]).join(', ')}, evaluation on every class seen`, null, etaOf(ctx));

  // the new images under the encoder as it is now: drift probes (f) and the new classes' memory below
  const zNew = await d.model.encode(t.data.x, t.data.n);

  // 0. recipe driftCompensation: old classes' stored statistics follow the drift estimated from probes (unless the
  // decoder phase did it already)
  if (!s.pos.memoryRefreshed) await compensateDrift(driftInputs(ctx), zNew);
  s.driftProbe = null;

  // 1. memory of the new classes
  const memOpts = { directions: r.memDirections, explore: r.memExplore, perDirection: r.memPerDirection, rank: r.subspaceRank };
  for (const c of t.classes) {
    const rows = pick(zNew, t.data.y, F, c);
    s.memory.addClass(c, rows.z, rows.n, memOpts, hashSeed(d.run.seed, 7, c));
  }

  // 1b. the span of the new classes' head inputs joins the null-space basis (a seeded subset of ≤ 400 images: the
  // basis grows from an n×n eigenproblem on the host)
  if (r.nullSpaceEnergy > 0 && !r.noMemory && d.model.headInputs) {
    const keep = t.data.n <= NULL_SPACE_ROWS ? Array.from({ length: t.data.n }, (_, i) => i) : [...new EngineRng(hashSeed(d.run.seed, 13, s.pos.task)).permutation(t.data.n).slice(0, NULL_SPACE_ROWS)].sort((p, q) => p - q);
    const { a, dim } = await d.model.headInputs(gatherRows(t.data.x, keep, d.model.imageSize), keep.length);
    const b = s.memory.extendActivations(a, keep.length, dim, r.nullSpaceEnergy);
    out.log('info', `null space: old classes' head inputs span ${b.k} of ${dim} directions`);
  }

  // 2. frozen-encoder baseline: keep the encoder of the first task and only add memory afterwards
  await extendFrozenEncoder(ctx, t, memOpts);
  await keepBranchPoint(ctx);

  // 3. evaluation on every seen class
  const test = d.data.subset('test', t.seen);
  const isLast = s.pos.task === s.tasks.length - 1 && !d.watch;
  const oldClasses = t.seen.filter((c) => !t.classes.includes(c));
  const ev = await evaluateTask({
    model: d.model, seen: t.seen, newClasses: t.classes, test, zNew, yNew: t.data.y, paperTrain: d.data.subset('train', oldClasses),
    memory: s.memory, rank: r.subspaceRank, eps2: r.eps2, previous: s.history,
  });
  const diag = await d.model.diagnostics(test.x, Math.min(32, test.n));
  const baselines: Record<string, number> = { accMemoryReplayed: ev.accAllReplayed, accMemoryVectors: ev.accAllVectors };
  // does the loop close? (the baselines' in-process re-runs skip it: nobody reads their records)
  const fidelity = d.persist ? await judge.measure({ data: d.data, model: d.model, memory: s.memory, rank: r.subspaceRank }, test, t.seen, ev.zTest, ev.classifier) : null;
  if (s.frozen) Object.assign(baselines, await frozenEncoderScores({ frozen: s.frozen, data: d.data, recipe: r, featureDim: F, history: s.history }, test, t.seen, t.classes, isLast));
  // the task end's own cost (not the baselines) is what the ETA expects of the later ones
  ctx.clock.observeTaskEnd(t.seen.length, (performance.now() - tStart) / 1000);
  if (isLast && r.baselines && d.persist) Object.assign(baselines, await finalBaselines(ctx, makeSubRun));

  const record: EngineTaskRecord = {
    kind: 'task',
    task: s.pos.task,
    classes: [...t.classes],
    ...ev.record,
    layerCompression: diag.layerCompression,
    layerSparsity: diag.layerSparsity,
    memoryBytes: s.memory.bytes(),
    elapsed: s.elapsed,
    // what the task end itself cost (memory, evaluation, loop fidelity, baselines):
    // the training time is elapsed minus these (issue 15: evaluation is timed apart from learning)
    evaluationSeconds: (performance.now() - tStart) / 1000,
    // now and the high-water mark: what a leak across tasks would grow (checked in test/engine/memoryGrowth.test.ts)
    ...probeMemory(),
    baselines,
    memoryProtocol: MEMORY_PROTOCOL,
    accAllMemoryReplayed: ev.accAllReplayed,
    accMemoryReplayed: ev.accReplayed,
    accAllMemoryVectors: ev.accAllVectors,
    accMemoryVectors: ev.accVectors,
    ...(fidelity ? { loopFidelity: fidelity } : {}),
  };

  // 4. record, then forget the task's images
  for (const c of t.classes) out.knowledge('class-learned', `class ${d.data.classNames[c]} learned: accuracy ${(record.accMemory[t.seen.indexOf(c)] * 100).toFixed(1)}% from memory`);
  out.taskRecord(record);
  s.history.push(record);
  s.classifier = ev.classifier;
  out.emit({ type: 'task-result', runId: d.run.id, record });
  if (d.persist) {
    const view: ViewInputs = { runId: d.run.id, runDir: d.runDir, task: s.pos.task, step: s.pos.step, data: d.data, model: d.model };
    out.emit(snapshotEvent(view, s.rng, ev.zTest, ev.yTest, ev.classifier));
    out.emit(await reconstructionsEvent(view, s.memory, test, t.classes, t.seen));
  }
  out.activity(null);
  s.task = null;
  d.model.setReplay(null, null);
  s.pos = { ...s.pos, task: s.pos.task + 1, phase: 'start', epoch: 0, batch: 0, taskStep: 0 };
  await writeCheckpoint(ctx);
  await out.refreshIndex();
  out.log('info', `task ${record.task + 1} done: accuracy ${(record.accAllMemory * 100).toFixed(1)}% from memory, ${(record.accAllPaper * 100).toFixed(1)}% paper protocol (evaluation ${((performance.now() - tStart) / 1000).toFixed(1)} s)`);
  if (!ctx.control.autonomous && s.pos.task < s.tasks.length) ctx.control.pauseRequested = true;
}

/**
 * Loop fidelity of every seen class (loopFidelity.ts): test images through x → g(f(x)) → f, the memory samples through
 * z → g(z) → f, both classified by the lab's classifier, and g(z) judged by nearest subspace on raw pixels. The
 * judge's per-class fits are cached: a class's training images do not change (evaluation data from the dataset, never
 * learner state).
 */
export class FidelityJudge {
  private pixelFits = new Map<number, SubspaceModel>();

  async measure(a: { data: DataSource; model: LoopModel; memory: MemoryBank; rank: number }, test: LabeledImages, seen: number[], zTest: Float32Array, classifier: SubspaceModel): Promise<LoopFidelity> {
    const S = a.model.imageSize;
    const r = a.rank;
    for (const c of seen) {
      if (this.pixelFits.has(c)) continue;
      const tr = a.data.subset('train', [c]);
      if (tr.n > 1) this.pixelFits.set(c, fitNearestSubspaceLarge(tr.x, tr.n, S, tr.y, [c], Math.min(r, tr.n - 1)));
    }
    const judged = seen.filter((c) => this.pixelFits.has(c)); // a class continued from another dataset has no images here
    const mem = a.memory.rows(seen);
    return measureLoopFidelity({
      encode: (x, n) => a.model.encode(x, n),
      decode: (z, n) => a.model.decode(z, n),
      seen,
      test,
      zTest,
      classifier,
      memory: mem,
      pixelJudge: judged.length ? mergeFits(this.pixelFits, judged, Math.min(r, ...judged.map((c) => this.pixelFits.get(c)!.r)), S) : null,
    });
  }
}
