// `train`, `resume RUN`, `eval RUN`, `runs`: the engine run in-process (no child process), with a progress bar on a
// terminal or, with --json, one JSON object per line on stdout ending with {"type":"summary", …}.
// Exit codes: 0 success, 2 bad input or usage (also: the run has another live writer), 3 resume found no readable checkpoint, 1 failure.
import { Command, InvalidArgumentError, Option } from 'commander';
import * as path from 'node:path';
import type { BackendChoice, LabEvent, MetricRecord, TaskRecord, RunGroup, RunSummary, StartRunRequest } from '../../preload/api';
import { DataError } from '../data/dataError';
import { BackendError, initBackend } from '../engine/backends';
import { MAX_WASM_THREADS } from '../engine/wasmThreads';
import { parseOrder } from '../engine/curriculum';
import { evaluateRun } from '../engine/evalRun';
import { EventHub } from '../engine/events';
import { DEFAULT_RECIPE, QUICK_OVERRIDES, type Recipe } from '../engine/recipe';
import type { CurriculumRunner } from '../engine/runner/curriculumRunner';
import type { EngineTaskRecord } from '../engine/runner/state';
import { createRun, openRun, type SessionDeps } from '../engine/session';
import { UnreadableCheckpointsError, UsageError } from '../engine/sessionErrors';
import { memberStatus } from '../engine/sweep';
import { groupRuns } from '../store/runGroups';
import { fmtDuration } from '../../renderer/src/lib/format';
import { RunIndex } from '../store/runIndex';
import { readMetrics, readRunJson, runDirOf } from '../store/runFiles';
import { defaultSweepId, isValidSweepId, listSweeps, newSweep, parseSeeds, readSweep, type SweepJson } from '../store/sweepFiles';
import { driveSweep } from './sweep';

const BACKENDS = ['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  return n;
}
function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${v}'`);
  return n;
}
function nonNegInt(v: string): number {
  const n = int(v);
  if (n < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got '${v}'`);
  return n;
}
function threadCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_WASM_THREADS}, got '${v}'`);
  return n;
}

function posInt(v: string): number {
  const n = int(v);
  if (n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

interface CommonOpts {
  runsRoot: string;
  backend: BackendChoice;
  /** wasm threads (default CRATE_WASM_THREADS, else every core up to 8) */
  threads?: number;
  json?: boolean;
}

interface TrainOpts extends CommonOpts {
  data: string;
  preset: string;
  seed: number;
  orderSeed?: number;
  seeds?: string;
  group?: string;
  classesPerTask: number;
  order?: string;
  tasks?: number;
  quick?: boolean;
  watch?: string;
  name?: string;
  checkpointEvery?: number;
  keep?: number;
  eps2?: number;
  lr?: number;
  lrEncoder?: number;
  lrDecoder?: number;
  laterLrScale?: number;
  beta1?: number;
  lambda?: number;
  epochs?: number;
  warmupEpochs?: number;
  laterWarmupEpochs?: number;
  warmupGamma?: number;
  warmupEps2?: number;
  invariance?: number;
  augShift?: number;
  distill?: number;
  anchorToMemory?: boolean;
  replayImages?: boolean;
  reconInvariance?: number;
  warmupAnchor?: number;
  driftCompensation?: number;
  nullSpace?: number;
  recon?: number;
  decoderEpochs?: number;
  decoderBatch?: number;
  decoderLr?: number;
  decoderConsistency?: number;
  laterDecoderEpochs?: number;
  decoderMemRows?: number;
  loopEncoderLrScale?: number;
  laterWarmupGamma?: number;
  batch?: number;
  pool?: 'cls' | 'mean' | 'flat';
  featureDim?: number;
  maxPerClass?: number;
  anchor?: number;
  memDirections?: number;
  memExplore?: number;
  memPerDirection?: number;
  memPerBatch?: number;
  rank?: number;
  baselines: boolean;
  baselineEpochScale?: number;
  memory: boolean;
  freezeAfterFirst?: boolean;
  from?: string;
}

function recipeFrom(o: TrainOpts): Partial<Recipe> {
  return {
    eps2: o.eps2,
    lrEncoder: o.lrEncoder ?? o.lr,
    lrDecoder: o.lrDecoder ?? o.lr,
    laterLrScale: o.laterLrScale,
    beta1: o.beta1,
    lambdaNew: o.lambda,
    epochs: o.epochs,
    warmupEpochs: o.warmupEpochs,
    laterWarmupEpochs: o.laterWarmupEpochs,
    warmupGamma: o.warmupGamma,
    warmupEps2: o.warmupEps2,
    invarianceWeight: o.invariance,
    augShift: o.augShift,
    distillWeight: o.distill,
    anchorToMemory: o.anchorToMemory,
    replayImages: o.replayImages,
    reconInvariance: o.reconInvariance,
    warmupAnchorWeight: o.warmupAnchor,
    driftCompensation: o.driftCompensation,
    nullSpaceEnergy: o.nullSpace,
    reconWeight: o.recon,
    decoderEpochs: o.decoderEpochs,
    decoderBatch: o.decoderBatch,
    decoderLr: o.decoderLr,
    decoderConsistency: o.decoderConsistency,
    laterDecoderEpochs: o.laterDecoderEpochs,
    decoderMemRows: o.decoderMemRows,
    loopEncoderLrScale: o.loopEncoderLrScale,
    laterWarmupGamma: o.laterWarmupGamma,
    batchSize: o.batch,
    maxPerClass: o.maxPerClass,
    anchorWeight: o.anchor,
    memDirections: o.memDirections,
    memExplore: o.memExplore,
    memPerDirection: o.memPerDirection,
    memPerBatch: o.memPerBatch,
    subspaceRank: o.rank,
    checkpointEvery: o.checkpointEvery,
    keep: o.keep,
    baselines: o.baselines === false ? false : undefined, // commander's --no-baselines defaults it to true: pass only a choice
    baselineEpochScale: o.baselineEpochScale,
    noMemory: o.memory === false ? true : undefined,
    freezeAfterFirst: o.freezeAfterFirst,
  };
}

const out = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');

/** A one-line progress bar on stderr, redrawn at most 10×/s. */
class ProgressBar {
  private last = 0;
  private shown = false;
  constructor(private readonly enabled: boolean) {}
  update(e: Extract<LabEvent, { type: 'progress' }>): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const frac = e.taskSteps > 0 ? Math.min(1, e.taskStep / e.taskSteps) : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const eta = e.etaSec !== null ? fmtDuration(e.etaSec) : '?';
    const line = `task ${e.task + 1}/${e.tasksTotal} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${e.taskStep}/${e.taskSteps}  T ${e.T.toFixed(2)}  ${Math.round(e.samplesPerSec)} img/s  eta ${eta}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
    this.shown = true;
  }
  /** Between steps: what the engine does (a task end's evaluation, the last task's baselines), with a bar where it knows how far it is. */
  activity(e: Extract<LabEvent, { type: 'activity' }>): void {
    if (!this.enabled || e.activity === null) return;
    this.last = Date.now();
    const width = 24;
    const bar = e.fraction === null ? '' : ` [${'#'.repeat(Math.round(e.fraction * width))}${'.'.repeat(width - Math.round(e.fraction * width))}] ${Math.round(e.fraction * 100)}%`;
    const eta = typeof e.etaSec === 'number' ? `  eta ${fmtDuration(e.etaSec)}` : '';
    const line = `${e.activity}: ${e.detail}${bar}${eta}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function printTask(r: EngineTaskRecord, classNames: string[]): void {
  const names = r.seen.map((c) => classNames[c] ?? String(c));
  process.stderr.write(`task ${r.task + 1}: learned ${r.classes.map((c) => classNames[c]).join(', ')} — all seen: ${pct(r.accAllMemory)} from memory, ${pct(r.accAllPaper)} paper protocol (memory vectors ${pct(r.accAllMemoryVectors)}, replayed memory ${pct(r.accAllMemoryReplayed)})\n`);
  process.stderr.write(`  class   ${names.map((n) => n.padStart(7)).join('')}\n`);
  process.stderr.write(`  memory  ${r.accMemory.map((a) => pct(a).padStart(7)).join('')}\n`);
  process.stderr.write(`  paper   ${r.accPaper.map((a) => pct(a).padStart(7)).join('')}\n`);
  const lf = r.loopFidelity;
  if (lf) process.stderr.write(`  loop: reconstruction ${pct(lf.reconstructionAll)}, decoded memory ${pct(lf.decodedMemoryAll)}, pixel judge ${pct(lf.decodedMemoryPixelAll)}\n`);
}

/** What `train --json` prints last for a run (and a sweep records per member). */
export interface Summary {
  type: 'summary';
  runId: string;
  status: string;
  message?: string;
  classes: string[];
  accuracy_matrix: number[][];
  accuracy_matrix_paper: number[][];
  average_incremental_accuracy: number | null;
  average_incremental_accuracy_paper: number | null;
  last_accuracy: number | null;
  last_accuracy_paper: number | null;
  last_accuracy_replayed: number | null;
  last_accuracy_vectors: number | null;
  /** loop fidelity after the last task, all seen classes (main/engine/loopFidelity.ts; null: not measured) */
  reconstruction_accuracy: number | null;
  decoded_memory_accuracy: number | null;
  decoded_memory_pixel_accuracy: number | null;
  memory_protocol: string;
  memory_bytes: number | null;
  elapsed_seconds: number;
  /** elapsed split: task ends (evaluation, loop fidelity, baselines) and the rest, learning (null: not recorded) */
  evaluation_seconds: number | null;
  training_seconds: number | null;
  /** peak resident memory of the process that trained, bytes */
  peak_rss_bytes: number;
  samples_per_second: number | null;
  backend: string;
  /** wasm: threads it ran on; null on other backends */
  threads: number | null;
  baselines: Record<string, number>;
}

/** Seconds spent in task ends and in learning, from the task records (null where a record predates the timing). */
function evaluationSplit(history: TaskRecord[], elapsed: number): { evaluation_seconds: number | null; training_seconds: number | null } {
  if (history.length === 0 || history.some((r) => r.evaluationSeconds === undefined)) return { evaluation_seconds: null, training_seconds: null };
  const ev = history.reduce((a, r) => a + r.evaluationSeconds!, 0);
  return { evaluation_seconds: ev, training_seconds: Math.max(0, elapsed - ev) };
}

export function summaryOf(runner: CurriculumRunner, runsRoot: string, backend: string, classNames: string[], threads: number | null = null): Summary {
  const h = runner.history;
  const last = h[h.length - 1];
  const metrics: MetricRecord[] = readMetrics(runDirOf(runsRoot, runner.runId));
  const sps = metrics.length ? metrics.reduce((a, m) => a + m.samplesPerSec, 0) / metrics.length : null;
  return {
    type: 'summary',
    runId: runner.runId,
    status: runner.status,
    ...(runner.lastMessage ? { message: runner.lastMessage } : {}),
    classes: last ? last.seen.map((c) => classNames[c] ?? String(c)) : [],
    accuracy_matrix: h.map((r) => r.accMemory),
    accuracy_matrix_paper: h.map((r) => r.accPaper),
    average_incremental_accuracy: last ? last.avgIncrementalMemory : null,
    average_incremental_accuracy_paper: last ? last.avgIncrementalPaper : null,
    last_accuracy: last ? last.accAllMemory : null,
    last_accuracy_paper: last ? last.accAllPaper : null,
    last_accuracy_replayed: last ? last.accAllMemoryReplayed ?? null : null,
    last_accuracy_vectors: last ? last.accAllMemoryVectors ?? null : null,
    reconstruction_accuracy: last?.loopFidelity?.reconstructionAll ?? null,
    decoded_memory_accuracy: last?.loopFidelity?.decodedMemoryAll ?? null,
    decoded_memory_pixel_accuracy: last?.loopFidelity?.decodedMemoryPixelAll ?? null,
    memory_protocol: last?.memoryProtocol ?? 'statistics',
    memory_bytes: last ? last.memoryBytes : null,
    elapsed_seconds: runner.elapsed,
    ...evaluationSplit(h, runner.elapsed),
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    samples_per_second: sps,
    backend,
    threads,
    baselines: last?.baselines ?? {},
  };
}

function exitCodeFor(e: unknown): number {
  if (e instanceof UnreadableCheckpointsError) return 3; // a run that exists but cannot be resumed as it is
  return e instanceof UsageError || e instanceof DataError || e instanceof InvalidArgumentError ? 2 : e instanceof BackendError ? 2 : 1;
}

function reportError(e: unknown, json: boolean | undefined): void {
  const msg = e instanceof Error ? e.message : String(e);
  const code = exitCodeFor(e);
  if (json) out({ type: 'error', code: code === 2 ? 'bad-input' : code === 3 ? 'unreadable-checkpoints' : 'failure', message: msg });
  process.stderr.write(`error: ${msg}\n`);
  process.exitCode = code;
}

/** Drive a runner to its end, reporting as asked; sets process.exitCode. */
async function drive(runner: CurriculumRunner, hub: EventHub, deps: SessionDeps, classNames: () => string[], json: boolean | undefined): Promise<Summary> {
  const bar = new ProgressBar(!json && process.stderr.isTTY === true);
  // unsubscribed at the end: a sweep drives several runs on one hub
  const unsubscribe = hub.subscribe((e) => {
    if (json) {
      if (e.type === 'snapshot' || e.type === 'reconstructions') return; // large; the window asks for these
      out(e);
      return;
    }
    if (e.type === 'progress') bar.update(e);
    else if (e.type === 'activity') bar.activity(e);
    else if (e.type === 'task-result') {
      bar.clear();
      printTask(e.record as EngineTaskRecord, classNames());
    } else if (e.type === 'log' && e.level !== 'info') {
      bar.clear();
      process.stderr.write(`${e.level}: ${e.message}\n`);
    } else if (e.type === 'knowledge' && (e.record.event === 'divergence' || e.record.event === 'watch-found' || e.record.event === 'resumed')) {
      bar.clear();
      process.stderr.write(`${e.record.message}\n`);
    }
  });
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write('\nstopping after the current step (checkpoint first); press Ctrl+C again to quit now\n');
    runner.control.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runner.start();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    bar.clear();
    unsubscribe();
  }
  const s = summaryOf(runner, deps.runsRoot, deps.backend.name, classNames(), deps.backend.threads ?? null);
  runner.dispose();
  if (json) out(s);
  else {
    process.stderr.write(`\nrun ${s.runId}: ${s.status}${s.message ? ` (${s.message})` : ''} in ${s.elapsed_seconds.toFixed(1)} s on ${s.backend}\n`);
    if (s.last_accuracy !== null) {
      process.stdout.write(`accuracy matrix (from memory; rows = after each task, columns = ${s.classes.join(' ')}):\n`);
      for (const row of s.accuracy_matrix) process.stdout.write(`  ${row.map((a) => a.toFixed(3)).join(' ')}\n`);
      process.stdout.write(`last accuracy ${s.last_accuracy.toFixed(3)} from memory, ${s.last_accuracy_paper!.toFixed(3)} paper protocol; average incremental ${s.average_incremental_accuracy!.toFixed(3)} / ${s.average_incremental_accuracy_paper!.toFixed(3)}\n`);
      if (s.reconstruction_accuracy !== null)
        process.stdout.write(`loop fidelity: reconstruction ${s.reconstruction_accuracy.toFixed(3)}, decoded memory ${s.decoded_memory_accuracy!.toFixed(3)}, pixel judge ${s.decoded_memory_pixel_accuracy!.toFixed(3)}\n`);
      const b = Object.entries(s.baselines).map(([k, v]) => `${k} ${v.toFixed(3)}`);
      if (b.length) process.stdout.write(`baselines: ${b.join(', ')}\n`);
    }
  }
  process.exitCode = runner.status === 'finished' || runner.status === 'stopped' ? 0 : 1;
  return s;
}

const classNamesOf = (runner: CurriculumRunner) => () => runner.classNames;

async function setup(o: CommonOpts): Promise<{ deps: SessionDeps; hub: EventHub }> {
  const backend = await initBackend(o.backend, o.threads === undefined ? {} : { threads: o.threads });
  const hub = new EventHub(o.json ? 500 : 100);
  const runsRoot = path.resolve(o.runsRoot);
  return { deps: { runsRoot, hub, index: new RunIndex(runsRoot), backend }, hub };
}

async function train(o: TrainOpts, presetGiven: boolean, seedGiven: boolean): Promise<void> {
  try {
    const order = o.order !== undefined ? parseOrder(o.order) : undefined;
    // with --from the source's preset is used; an explicit --preset must agree with it (checked by createRun)
    const preset = o.from && !presetGiven ? '' : o.preset;
    const req: StartRunRequest = { data: o.data, preset, from: o.from, backend: o.backend, classesPerTask: o.classesPerTask, seed: o.seed, ...(o.orderSeed !== undefined ? { orderSeed: o.orderSeed } : {}), quick: !!o.quick, name: o.name, order, tasks: o.tasks, autonomous: true, watchDir: o.watch ? path.resolve(o.watch) : undefined };
    const recipe = recipeFrom(o);
    const model = o.pool || o.featureDim ? { ...(o.pool ? { pool: o.pool } : {}), ...(o.featureDim ? { featureDim: o.featureDim } : {}) } : undefined;
    if (o.seeds !== undefined) {
      if (seedGiven) throw new UsageError('--seed and --seeds exclude each other: a sweep gives each run its own seed from --seeds');
      if (o.watch) throw new UsageError('--watch cannot be swept: a watching run never ends, so the next seed would never start');
      const seeds = parseSeedList(o.seeds);
      const run = { req, recipe: stripUndefined(recipe), model: model ?? {} };
      const id = o.group ?? defaultSweepId(run, seeds);
      if (!isValidSweepId(id)) throw new UsageError(`--group '${id}' is not a valid group name (letters, digits, '.', '_' or '-')`);
      const { deps, hub } = await setup(o);
      const existing = readSweep(deps.runsRoot, id);
      if (existing && JSON.stringify(existing.seeds) !== JSON.stringify(seeds))
        throw new UsageError(`sweep ${id} already exists with seeds ${existing.seeds.join(',')}; continue it with \`resume ${id}\` or name a new one with --group`);
      const sweep = existing ?? newSweep(id, run, seeds);
      await driveSweep(sweep, deps, o.json, (runner) => drive(runner, hub, deps, classNamesOf(runner), o.json));
      return;
    }
    const { deps, hub } = await setup(o);
    const runner = await createRun(deps, { req, recipe, model });
    if (!o.json) process.stderr.write(`run ${runner.runId} in ${runner.runDir} (backend ${deps.backend.name})\n`);
    await drive(runner, hub, deps, classNamesOf(runner), o.json);
  } catch (e) {
    reportError(e instanceof Error && /^(class order|--order|--tasks|--seeds)/.test(e.message) ? new UsageError(e.message) : e, o.json);
  }
}

function parseSeedList(text: string): number[] {
  try {
    return parseSeeds(text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The recipe as recorded in a sweep file (undefined fields are not choices). */
function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

interface ResumeOpts extends CommonOpts {
  force?: boolean;
  restart?: boolean;
}

async function resume(runId: string, o: ResumeOpts): Promise<void> {
  try {
    const root = path.resolve(o.runsRoot);
    // a sweep's name continues the sweep (a run folder of that name would win, but ids and sweep names do not meet)
    if (!readRunJson(runDirOf(root, runId)) && readSweep(root, runId)) {
      const { deps, hub } = await setup(o);
      await driveSweep(readSweep(root, runId)!, deps, o.json, (runner) => drive(runner, hub, deps, classNamesOf(runner), o.json));
      return;
    }
    const { deps, hub } = await setup(o);
    const warn = (message: string): void => {
      if (o.json) out({ type: 'log', runId, level: 'warn', message, time: new Date().toISOString() });
      process.stderr.write(`${message}\n`);
    };
    const runner = await openRun(deps, runId, { force: o.force, restart: o.restart, warn });
    if (!o.json) process.stderr.write(`resuming run ${runId} at task ${runner.pos.task + 1}, step ${runner.pos.step}\n`);
    await drive(runner, hub, deps, classNamesOf(runner), o.json);
  } catch (e) {
    reportError(e, o.json);
  }
}

async function evalCmd(runId: string, o: CommonOpts): Promise<void> {
  try {
    await initBackend(o.backend);
    const r = await evaluateRun(path.resolve(o.runsRoot), runId);
    if (o.json) out({ type: 'eval', ...r });
    else {
      process.stdout.write(`run ${runId} at step ${r.step}: ${pct(r.accAllMemory)} from memory, ${pct(r.accAllPaper)} paper protocol\n`);
      r.seen.forEach((c, i) => process.stdout.write(`  ${r.classNames[i].padEnd(12)} ${pct(r.accMemory[i]).padStart(6)}  ${pct(r.accPaper[i]).padStart(6)}\n`));
    }
    process.exitCode = 0;
  } catch (e) {
    reportError(e, o.json);
  }
}

async function runsCmd(o: { runsRoot: string; json?: boolean }): Promise<void> {
  try {
    const root = path.resolve(o.runsRoot);
    const list: RunSummary[] = await new RunIndex(root).list();
    const groups = groupRuns(list);
    const sweeps = listSweeps(root);
    if (o.json) {
      for (const r of list) out({ type: 'run', ...r });
      for (const g of groups) out({ type: 'group', ...g });
      for (const s of sweeps) out({ type: 'sweep', id: s.id, seeds: s.seeds, members: s.members.map((m) => ({ seed: m.seed, runId: m.runId, status: memberStatus(root, m) })) });
    } else if (!list.length) process.stdout.write(`no runs in ${root}\n`);
    else {
      process.stdout.write(`${'id'.padEnd(21)} ${'status'.padEnd(11)} ${'tasks'.padEnd(6)} ${'memory'.padStart(7)} ${'paper'.padStart(7)}  preset / data\n`);
      for (const r of list)
        process.stdout.write(
          `${r.id.padEnd(21)} ${r.status.padEnd(11)} ${`${r.tasksDone}/${r.tasksTotal}`.padEnd(6)} ${(r.lastAccuracy === null ? '-' : pct(r.lastAccuracy)).padStart(7)} ${(r.lastAccuracyPaper === null ? '-' : pct(r.lastAccuracyPaper)).padStart(7)}  ${r.preset} / ${r.data}${r.settings?.length ? `  (${r.settings.join(', ')})` : ''}\n`,
        );
      printGroups(root, groups, sweeps);
    }
    process.exitCode = 0;
  } catch (e) {
    reportError(e, o.json);
  }
}

/** " (default X; --quick Y)" for a recipe field, read from the recipe itself, so the help says what a run uses. */
function dflt(key: keyof Recipe): string {
  const d = DEFAULT_RECIPE[key];
  const q = (QUICK_OVERRIDES as Partial<Recipe>)[key];
  return ` (default ${String(d)}${q !== undefined && q !== d ? `; --quick ${String(q)}` : ''})`;
}

const runsRootOption = () => new Option('--runs-root <dir>', 'folder holding the runs (default $CRATE_LAB_RUNS or ./runs)').default(path.resolve(process.env['CRATE_LAB_RUNS'] ?? 'runs'));
const backendOption = () => new Option('--backend <name>', 'TF.js backend').choices(BACKENDS).default('auto');

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description('learn a dataset class-incrementally, task by task, with the closed loop and structured memory')
    .option('--data <spec>', 'builtin:digits | idx:DIR | cifar:DIR | folder:DIR | npy:FILE', 'builtin:digits')
    .option('--preset <name>', 'model preset (tiny, mnist-s, cifar-s, mnist-p4)', 'mnist-s')
    .addOption(backendOption())
    .option('--threads <n>', `wasm threads (default $CRATE_WASM_THREADS, else every core up to ${MAX_WASM_THREADS})`, threadCount)
    .option('--seed <n>', 'seed of initialisation, batches and memory sampling', int, 10)
    .option('--order-seed <n>', 'draw the class order with this seed (default natural order; --order wins)', nonNegInt)
    .option('--seeds <list>', 'a sweep: the same settings once per seed, e.g. 1,2,3, one run after another; --json ends with {"type":"sweep-summary",…} (mean, sample std, per-seed values)')
    .option('--group <name>', 'name of the sweep (default derived from the settings and seeds, so the same command continues it)')
    .addOption(runsRootOption())
    .option('--classes-per-task <n>', 'new classes per task', posInt, 2)
    .option('--order <list>', 'class order, e.g. 3,1,0,2 (default natural order)')
    .option('--tasks <n>', 'learn only the first N tasks', posInt)
    .option('--quick', 'a reduced schedule for a quick look')
    .option('--watch <dir>', 'after the curriculum, learn each new class folder that appears in DIR (stable for 2 s)')
    .option('--name <text>', 'run name shown in the run browser')
    .option('--checkpoint-every <n>', 'checkpoint every N steps (and at every task end)' + dflt('checkpointEvery'), posInt)
    .option('--keep <k>', 'keep the last K checkpoints' + dflt('keep'), posInt)
    .option('--json', 'one JSON object per line on stdout; the last is {"type":"summary",…}')
    .option('--eps2 <x>', 'ε² of the coding rates' + dflt('eps2'), num)
    .option('--lr <x>', 'learning rate of both networks' + dflt('lrEncoder'), num)
    .option('--lr-encoder <x>', 'encoder learning rate' + dflt('lrEncoder'), num)
    .option('--lr-decoder <x>', 'decoder learning rate' + dflt('lrDecoder'), num)
    .option('--later-lr-scale <x>', 'learning-rate multiplier for tasks after the first' + dflt('laterLrScale'), num)
    .option('--beta1 <x>', 'Adam β₁' + dflt('beta1'), num)
    .option('--lambda <x>', 'λ on the new-class paired terms when memory is replayed' + dflt('lambdaNew'), num)
    .option('--epochs <n>', 'closed-loop epochs per task' + dflt('epochs'), int)
    .option('--warmup-epochs <n>', 'encoder warm-up epochs of the first task before the loop closes (rate R(Z) and invariance, see --warmup-gamma, --invariance)' + dflt('warmupEpochs'), int)
    .option('--warmup-gamma <x>', 'first-task warm-up objective R(Z) − γ·R_c(Z|Π) (1 = MCR²; < 1 keeps features spread)' + dflt('warmupGamma'), num)
    .option('--warmup-eps2 <x>', 'ε² of the warm-ups (0 = --eps2)' + dflt('warmupEps2'), num)
    .option('--invariance <x>', 'warm-ups (first task and later ones): weight of the agreement of two shifted views of each image (0 = off)' + dflt('invarianceWeight'), num)
    .option('--aug-shift <px>', 'largest shift in pixels of those views' + dflt('augShift'), int)
    .option('--distill <x>', 'later warm-ups: weight of keeping the new images\' features near the task start (0 = off)' + dflt('distillWeight'), num)
    .option('--anchor-to-memory', 'memory anchor target: the stored vectors Z_mem instead of f₀(X_mem)')
    .option('--drift-compensation <k>', 'after each later task, move old classes\' statistics by their estimated drift: 0 off, 1 decoded memory, 2 new images (SDC mean shift), 3 new images (affine map), 4 new images and decoded memory (affine map)' + dflt('driftCompensation'), int)
    .option('--recon-invariance <w>', 'later warm-ups: features of an image and of its reconstruction g(f(x)) must agree, weight W (0 = off)' + dflt('reconInvariance'), num)
    .option('--warmup-anchor <w>', 'with --replay-images: hold the decoded memory\'s features at the anchor target in later warm-ups, weight W (0 = off)' + dflt('warmupAnchorWeight'), num)
    .option('--replay-images', 'later warm-ups learn on the decoded memory g(Z_mem) as images of the old classes beside the new images (no memory vectors in the rate terms)')
    .option('--later-warmup-gamma <x>', 'γ of later tasks\' warm-ups with memory (default: --warmup-gamma)', num)
    .option('--loop-encoder-lr-scale <x>', 'encoder learning rate in the closed loop relative to the warm-up (1 = same)' + dflt('loopEncoderLrScale'), num)
    .option('--recon <w>', 'decoder: weight of the pixel reconstruction ‖g(f(x)) − x‖², also trained during warm-ups (0 = off)' + dflt('reconWeight'), num)
    .option('--decoder-epochs <n>', 'after each task\'s loop, the decoder alone learns to draw the task\'s images (and keeps drawing old classes from memory) for N epochs (0 = off)' + dflt('decoderEpochs'), int)
    .option('--decoder-batch <n>', 'images per step of the decoder phase' + dflt('decoderBatch'), posInt)
    .option('--decoder-lr <x>', 'Adam rate of the decoder phase' + dflt('decoderLr'), num)
    .option('--later-decoder-epochs <n>', 'decoder-phase epochs of the tasks after the first (−1 = --decoder-epochs)' + dflt('laterDecoderEpochs'), int)
    .option('--decoder-mem-rows <n>', 'at most N memory rows per decoder-phase step, class-balanced (0 = as many per old class as per new class)' + dflt('decoderMemRows'), int)
    .option('--decoder-consistency <c>', 'decoder phase: weight of ‖f(g(z)) − z‖² beside the pixel term, so decoded memory re-encodes as its class (0 = pixels only)' + dflt('decoderConsistency'), num)
    .option('--null-space <energy>', 'later tasks learn only the head, in the null space of old classes\' head inputs kept to this energy fraction, e.g. 0.97 (0 = off)' + dflt('nullSpaceEnergy'), num)
    .option('--later-warmup-epochs <n>', 'warm-up epochs of each later task before its loop (its new images; old classes through their memory vectors in the rate terms)' + dflt('laterWarmupEpochs'), int)
    .option('--batch <n>', 'images per step' + dflt('batchSize'), posInt)
    .addOption(new Option('--pool <kind>', 'feature pooling').choices(['cls', 'mean', 'flat']))
    .option('--feature-dim <n>', 'size F of the feature z (default: the preset\'s)', posInt)
    .option('--max-per-class <n>', 'use at most N training images per class (default all; --quick ' + String(QUICK_OVERRIDES.maxPerClass) + ')', posInt)
    .option('--anchor <w>', 'weight of the memory anchor ‖f(X_mem) − f₀(X_mem)‖² in later tasks (X_mem = g(Z_mem); target Z_mem with --anchor-to-memory)' + dflt('anchorWeight'), num)
    .option('--mem-directions <n>', 'memory: principal directions per class' + dflt('memDirections'), posInt)
    .option('--mem-explore <n>', 'memory: top samples per direction' + dflt('memExplore'), posInt)
    .option('--mem-per-direction <n>', 'memory: vectors drawn per direction' + dflt('memPerDirection'), posInt)
    .option('--mem-per-batch <n>', 'memory rows replayed per step, class-balanced (0 = all)' + dflt('memPerBatch'), int)
    .option('--rank <r>', 'nearest-subspace rank (default 15, at most a quarter of the feature size)', posInt)
    .option('--no-baselines', 'skip the baselines of the final summary')
    .option('--baseline-epoch-scale <x>', 'schedule fraction for the no-memory baseline re-run' + dflt('baselineEpochScale'), num)
    .option('--no-memory', 'ablation: learn later tasks without replaying memory')
    .option('--freeze-after-first', 'ablation: freeze the encoder after the first task')
    .option('--from <run-or-dir>', 'continue from a finished run (id or folder) or an export folder: its networks and memory are kept and only the new classes of --data are learned')
    .action((o: TrainOpts, cmd: Command) => train(o, cmd.getOptionValueSource('preset') === 'cli', cmd.getOptionValueSource('seed') === 'cli'));

  program
    .command('resume')
    .description('continue a run from its last checkpoint (exit code 3 when none of its checkpoints can be read), or a sweep with the run it was in')
    .argument('<run>', 'run id or sweep name (see `runs`)')
    .addOption(backendOption())
    .addOption(runsRootOption())
    .option('--json', 'one JSON object per line on stdout; the last is {"type":"summary",…}')
    .option('--force', 'take the run over even if its lock says another live process writes it (with a warning)')
    .option('--restart', 'when no checkpoint can be read, learn the run again from step 0 (unreadable ones are kept in checkpoints/corrupt-<step>/)')
    .action((id: string, o: ResumeOpts) => resume(id, o));

  program
    .command('eval')
    .description("evaluate a run's newest checkpoint on the test split of the classes it has learned")
    .argument('<run>', 'run id')
    .addOption(backendOption())
    .addOption(runsRootOption())
    .option('--json', 'print one JSON object')
    .action((id: string, o: CommonOpts) => evalCmd(id, o));

  program
    .command('runs')
    .description('list the runs in the runs folder, then the groups of runs of the same settings (mean ± sample std) and the sweeps')
    .addOption(runsRootOption())
    .option('--json', 'one JSON object per run')
    .action((o: { runsRoot: string; json?: boolean }) => runsCmd(o));
}


const pm = (g: RunGroup, name: string): string => {
  const f = g.figures[name];
  return f ? `${pct(f.mean)}${f.std === null ? '' : ` ± ${(f.std * 100).toFixed(1)}`}` : '-';
};

/** The groups of two or more runs and every sweep, after the run table. */
function printGroups(root: string, groups: RunGroup[], sweeps: SweepJson[]): void {
  const shown = groups.filter((g) => g.runIds.length > 1 || g.sweeps.length);
  if (shown.length) {
    process.stdout.write(`\ngroups (runs of the same settings; mean ± sample std over finished runs, memory · paper protocol):\n`);
    for (const g of shown)
      process.stdout.write(
        `  ${`${g.finishedIds.length}/${g.runIds.length} runs`.padEnd(10)} last ${pm(g, 'accAllMemory')} · ${pm(g, 'accAllPaper')}   avg incr ${pm(g, 'avgIncrementalMemory')} · ${pm(g, 'avgIncrementalPaper')}   seeds ${g.seeds.join(',')}  ${g.preset} / ${g.data}${g.settings.length ? `  (${g.settings.join(', ')})` : ''}${g.sweeps.length ? `  [${g.sweeps.join(', ')}]` : ''}\n`,
      );
  }
  if (sweeps.length) {
    process.stdout.write(`\nsweeps (\`resume NAME\` continues one, \`report NAME\` writes its report):\n`);
    for (const s of sweeps) process.stdout.write(`  ${s.id.padEnd(20)} ${s.members.map((m) => `seed ${m.seed} ${memberStatus(root, m)}${m.runId ? ` (${m.runId})` : ''}`).join(', ')}\n`);
  }
}
