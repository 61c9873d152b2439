// One run's folder: run.json (written once), status.json and reconstructions.json (replaced atomically),
// metrics.ndjson and knowledge.ndjson (append-only), checkpoints/, exports/. Everything here is the source of truth; the lab.json index is a cache of it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KnowledgeRecord, MetricRecord, ReconstructionEvent, RunStatus, RunSummary, SnapshotEvent, StartRunRequest, TaskRecord } from '../../preload/api';
import { readJsonOrNull, removeStaleTmpFiles, writeJsonAtomic } from './atomicFile';
import { numericFigures } from './groupStats';
import { readNdjson } from './ndjson';
import { liveHolder } from './runLock';
import { removeStaleStaging } from '../export/stagingDir';

export const RUN_FORMAT_VERSION = 1;

export interface RunJson {
  formatVersion: number;
  id: string;
  name: string;
  createdAt: string;
  request: StartRunRequest;
  seed: number;
  /** the seed that drew the class order (`tasks`); null or absent: natural order or an explicit order */
  orderSeed?: number | null;
  /** the sweep (seed group, main/store/sweepFiles.ts) the run was started by */
  sweep?: string;
  /** resolved model config + recipe: everything that determines the result */
  config: Record<string, unknown>;
  versions: Record<string, string | null>;
  backend: string;
  /** wasm: threads of its XNNPACK pool (main/engine/wasmThreads.ts); null on other backends; absent in older runs */
  threads?: number | null;
  adapter: unknown;
  data: { spec: string; classNames: string[]; shape: [number, number, number]; conversion: string; trainCount: number; testCount: number };
  /** the planned curriculum: class indices per task (watched classes are appended as events) */
  tasks: number[][];
  /** set when the run continues from a finished run or an export (`train --from`): see main/engine/continueFrom.ts */
  from?: { source: string; kind: 'run' | 'export'; runId: string | null; known: number[] };
  /** what the run was asked to do differently from a plain `train` (main/engine/runSettings.ts); absent in older runs */
  settings?: string[];
}

export interface StatusJson {
  status: RunStatus;
  updatedAt: string;
  message?: string;
  /** pid of the process that owns the run while it is running/paused (informative: liveness is decided by writer.lock) */
  pid?: number;
  /** classes added by a watched folder after the run was created (the planned curriculum grows) */
  tasksTotal?: number;
}

export const runDirOf = (runsRoot: string, id: string): string => path.join(runsRoot, id);
export const metricsFile = (runDir: string): string => path.join(runDir, 'metrics.ndjson');
export const knowledgeFile = (runDir: string): string => path.join(runDir, 'knowledge.ndjson');
/** the reconstructions of the latest task end (x, g(f(x)) and g(Z_mem) per class), so a reopened run can show them */
export const reconstructionsFile = (runDir: string): string => path.join(runDir, 'reconstructions.json');

/** The stored reconstructions, or null when the run has none (recorded before they were kept, or no task ended yet)
 *  or the file is not what the runner writes. */
export function readReconstructions(runDir: string): ReconstructionEvent | null {
  const e = readJsonOrNull<ReconstructionEvent>(reconstructionsFile(runDir));
  if (!e || e.type !== 'reconstructions' || !Array.isArray(e.rows) || !Array.isArray(e.imageShape)) return null;
  return e;
}

/** the feature snapshot of the latest task end (≤ 5,000 class-balanced test features with each class's mean and
 *  basis), so a reopened run shows its classes in 3D */
export const snapshotFile = (runDir: string): string => path.join(runDir, 'snapshot.json');

/** The stored feature snapshot, or null when the run has none or the file is not what the runner writes. */
export function readSnapshot(runDir: string): SnapshotEvent | null {
  const e = readJsonOrNull<SnapshotEvent>(snapshotFile(runDir));
  if (!e || e.type !== 'snapshot' || !Array.isArray(e.labels) || !Array.isArray(e.classes) || !Array.isArray(e.features?.shape)) return null;
  return e;
}

/** Ids are time-sortable and unique enough for one lab: 20261128-175501-a3f9. */
export function newRunId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

export function isValidRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/.test(id) && !id.includes('..');
}

export function createRunDir(runsRoot: string, run: RunJson): string {
  const dir = runDirOf(runsRoot, run.id);
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  // status before run.json: a folder with run.json always has a status; a folder without run.json is ignored
  writeStatus(dir, { status: 'created', updatedAt: new Date().toISOString() });
  writeJsonAtomic(path.join(dir, 'run.json'), run);
  return dir;
}

export function readRunJson(runDir: string): RunJson | null {
  const r = readJsonOrNull<RunJson>(path.join(runDir, 'run.json'));
  return r && r.formatVersion === RUN_FORMAT_VERSION && typeof r.id === 'string' ? r : null;
}

export function readStatus(runDir: string): StatusJson | null {
  return readJsonOrNull<StatusJson>(path.join(runDir, 'status.json'));
}

export function writeStatus(runDir: string, s: StatusJson): void {
  writeJsonAtomic(path.join(runDir, 'status.json'), s);
}

export function readMetrics(runDir: string): MetricRecord[] {
  return readNdjson<MetricRecord>(metricsFile(runDir)).records;
}

export function readKnowledge(runDir: string): KnowledgeRecord[] {
  return readNdjson<KnowledgeRecord>(knowledgeFile(runDir)).records;
}

/** Derive a run's summary from its files alone (the index is rebuilt from this). */
export function summarizeRun(runDir: string): RunSummary | null {
  const run = readRunJson(runDir);
  if (!run) return null;
  removeStaleTmpFiles(runDir);
  removeStaleStaging(path.join(runDir, 'exports')); // a killed export's half-written folder
  const st = readStatus(runDir) ?? { status: 'created' as RunStatus, updatedAt: run.createdAt };
  let status = st.status;
  // a run whose writer died without a final status was interrupted (SIGKILL, crash, power loss): its lock says whether
  // the writer is still there (pid, host and start time; a PID alone lies after a kill and once it is reused)
  if ((status === 'running' || status === 'paused') && !liveHolder(runDir)) status = 'interrupted';
  const tasks = readKnowledge(runDir).filter((k): k is TaskRecord => k.kind === 'task');
  const last = tasks[tasks.length - 1];
  return {
    id: run.id,
    name: run.name,
    status,
    data: run.data.spec,
    preset: run.request.preset,
    backend: run.backend,
    createdAt: run.createdAt,
    updatedAt: st.updatedAt,
    tasksDone: tasks.length,
    tasksTotal: st.tasksTotal ?? run.tasks.length,
    classesSeen: last ? last.seen.length : 0,
    lastAccuracy: last ? last.accAllMemory : null,
    lastAccuracyPaper: last ? last.accAllPaper : null,
    settings: settingsOf(run),
    seed: run.seed,
    orderSeed: run.orderSeed ?? null,
    ...(run.sweep ? { sweep: run.sweep } : {}),
    figures: last ? numericFigures(last, ['task']) : {},
  };
}

/** A run's recorded settings beyond a plain run (none for runs recorded before they were kept). */
export function settingsOf(run: RunJson): string[] {
  return Array.isArray(run.settings) ? run.settings.filter((s): s is string => typeof s === 'string') : [];
}
