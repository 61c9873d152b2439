// `eval RUN`: the newest checkpoint of a run evaluated on the test split of every class it has learned, with the lab's
// own classifier (stored memory protocol) and the paper protocol (refit on training images), without training.
import type { CrateConfig } from '../../models/crate/config';
import { loadDataset } from '../data/dataset';
import { readLatestCheckpoint } from '../store/checkpoints';
import { readRunJson, runDirOf } from '../store/runFiles';
import { CrateLoopModel } from './crateLoopModel';
import { DataSource } from './dataSource';
import { accuracyOf, concatRows, mergeFits } from './evaluate';
import { MemoryBank } from './memoryBank';
import { resolveStoredRecipe, type Recipe } from './recipe';
import { UsageError } from './sessionErrors';
import { fitNearestSubspace } from './subspaceAdapter';

export interface EvalRunResult {
  runId: string;
  step: number;
  seen: number[];
  classNames: string[];
  accMemory: number[];
  accPaper: number[];
  accAllMemory: number;
  accAllPaper: number;
}

export async function evaluateRun(runsRoot: string, runId: string): Promise<EvalRunResult> {
  const runDir = runDirOf(runsRoot, runId);
  const run = readRunJson(runDir);
  if (!run) throw new UsageError(`no run '${runId}' in ${runsRoot}`, 'not-found');
  const ck = readLatestCheckpoint(runDir);
  if (!ck) throw new UsageError(`run ${runId} has no valid checkpoint yet`, 'not-found');
  const cfg = (run.config as { model: CrateConfig }).model;
  const recipe: Recipe = resolveStoredRecipe((run.config as { recipe: Partial<Recipe> }).recipe);
  const state = ck.payload.state as { classNames: string[] };
  const memory = MemoryBank.fromTensors('mem', cfg.featureDim, ck.payload.tensors, state.classNames.map((_, i) => i));
  const seen = [...memory.classes.keys()];
  if (!seen.length) throw new UsageError(`run ${runId} has not finished a task yet: nothing to evaluate`, 'conflict');
  const ds = await loadDataset(run.data.spec, { shape: [...cfg.imageShape] as [number, number, number], seed: 10, maxPerClass: recipe.maxPerClass || undefined });
  const data = new DataSource(ds);
  const known = seen.filter((c) => c < data.numClasses);
  const model = new CrateLoopModel(cfg, recipe, run.seed);
  try {
    await model.importState(ck.payload.tensors);
    const F = cfg.featureDim;
    const test = data.subset('test', known);
    const zt = await model.encode(test.x, test.n);
    // the lab's classifier: every class from the statistics stored with its memory (MEMORY_PROTOCOL)
    const clsMem = mergeFits(new Map(known.map((c) => [c, memory.statisticsFit(c)] as const)), known, Math.min(recipe.subspaceRank, F), F);
    const train = data.subset('train', known);
    const ztr = await model.encode(train.x, train.n);
    const both = concatRows([{ z: ztr, y: train.y }], F);
    const clsPaper = fitNearestSubspace(both.z, both.n, F, both.y, known, recipe.subspaceRank);
    const am = accuracyOf(clsMem, zt, test.y, test.n, known);
    const ap = accuracyOf(clsPaper, zt, test.y, test.n, known);
    return { runId, step: ck.payload.step, seen: known, classNames: known.map((c) => data.classNames[c]), accMemory: am.per, accPaper: ap.per, accAllMemory: am.all, accAllPaper: ap.all };
  } finally {
    model.dispose();
  }
}
