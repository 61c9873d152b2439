// Creating and reopening runs: resolves the config and recipe, loads the data, writes the run folder, and builds the
// CurriculumRunner with a CRATE LoopModel. Used by the LabService (app, web mode) and by the CLI in-process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendName, GpuAdapterInfo, StartRunRequest } from '../../preload/api';
import { PRESETS, type CrateConfig } from '../../models/crate/config';
import { loadDataset, type Dataset } from '../data/dataset';
import type { RunIndex } from '../store/runIndex';
import { moveAsideUnreadable, scanCheckpoints } from '../store/checkpoints';
import { createRunDir, newRunId, readRunJson, runDirOf, RUN_FORMAT_VERSION, type RunJson } from '../store/runFiles';
import { acquireRunLock, RunLockedError, type RunLock } from '../store/runLock';
import { runtimeVersions } from './backends';
import { CrateLoopModel, StandaloneEncoder } from './crateLoopModel';
import { drawClassOrder } from './classOrder';
import { buildCurriculum } from './curriculum';
import { DataSource } from './dataSource';
import type { EventHub } from './events';
import { FolderWatcher } from './folderWatcher';
import { resolveRecipe, resolveStoredRecipe, type Recipe } from './recipe';
import { runSettings } from './runSettings';
import { CurriculumRunner } from './runner/curriculumRunner';
import { loadContinuation, mergeClasses, type ContinuationSource, type FromRecord } from './continueFrom';
import { appVersion } from './appVersion';
import { engineConfig } from './modelDefaults';
import { describeUnreadable, UnreadableCheckpointsError, UsageError } from './sessionErrors';

export interface BackendInfo {
  name: BackendName;
  adapter: GpuAdapterInfo | null;
  /** wasm: threads it runs; null or absent on other backends */
  threads?: number | null;
}

export interface SessionDeps {
  runsRoot: string;
  hub: EventHub;
  index: RunIndex;
  backend: BackendInfo;
}

const adapterText = (a: GpuAdapterInfo | null) => (a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') : null);

function dataOptions(cfg: CrateConfig, recipe: Recipe) {
  return { shape: [...cfg.imageShape] as [number, number, number], maxPerClass: recipe.maxPerClass > 0 ? recipe.maxPerClass : undefined };
}

/**
 * A runner that holds its run's writer lock (main/store/runLock.ts) from creation until its training ends or it is
 * disposed: whoever creates or reopens a run through this module is its one writer, whatever door it came through.
 */
class LockedRunner extends CurriculumRunner {
  lock: RunLock | null = null;
  private hooked = false;

  override start(): Promise<void> {
    const p = super.start();
    if (!this.hooked) {
      this.hooked = true;
      const release = (): void => this.lock?.release();
      p.then(release, release);
    }
    return p;
  }

  override dispose(): void {
    super.dispose();
    this.lock?.release();
  }
}

function makeRunner(
  deps: SessionDeps,
  run: RunJson,
  runDir: string,
  recipe: Recipe,
  cfg: CrateConfig,
  data: DataSource,
  lock: RunLock,
): CurriculumRunner {
  let watch: { poll: () => Promise<number[] | null>; dir: string } | null = null;
  const watchDir = run.request.watchDir;
  if (watchDir) {
    const watcher = new FolderWatcher(watchDir, new Set(data.classNames));
    watch = {
      dir: watchDir,
      poll: async () => {
        const names = watcher.poll();
        if (!names.length) return null;
        try {
          const ds = await loadDataset(`folder:${watchDir}`, { ...dataOptions(cfg, recipe), seed: 10 });
          return data.addNewClasses(ds, names);
        } catch (e) {
          deps.hub.emit({ type: 'log', runId: run.id, level: 'warn', message: `watched folder: ${(e as Error).message}`, time: new Date().toISOString() });
          return null;
        }
      },
    };
  }
  const runner = new LockedRunner({
    run,
    runDir,
    recipe,
    data,
    model: new CrateLoopModel(cfg, recipe, run.seed),
    hub: deps.hub,
    index: deps.index,
    persist: true,
    backend: { name: deps.backend.name, adapter: adapterText(deps.backend.adapter) },
    makeEncoder: (from) => new StandaloneEncoder(cfg, from),
    makeModel: (rec, seed) => new CrateLoopModel(cfg, rec, seed),
    watch,
  });
  runner.lock = lock;
  return runner;
}

export interface NewRunOptions {
  req: StartRunRequest;
  /** decoding limit for PNG/JPEG folders (default: main/data/imageLimits.ts) */
  maxImagePixels?: number;
  recipe?: Partial<Recipe>;
  model?: Partial<CrateConfig>;
  /** the sweep (seed group) the run is a member of, recorded in run.json */
  sweep?: string;
}

function validateRequest(req: StartRunRequest): void {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, req.preset))
    throw new UsageError(`unknown preset '${req.preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
  if (!Number.isInteger(req.seed)) throw new UsageError(`seed must be an integer, got ${req.seed}`);
  if (req.orderSeed !== undefined && (!Number.isInteger(req.orderSeed) || req.orderSeed < 0))
    throw new UsageError(`order seed must be a whole number ≥ 0, got ${req.orderSeed}`);
  if (!Number.isInteger(req.classesPerTask) || req.classesPerTask < 1)
    throw new UsageError(`classes per task must be a positive integer, got ${req.classesPerTask}`);
  if (req.watchDir && !fs.existsSync(req.watchDir)) throw new UsageError(`watch folder ${req.watchDir} does not exist`);
}

/** Creates a run folder and returns its runner (not started). Throws UsageError / DataError for bad input. */
export async function createRun(deps: SessionDeps, o: NewRunOptions): Promise<CurriculumRunner> {
  const req = o.req;
  const src = req.from ? await loadContinuation(deps.runsRoot, req.from) : null;
  if (src) {
    // the source's config wins: its weights only fit its own shapes
    if (req.preset && req.preset !== src.preset)
      throw new UsageError(`--from ${req.from}: it was trained with preset '${src.preset}', not '${req.preset}'; leave --preset out (the source's config is used)`);
    if (o.model?.pool && o.model.pool !== src.config.pool)
      throw new UsageError(`--from ${req.from}: it pools features with '${src.config.pool}', not '${o.model.pool}'`);
    if (o.model?.featureDim && o.model.featureDim !== src.config.featureDim)
      throw new UsageError(`--from ${req.from}: its features have ${src.config.featureDim} dimensions, not ${o.model.featureDim}`);
  }
  validateRequest(src ? { ...req, preset: src.preset } : req);
  let cfg: CrateConfig;
  let recipe: Recipe;
  try {
    cfg = src ? src.config : engineConfig(req.preset, o.model ?? {});
    // a continued run's old classes have no training images here: the in-run baselines need them
    recipe = resolveRecipe({ ...(o.recipe ?? {}), ...(src ? { baselines: false } : {}) }, req.quick, cfg.featureDim);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let ds: Dataset = await loadDataset(req.data, { ...dataOptions(cfg, recipe), seed: 10, maxImagePixels: o.maxImagePixels });
  let tasks: number[][];
  let from: FromRecord | undefined;
  // an explicit order wins; otherwise the order seed draws one (recorded as null when it did not decide the order)
  const orderSeed = req.order === undefined && req.orderSeed !== undefined ? req.orderSeed : null;
  try {
    if (src) {
      const m = mergeClasses(src, ds, req.order);
      if (!m.toLearn.length)
        throw new UsageError(`--from ${req.from}: every class of ${ds.spec}${req.order ? ' in --order' : ''} is already known (${m.skipped.join(', ')}); nothing new to learn`);
      ds = m.data;
      const toLearn = orderSeed === null ? m.toLearn : drawClassOrder(m.toLearn, orderSeed);
      tasks = buildCurriculum({ numClasses: ds.classNames.length, classesPerTask: req.classesPerTask, order: toLearn, tasks: req.tasks });
      from = { source: src.dir, kind: src.kind, runId: src.runId, known: src.known };
    } else {
      const natural = Array.from({ length: ds.classNames.length }, (_, i) => i);
      const order = req.order ?? (orderSeed === null ? undefined : drawClassOrder(natural, orderSeed));
      tasks = buildCurriculum({ numClasses: ds.classNames.length, classesPerTask: req.classesPerTask, order, tasks: req.tasks });
    }
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
  // one class is a task with nothing to tell apart: the rate-reduction terms and the classifier need two
  if (ds.classNames.length < 2)
    throw new UsageError(
      `${req.data}: ${ds.classNames.length === 1 ? `only one class (${ds.classNames[0]})` : 'no class'}; class-incremental learning needs at least 2 classes` +
        (src ? '' : ' (a single new class can be added to a finished run with --from RUN)'),
    );
  const id = newRunId();
  const versions = runtimeVersions();
  const run: RunJson = {
    formatVersion: RUN_FORMAT_VERSION,
    id,
    name: req.name ?? (src ? `${src.preset} on ${ds.spec}, continuing ${src.runId ?? path.basename(src.dir)}` : `${req.preset} on ${ds.spec}`),
    createdAt: new Date().toISOString(),
    request: { ...req, ...(src ? { preset: src.preset, from: src.dir } : {}) },
    ...(from ? { from } : {}),
    seed: req.seed,
    orderSeed,
    ...(o.sweep ? { sweep: o.sweep } : {}),
    config: { model: cfg, recipe, dataSplitSeed: 10 },
    versions: { app: appVersion(), ...versions },
    backend: deps.backend.name,
    threads: deps.backend.threads ?? null,
    adapter: deps.backend.adapter,
    data: {
      spec: ds.spec,
      classNames: ds.classNames,
      shape: ds.shape,
      conversion: ds.conversion,
      trainCount: ds.train.n,
      testCount: ds.test.n,
    },
    tasks,
    settings: runSettings(req, o.recipe ?? {}, o.model ?? {}),
  };
  const runDir = createRunDir(deps.runsRoot, run);
  // a fresh id: nobody else can hold it, but the lock tells a window or a second CLI that this run has a writer
  const lock = acquireRunLock(runDir);
  try {
    await deps.index.refresh(id);
    const runner = makeRunner(deps, run, runDir, recipe, cfg, new DataSource(ds), lock);
    if (src) await startFrom(runner, src);
    return runner;
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function startFrom(runner: CurriculumRunner, src: ContinuationSource): Promise<void> {
  await runner.continueFrom({ weights: src.weights, memory: src.memory, classifier: src.classifier });
}

export interface OpenOptions {
  /** take the run over even from a writer that looks alive (a warning is given) */
  force?: boolean;
  /** with every checkpoint unreadable, learn the run again from step 0 instead of refusing */
  restart?: boolean;
  /** where warnings go (skipped checkpoints, a forced take-over); default: a 'log' event on the hub */
  warn?: (message: string) => void;
  maxImagePixels?: number;
}

/** Reopens a run from its last checkpoint (resume). Throws UsageError ('conflict') when another process writes it. */
export async function openRun(deps: SessionDeps, runId: string, o: OpenOptions = {}): Promise<CurriculumRunner> {
  const runDir = runDirOf(deps.runsRoot, runId);
  const run = readRunJson(runDir);
  if (!run) throw new UsageError(`no run '${runId}' in ${deps.runsRoot}`, 'not-found');
  const warn = o.warn ?? ((message: string) => deps.hub.emit({ type: 'log', runId, level: 'warn', message, time: new Date().toISOString() }));
  let lock: RunLock;
  try {
    lock = acquireRunLock(runDir, { force: o.force, warn });
  } catch (e) {
    if (e instanceof RunLockedError) throw new UsageError(e.message, 'conflict');
    throw e;
  }
  try {
    return await reopen(deps, run, runDir, lock, o, warn);
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function reopen(deps: SessionDeps, run: RunJson, runDir: string, lock: RunLock, o: OpenOptions, warn: (m: string) => void): Promise<CurriculumRunner> {
  const runId = run.id;
  // checked before anything is loaded or truncated: with no readable checkpoint the run would silently start over
  const scan = scanCheckpoints(runDir);
  let restartNote: string | undefined;
  if (scan.unreadable.length) {
    if (!scan.latest && !o.restart) throw new UnreadableCheckpointsError(runId, scan.unreadable);
    const moved = moveAsideUnreadable(runDir, scan.unreadable);
    const where = moved.map((m) => path.relative(runDir, m)).join(', ');
    if (scan.latest) {
      warn(`run ${runId}: skipped unreadable checkpoint(s) ${describeUnreadable(scan.unreadable)}; kept in ${where}; resuming from step ${scan.latest.payload.step}`);
    } else {
      restartNote = `restarted from the beginning on request (--restart): no checkpoint could be read (kept in ${where})`;
      warn(`run ${runId}: ${restartNote}`);
    }
  }
  const cfg = (run.config as { model: CrateConfig }).model;
  const recipe = resolveStoredRecipe((run.config as { recipe: Partial<Recipe> }).recipe);
  let ds = await loadDataset(run.data.spec, { ...dataOptions(cfg, recipe), seed: (run.config as { dataSplitSeed?: number }).dataSplitSeed ?? 10, maxImagePixels: o.maxImagePixels });
  // a continued run indexes classes as the source did, new names appended (run.json holds the merged list)
  if (run.from) ds = mergeClasses({ classNames: run.data.classNames, known: run.from.known }, ds).data;
  const data = new DataSource(ds);
  const runner = makeRunner(deps, run, runDir, recipe, cfg, data, lock);
  try {
    // classes that arrived through a watched folder before the kill come back in the same order
    const ck = restartNote ? null : ((scan.latest?.payload.state as { classNames?: string[] } | undefined)?.classNames ?? null);
    if (ck && ck.length > data.numClasses && run.request.watchDir) {
      const extra = await loadDataset(`folder:${run.request.watchDir}`, { ...dataOptions(cfg, recipe), seed: 10, maxImagePixels: o.maxImagePixels });
      for (const name of ck.slice(data.numClasses)) data.addNewClasses(extra, [name]);
    }
    const restored = await runner.restore();
    // killed before the first checkpoint of a continued run: start again from its source
    if (!restored && run.from) await startFrom(runner, await loadContinuation(deps.runsRoot, run.from.source));
    runner.markResumed(restored, restartNote);
  } catch (e) {
    runner.dispose(); // frees the model and releases the lock
    throw e;
  }
  return runner;
}
