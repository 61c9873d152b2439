// The lab's service object: every LabApi request (but onEvent/pickPath) as a method returning Result<T>, plus an event
// subscription. Hosted in the engine process by host.ts (Electron utilityProcess / child process), and used in-process
// by the CLI and by tests. One run trains at a time per service.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type {
  BackendChoice,
  BackendName,
  ControlRequest,
  DataInspectResult,
  ExportRequest,
  ExportResult,
  LabApi,
  LabError,
  LabEvent,
  PresetInfo,
  Result,
  RunDetail,
  RunStatus,
  RunGroup,
  RunSummary,
  StartRunRequest,
  StartSweepRequest,
  SystemInfo,
} from '../../preload/api';
import { PRESET_DESCRIPTIONS, PRESETS } from '../../models/crate/config';
import { countSpecs, decoderSpecs, encoderSpecs } from '../../models/crate/params';
import { engineConfig } from './modelDefaults';
import { DataError } from '../data/dataError';
import { RunIndex } from '../store/runIndex';
import { describeHolder, liveHolder } from '../store/runLock';
import { isValidRunId, readMetrics, readKnowledge, readReconstructions, readRunJson, readSnapshot, runDirOf, summarizeRun } from '../store/runFiles';
import { BackendError, initBackend, probeBackends, runtimeVersions } from './backends';
import { EventHub } from './events';
import type { Recipe } from './recipe';
import type { CurriculumRunner } from './runner/curriculumRunner';
import { createRun, openRun, type BackendInfo, type SessionDeps } from './session';
import { UnreadableCheckpointsError, UsageError } from './sessionErrors';
import { runSweep, validateSweepSeeds } from './sweep';
import { groupRuns } from '../store/runGroups';
import { defaultSweepId, newSweep, readSweep } from '../store/sweepFiles';
import { appVersion } from './appVersion';
import { PathPolicy, PathRefusedError } from './pathPolicy';

export type LabService = Omit<LabApi, 'onEvent' | 'pickPath'> & {
  subscribe(listener: (e: LabEvent) => void): () => void;
  /** Allow reading (and, in the app, exporting into) a path the person picked; not part of LabApi, so no request reaches it. */
  allowPath(p: string): void;
  close(): Promise<void>;
};

export interface LabServiceOptions {
  runsRoot: string;
  backend: BackendChoice;
  host: 'electron' | 'web' | 'cli';
  /** folders the API may read data from besides the runs root (`serve --data-root`, the app's picks) */
  dataRoots?: string[];
}

/** StartRunRequest plus optional recipe/model overrides (CLI flags; the window sends plain requests). */
export type StartRunRequestExt = StartRunRequest & { recipe?: Partial<Recipe>; model?: { pool?: 'cls' | 'mean' | 'flat'; featureDim?: number } };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });

/** Any thrown error as a LabError with a readable message and no stack. */
export function toLabError(e: unknown): LabError {
  if (e instanceof DataError) return { code: 'bad-data', message: e.message };
  if (e instanceof PathRefusedError) return { code: 'forbidden', message: e.message, hint: e.hint };
  if (e instanceof UnreadableCheckpointsError)
    return { code: 'bad-data', message: e.message, hint: `To learn it again from step 0, run \`npm run lab -- resume ${e.runId} --restart\` at a shell.` };
  if (e instanceof UsageError) return { code: e.code, message: e.message };
  if (e instanceof BackendError) return { code: 'unavailable', message: e.message };
  const code = (e as { code?: unknown })?.code;
  const known: LabError['code'][] = ['bad-request', 'bad-data', 'not-found', 'conflict', 'unavailable', 'io', 'engine', 'forbidden', 'too-large', 'internal'];
  if (typeof code === 'string' && known.includes(code as LabError['code'])) return { code: code as LabError['code'], message: (e as Error).message };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { code: 'io', message: (e as Error).message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

async function guard<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (e) {
    return { ok: false, error: toLabError(e) };
  }
}


function validateStart(req: StartRunRequestExt): void {
  const bad = (m: string) => new UsageError(m);
  if (!req || typeof req !== 'object') throw bad('startRun: the request must be an object');
  if (typeof req.data !== 'string' || !req.data) throw bad('startRun: data must be a dataset spec such as builtin:digits');
  if (typeof req.preset !== 'string') throw bad('startRun: preset must be a string');
  if (typeof req.seed !== 'number') throw bad('startRun: seed must be a number');
  if (typeof req.classesPerTask !== 'number') throw bad('startRun: classesPerTask must be a number');
  if (typeof req.quick !== 'boolean') throw bad('startRun: quick must be true or false');
  if (req.order !== undefined && (!Array.isArray(req.order) || req.order.some((c) => !Number.isInteger(c)))) throw bad('startRun: order must be a list of class indices');
  if (req.tasks !== undefined && (!Number.isInteger(req.tasks) || req.tasks < 1)) throw bad('startRun: tasks must be a positive integer');
  if (req.from !== undefined && (typeof req.from !== 'string' || !req.from)) throw bad('startRun: from must be a run id, a run folder or an export folder');
  if (req.decoderEpochs !== undefined && (!Number.isInteger(req.decoderEpochs) || req.decoderEpochs < 0)) throw bad('startRun: decoderEpochs must be an integer ≥ 0');
  if (req.orderSeed !== undefined && (!Number.isInteger(req.orderSeed) || req.orderSeed < 0)) throw bad('startRun: orderSeed must be a whole number ≥ 0');
}

/** The window's one recipe knob travels as a request field; CLI flags come as a whole recipe. */
function recipeOf(r: StartRunRequestExt): Partial<Recipe> | undefined {
  return r.decoderEpochs !== undefined ? { ...(r.recipe ?? {}), decoderEpochs: r.decoderEpochs } : r.recipe;
}

export async function createLabService(opts: LabServiceOptions): Promise<LabService> {
  const runsRoot = path.resolve(opts.runsRoot);
  fs.mkdirSync(runsRoot, { recursive: true });
  const hub = new EventHub();
  const index = new RunIndex(runsRoot);
  // the window and web mode are confined to the runs root and the data roots; the CLI host keeps any path
  const policy = new PathPolicy(opts.host, runsRoot, opts.dataRoots ?? []);
  const active = new Map<string, CurriculumRunner>();
  let backend: Promise<BackendInfo> | null = null;
  const ensureBackend = (): Promise<BackendInfo> => {
    if (!backend) {
      backend = initBackend(opts.backend);
      backend.catch(() => {
        backend = null; // a later call may retry (e.g. after installing a driver)
      });
    }
    return backend;
  };
  const deps = async (): Promise<SessionDeps> => ({ runsRoot, hub, index, backend: await ensureBackend() });

  const launch = (runner: CurriculumRunner): void => {
    active.set(runner.runId, runner);
    runner
      .start()
      .catch(() => undefined) // failures are recorded as status 'failed' with their message
      .finally(() => {
        active.delete(runner.runId);
        runner.dispose();
      });
  };
  /** the sweep training now: between two of its runs nothing is active, yet a new run must not start */
  let sweeping: string | null = null;
  const busy = (): void => {
    if (sweeping) throw new UsageError(`sweep ${sweeping} is running; stop its current run first`, 'conflict');
    const live = [...active.values()].find((r) => r.status === 'running' || r.status === 'paused' || r.status === 'created');
    if (live) throw new UsageError(`run ${live.runId} is already active; pause or stop it first`, 'conflict');
  };

  const service: LabService = {
    system: () =>
      guard(async (): Promise<SystemInfo> => {
        const backends = await probeBackends();
        let chosen: BackendName = backends.find((b) => b.available)?.name ?? 'cpu';
        let adapter = null;
        try {
          const b = await ensureBackend();
          chosen = b.name;
          adapter = b.adapter;
        } catch {
          // reported through `backends[].reason`
        }
        const v = runtimeVersions();
        return {
          backends,
          chosen,
          adapter,
          versions: { app: appVersion(), node: v.node, electron: v.electron, tfjs: v.tfjs, onnxruntime: v.onnxruntime },
          host: opts.host === 'electron' ? 'electron' : 'web',
          runsRoot,
          platform: `${process.platform}-${process.arch}`,
          cpus: os.cpus().length,
        };
      }),

    presets: () =>
      guard(async (): Promise<PresetInfo[]> =>
        Object.keys(PRESETS).map((name) => {
          const cfg = engineConfig(name); // what a run trains, not the bare preset
          return {
            name,
            description: PRESET_DESCRIPTIONS[name] ?? name,
            imageShape: [...cfg.imageShape] as [number, number, number],
            featureDim: cfg.featureDim,
            pool: cfg.pool,
            encoderParams: countSpecs(encoderSpecs(cfg)),
            decoderParams: countSpecs(decoderSpecs(cfg)),
          };
        }),
      ),

    inspectData: (spec: string) =>
      guard(async (): Promise<DataInspectResult> => {
        if (typeof spec !== 'string') throw new UsageError('inspectData: spec must be a string');
        policy.checkDataSpec(spec, 'inspectData');
        const { inspectDataset } = await import('../data/inspect');
        return inspectDataset(spec, { grid: true });
      }),

    listRuns: () => guard((): Promise<RunSummary[]> => index.list()),

    getRun: (runId: string) =>
      guard(async (): Promise<RunDetail> => {
        if (typeof runId !== 'string' || !isValidRunId(runId)) throw new UsageError(`'${runId}' is not a valid run id`);
        const dir = runDirOf(runsRoot, runId);
        const run = readRunJson(dir);
        const summary = summarizeRun(dir);
        if (!run || !summary) throw new UsageError(`no run '${runId}' in ${runsRoot}`, 'not-found');
        return { summary, config: run.config, classNames: run.data.classNames, metrics: readMetrics(dir), knowledge: readKnowledge(dir), reconstructions: readReconstructions(dir), snapshot: readSnapshot(dir) };
      }),

    deleteRun: (runId: string) =>
      guard(async () => {
        if (typeof runId !== 'string' || !isValidRunId(runId)) throw new UsageError(`'${runId}' is not a valid run id`);
        const dir = runDirOf(runsRoot, runId);
        if (!fs.existsSync(path.join(dir, 'run.json'))) throw new UsageError(`no run '${runId}' in ${runsRoot}`, 'not-found');
        if (active.has(runId)) throw new UsageError(`run ${runId} is active; stop it before deleting`, 'conflict');
        const writer = liveHolder(dir);
        if (writer) throw new UsageError(`run ${runId} is being written by ${describeHolder(writer.holder)}; stop it before deleting`, 'conflict');
        fs.rmSync(dir, { recursive: true, force: true });
        await index.list();
        return { deleted: runId };
      }),

    startRun: (req: StartRunRequest) =>
      guard(async () => {
        let r = req as StartRunRequestExt;
        validateStart(r);
        policy.checkDataSpec(r.data, 'startRun data');
        if (r.watchDir !== undefined) policy.checkReadPath(r.watchDir, 'startRun watchDir');
        if (r.from !== undefined) r = { ...r, from: policy.resolveFrom(r.from) };
        busy();
        const runner = await createRun(await deps(), { req: r, recipe: recipeOf(r), model: r.model });
        launch(runner);
        return { runId: runner.runId };
      }),

    listGroups: () => guard(async (): Promise<RunGroup[]> => groupRuns(await index.list())),

    startSweep: (req: StartSweepRequest) =>
      guard(async () => {
        if (!req || typeof req !== 'object' || !req.run) throw new UsageError('startSweep: the request must hold the run settings and the seeds');
        const r = req.run as StartRunRequestExt;
        validateStart(r);
        validateSweepSeeds(req.seeds);
        if (r.watchDir) throw new UsageError('startSweep: a watching run never ends, so a sweep cannot watch a folder');
        busy();
        const { recipe: _recipe, model: _model, decoderEpochs: _d, ...plain } = r;
        const run = { req: { ...plain, autonomous: true }, recipe: recipeOf(r) ?? {}, model: r.model ?? {} };
        const id = req.group ?? defaultSweepId(run, req.seeds);
        const existing = readSweep(runsRoot, id);
        if (existing && JSON.stringify(existing.seeds) !== JSON.stringify(req.seeds))
          throw new UsageError(`sweep ${id} already exists with seeds ${existing.seeds.join(',')}; name the new one differently`, 'conflict');
        const sweep = existing ?? newSweep(id, run, req.seeds);
        const d = await deps();
        // the summary `train --json` prints, so a sweep started here records the same figures as one from the CLI
        const { summaryOf } = await import('../cli/train');
        let stopped = false;
        sweeping = id;
        let first: ((runId: string) => void) | null = null;
        const started = new Promise<string>((resolve) => (first = resolve));
        const done = runSweep(d, sweep, {
          shouldContinue: () => !stopped,
          train: async (runner, m, i) => {
            first?.(runner.runId);
            first = null;
            hub.emit({ type: 'log', runId: null, level: 'info', message: `sweep ${id}: seed ${m.seed} (${i + 1} of ${sweep.members.length}), run ${runner.runId}`, time: new Date().toISOString() });
            active.set(runner.runId, runner);
            try {
              await runner.start().catch(() => undefined); // a failure is the run's status 'failed'
              const names = (runner as unknown as { d: { data: { classNames: string[] } } }).d.data.classNames;
              if (runner.status === 'stopped') stopped = true;
              const summary = runner.status === 'finished' ? (summaryOf(runner, runsRoot, d.backend.name, names, d.backend.threads ?? null) as unknown as Record<string, unknown>) : null;
              return { status: runner.status, summary };
            } finally {
              active.delete(runner.runId);
              runner.dispose();
            }
          },
        });
        void done.finally(() => (sweeping = null)).catch(() => undefined);
        // the first member's creation errors are this request's; later ones are logged
        const firstRun = await Promise.race([started, done.then(() => null)]);
        done.catch((e: Error) => hub.emit({ type: 'log', runId: null, level: 'error', message: `sweep ${id}: ${e.message}`, time: new Date().toISOString() }));
        const runId = firstRun ?? sweep.members[sweep.members.length - 1].runId ?? '';
        return { group: id, runId };
      }),

    resumeRun: (runId: string) =>
      guard(async () => {
        if (typeof runId !== 'string' || !isValidRunId(runId)) throw new UsageError(`'${runId}' is not a valid run id`);
        const a = active.get(runId);
        if (a) {
          a.control.resume();
          return { runId };
        }
        busy();
        const runner = await openRun(await deps(), runId);
        launch(runner);
        return { runId };
      }),

    control: (req: ControlRequest) =>
      guard(async (): Promise<{ runId: string; status: RunStatus }> => {
        if (!req || typeof req.runId !== 'string') throw new UsageError('control: runId is required');
        const r = active.get(req.runId);
        if (!r) throw new UsageError(`run ${req.runId} is not active in this engine (resume it first)`, 'not-found');
        switch (req.action) {
          case 'pause':
            r.control.pause();
            break;
          case 'resume':
            r.control.resume();
            break;
          case 'stop':
            r.control.stop();
            break;
          case 'step':
            if (req.steps !== undefined && (!Number.isInteger(req.steps) || req.steps < 1)) throw new UsageError('control step: steps must be a positive integer');
            r.control.step(req.steps ?? 1);
            break;
          case 'nextTask':
            r.control.nextTask();
            break;
          case 'autonomous':
            r.control.setAutonomous(req.enabled ?? true);
            break;
          default:
            throw new UsageError(`control: unknown action '${String((req as { action: unknown }).action)}'`);
        }
        return { runId: r.runId, status: r.status };
      }),

    exportRun: (req: ExportRequest): Promise<Result<ExportResult>> =>
      guard(async () => {
        let mod: { exportRun: (root: string, r: ExportRequest) => Promise<ExportResult> };
        try {
          mod = (await import('../export/exportRun')) as typeof mod;
        } catch (e) {
          throw Object.assign(new Error(`export is not available in this build (${(e as Error).message.split('\n')[0]})`), { code: 'unavailable' });
        }
        if (req && typeof req.runId === 'string' && isValidRunId(req.runId)) policy.checkExportDir(req.runId, req.outDir);
        else if (req?.outDir !== undefined && policy.confined) throw new UsageError(`exportRun: '${String(req?.runId)}' is not a valid run id`);
        return mod.exportRun(runsRoot, req);
      }),

    subscribe: (listener) => hub.subscribe(listener),

    allowPath: (p: string) => {
      policy.allowData(p);
      policy.allowExport(p);
    },

    close: async () => {
      const runs = [...active.values()];
      for (const r of runs) r.control.stop();
      await Promise.all(runs.map((r) => r.start().catch(() => undefined)));
      hub.close();
    },
  };
  return service;
}

