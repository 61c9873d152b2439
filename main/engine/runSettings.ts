// What a run was asked to do differently from a plain `train`: the short list the run browser and `runs` show under a
// run's name, so that runs of the same preset and data can be told apart without opening their run.json.
import type { StartRunRequest } from '../../preload/api';
import type { CrateConfig } from '../../models/crate/config';
import type { Recipe } from './recipe';

/** Recipe fields that change how a run is kept, not what it learns. */
const BOOKKEEPING = new Set<keyof Recipe>(['checkpointEvery', 'keep', 'logEvery']);
/** The CLI's and the setup screen's defaults for the request fields listed below. */
const DEFAULT_SEED = 10;
const DEFAULT_CLASSES_PER_TASK = 2;

/**
 * Tokens such as `quick`, `seed 3`, `featureDim 256`, `subspaceRank 3`: the request fields that differ from a plain
 * run, then the model and recipe fields the user set (named as in run.json, in the order given).
 */
export function runSettings(req: StartRunRequest, recipe: Partial<Recipe>, model: Partial<CrateConfig>): string[] {
  const out: string[] = [];
  if (req.quick) out.push('quick');
  if (req.seed !== DEFAULT_SEED) out.push(`seed ${req.seed}`);
  if (req.classesPerTask !== DEFAULT_CLASSES_PER_TASK) out.push(`${req.classesPerTask} classes/task`);
  if (req.order?.length) out.push(`order ${req.order.join(',')}`);
  else if (req.orderSeed !== undefined) out.push(`order seed ${req.orderSeed}`);
  if (req.tasks !== undefined) out.push(`tasks ${req.tasks}`);
  if (req.autonomous === false) out.push('step by step');
  if (req.watchDir) out.push('watch');
  for (const [k, v] of Object.entries(model)) if (v !== undefined) out.push(`${k} ${String(v)}`);
  for (const [k, v] of Object.entries(recipe)) {
    if (v === undefined || BOOKKEEPING.has(k as keyof Recipe)) continue;
    out.push(v === true ? k : v === false ? `no ${k}` : `${k} ${String(v)}`);
  }
  return out;
}
