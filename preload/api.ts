/**
 * The one contract between the processes of CRATE Lab.
 *
 * main/ (IPC handlers, web-mode server, engine host), preload/ (contextBridge) and renderer/ (React)
 * all import this module. It holds types and constants only: no side effects, no imports but types.
 *
 * Every request returns a Promise of a Result: errors are values at process boundaries, because an
 * Error thrown across IPC arrives as its message only (see STYLE.md rule 11).
 */

// ---------------------------------------------------------------------------------------------
// Results and errors
// ---------------------------------------------------------------------------------------------

export type ErrorCode =
  | 'bad-request' // malformed or invalid arguments (schema validation failed)
  | 'bad-data' // a dataset file or folder is unreadable or malformed
  | 'not-found' // unknown run, preset, export...
  | 'conflict' // e.g. a run is already active, run not finished for export
  | 'unavailable' // a backend or feature not available on this machine
  | 'io' // filesystem problem (unwritable folder...)
  | 'engine' // the engine process failed or restarted
  | 'forbidden' // a path outside what the API may touch (see main/engine/pathPolicy.ts); the hint says how to allow it
  | 'too-large' // a web-mode message over the size limit
  | 'internal';

export interface LabError {
  code: ErrorCode;
  /** One readable sentence for a person: what failed, where (file, op), expected vs got. No stack. */
  message: string;
  /** Optional hint: what the user can do about it. */
  hint?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: LabError };

// ---------------------------------------------------------------------------------------------
// Plain-data tensors (never class instances across a boundary)
// ---------------------------------------------------------------------------------------------

/** A float32 tensor as plain data: row-major values, base64 of the little-endian Float32 bytes. */
export interface WireTensor {
  shape: number[];
  /** base64 of Float32Array bytes (little-endian). */
  b64: string;
}

// ---------------------------------------------------------------------------------------------
// System
// ---------------------------------------------------------------------------------------------

export type BackendName = 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** Why it is not available (e.g. "no WebGPU adapter found", "@tensorflow/tfjs-node not installed"). */
  reason?: string;
}

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
}

export interface SystemInfo {
  backends: BackendStatus[];
  /** The backend the engine is using now (or would pick for `auto`). */
  chosen: BackendName;
  adapter: GpuAdapterInfo | null;
  versions: { app: string; node: string; electron: string | null; tfjs: string; onnxruntime: string | null };
  /** 'electron' | 'web' (browser tab talking to `crate-lab serve`). */
  host: 'electron' | 'web';
  runsRoot: string;
  platform: string;
  cpus: number;
}

// ---------------------------------------------------------------------------------------------
// Presets and data
// ---------------------------------------------------------------------------------------------

export interface PresetInfo {
  name: string;
  description: string;
  imageShape: [number, number, number]; // [C, H, W]
  /** feature size F and pooling of the network a new run of this preset trains (preset + engine defaults) */
  featureDim: number;
  pool: 'cls' | 'mean' | 'flat';
  encoderParams: number;
  decoderParams: number;
}

export interface DataInspectResult {
  spec: string;
  classes: string[];
  /** per class: train and test counts */
  counts: { train: number; test: number }[];
  shape: [number, number, number]; // [C, H, W]
  range: [number, number];
  /** How images were converted (resize, channels, value range). */
  conversion: string;
  /** PNG of a grid of samples, as a data: URL, when asked for. */
  gridPng?: string;
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

export type RunStatus = 'created' | 'running' | 'paused' | 'finished' | 'stopped' | 'failed' | 'interrupted';

export interface StartRunRequest {
  data: string; // dataset spec: builtin:digits | idx:DIR | cifar:DIR | folder:DIR | npy:FILE
  preset: string;
  backend: BackendChoice;
  classesPerTask: number;
  /** seeds initialisation, batches and memory sampling */
  seed: number;
  /** Draws the class order (a seeded permutation of the classes); absent = natural order. `order` wins over it. */
  orderSeed?: number;
  quick: boolean;
  name?: string;
  /** Class order as class indices; default natural order. */
  order?: number[];
  /** Number of tasks to run (default: all). */
  tasks?: number;
  /** Run the whole curriculum unattended (default true). When false the run pauses after each task. */
  autonomous?: boolean;
  /** Folder to watch for new class folders in autonomous mode. */
  watchDir?: string;
  /** Continue from a finished run or an export folder. */
  from?: string;
  /** Epochs of the decoder phase after each task's loop (recipe decoderEpochs; 0 or absent = none): the decoder learns
   *  to draw the task's images, so reconstructions and decoded memory look like the data. Costs time. */
  decoderEpochs?: number;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  data: string;
  preset: string;
  backend: string;
  createdAt: string; // ISO
  updatedAt: string; // ISO
  tasksDone: number;
  tasksTotal: number;
  classesSeen: number;
  lastAccuracy: number | null; // from memory (honest protocol)
  lastAccuracyPaper: number | null;
  /** what the run was asked to do differently from a plain run: `quick`, `seed 3`, `subspaceRank 3`, … (empty for
   *  runs recorded before 2026-11-29) */
  settings?: string[];
  /** the seed of initialisation, batches and memory, and the seed that drew the class order (null: natural order or
   *  an explicit --order) */
  seed?: number;
  orderSeed?: number | null;
  /** the sweep (seed group) this run belongs to, if it was started as one */
  sweep?: string;
  /** every number the run's last task record holds, flattened: `accAllMemory`, `avgIncrementalPaper`,
   *  `baselines.frozenMemory`, … (main/store/groupStats.ts numericFigures); empty before the first task end */
  figures?: Record<string, number>;
}

/** A figure across the runs of a group: mean, sample standard deviation (n − 1; null for one run) and every run's value. */
export interface FigureStats {
  mean: number;
  std: number | null;
  n: number;
  values: { runId: string; seed: number; value: number }[];
}

/**
 * Runs of the same settings (same data, preset and settings apart from the seed), as the run browser and `runs` show
 * them. Figures are aggregated over the group's finished runs only: an unfinished run's numbers describe fewer tasks.
 */
export interface RunGroup {
  /** stable identity of the settings: data | preset | settings without the seed */
  key: string;
  data: string;
  preset: string;
  /** the shared settings, without `seed N` */
  settings: string[];
  /** sweeps (seed groups) started with these settings */
  sweeps: string[];
  /** every run of these settings, newest first, and the finished ones the figures come from */
  runIds: string[];
  finishedIds: string[];
  seeds: number[];
  figures: Record<string, FigureStats>;
}

/** Start the same settings once per seed, one run after another, as one named sweep (group). */
export interface StartSweepRequest {
  /** the settings of every run; its `seed` is ignored */
  run: StartRunRequest;
  seeds: number[];
  /** group id (letters, digits, '.', '_' or '-'); default derived from the settings and seeds, so that starting the
   *  same sweep again continues it */
  group?: string;
}

export type ControlAction = 'pause' | 'resume' | 'stop' | 'step' | 'nextTask' | 'autonomous';

export interface ControlRequest {
  runId: string;
  action: ControlAction;
  /** for 'step': number of iterations */
  steps?: number;
  /** for 'autonomous' */
  enabled?: boolean;
  watchDir?: string;
}

/** One logged training step (a line of metrics.ndjson). */
export interface MetricRecord {
  type: 'step';
  task: number;
  step: number; // global step
  taskStep: number;
  lossEncoder: number; // −T at the encoder step
  lossDecoder: number; // T at the decoder step
  T: number;
  deltaRZ: number;
  deltaRZhat: number;
  pairTerm: number;
  samplesPerSec: number;
  time: number; // seconds since run start
  /** the step's phase; in the 'decoder' phase lossDecoder is the pixel error and T, lossEncoder are 0 (absent before it existed) */
  phase?: TrainPhase;
}

/** What a training step does: the encoder's warm-up, the closed loop, or the decoder phase (recipe decoderEpochs). */
export type TrainPhase = 'warmup' | 'loop' | 'decoder';

/** One task result (a line of knowledge.ndjson with kind 'task'). */
export interface TaskRecord {
  kind: 'task';
  task: number;
  classes: number[]; // class indices learned in this task
  seen: number[]; // all class indices seen so far
  /** accuracy on each seen class, from memory (honest protocol); index aligned with `seen` */
  accMemory: number[];
  /** accuracy on each seen class, paper protocol (refit on training images) */
  accPaper: number[];
  accAllMemory: number;
  accAllPaper: number;
  avgIncrementalMemory: number;
  avgIncrementalPaper: number;
  /** forgetting per seen class: best earlier accuracy minus now (memory protocol) */
  forgetting: number[];
  /** per old class: mean distance between memory mean and current feature mean */
  drift: number[];
  /** per seen class: principal directions holding 90 % of its centred feature energy (runs recorded before
   *  2026-11-29: σ_i ≥ 1 % σ₁ over at most 64 directions) */
  rank: number[];
  codingRate: number[];
  /** principal angles: cosine of the smallest angle between class subspaces, seen × seen */
  subspaceCos: number[][];
  layerCompression: number[];
  layerSparsity: number[];
  memoryBytes: number;
  elapsed: number; // seconds
  /** seconds this task's end took (memory, evaluation, loop fidelity, baselines); absent in runs recorded before */
  evaluationSeconds?: number;
  /** peak resident memory of the engine's process at this task's end, bytes (absent in runs recorded before) */
  peakRssBytes?: number;
  /** resident memory of the engine's process at this task's end (now, not the peak), bytes; absent in older runs */
  rssBytes?: number;
  /** JS heap in use plus ArrayBuffers at this task's end, bytes (collected first when the process exposes gc); absent in older runs */
  heapBytes?: number;
  /** live TF.js tensors at this task's end, before its images are dropped; absent in older runs */
  tensors?: number;
  baselines?: Record<string, number>;
  /** loop fidelity of every seen class (runs recorded before 2026-12-07 have none) */
  loopFidelity?: LoopFidelity;
}

/** Loop fidelity after a task (main/engine/loopFidelity.ts): does what the decoder draws re-encode as its class? */
export interface LoopFidelity {
  /** per seen class, aligned with `seen` (a class with no rows to measure reads 0 and is absent from the overall figure) */
  reconstruction: number[];
  decodedMemory: number[];
  decodedMemoryPixel: number[];
  /** over all measured rows */
  reconstructionAll: number;
  decodedMemoryAll: number;
  decodedMemoryPixelAll: number;
}

/** Other knowledge events (task started, class learned, checkpoint, divergence recovered, watch found). */
export interface KnowledgeEvent {
  kind: 'event';
  event: 'task-start' | 'class-learned' | 'checkpoint' | 'divergence' | 'watch-found' | 'resumed' | 'finished' | 'stopped';
  task: number;
  step: number;
  time: number;
  message: string;
}

export type KnowledgeRecord = TaskRecord | KnowledgeEvent;

export interface RunDetail {
  summary: RunSummary;
  config: Record<string, unknown>;
  classNames: string[];
  metrics: MetricRecord[];
  knowledge: KnowledgeRecord[];
  /** reconstructions of the latest task end, as streamed then (null: none stored) */
  reconstructions: ReconstructionEvent | null;
  /** the feature snapshot of the latest task end, as streamed then (null: none stored) */
  snapshot: SnapshotEvent | null;
}

// ---------------------------------------------------------------------------------------------
// Events streamed from the engine (throttled by the engine host)
// ---------------------------------------------------------------------------------------------

export interface ProgressEvent {
  type: 'progress';
  runId: string;
  status: RunStatus;
  task: number;
  tasksTotal: number;
  step: number;
  taskStep: number;
  taskSteps: number;
  lossEncoder: number;
  lossDecoder: number;
  T: number;
  samplesPerSec: number;
  /** seconds until the run ends: the rest of the curriculum, every task end and the last task's baselines, from each
   *  phase's measured cost per row (main/engine/runner/eta.ts); null before a step was timed */
  etaSec: number | null;
  backend: string;
  adapter: string | null;
  /** the phase of the step this reports (see MetricRecord.phase) */
  phase?: TrainPhase;
}

export interface SnapshotEvent {
  type: 'snapshot';
  runId: string;
  task: number;
  step: number;
  /** class index of each point */
  labels: number[];
  /** (n, d) unit features, class-balanced, n ≤ 5000 */
  features: WireTensor;
  /** per seen class: mean (d) and basis (d, r) as columns, and singular values */
  classes: { cls: number; mean: number[]; basis: WireTensor; sigma: number[] }[];
  classNames: string[];
}

export interface ReconstructionEvent {
  type: 'reconstructions';
  runId: string;
  task: number;
  step: number;
  imageShape: [number, number, number];
  /** per class: x and x̂ = g(f(x)) pairs (new classes), or g(Z_mem) (old classes) */
  rows: { cls: number; kind: 'pair' | 'memory'; x?: WireTensor; xhat: WireTensor }[];
  classNames: string[];
}

export interface TaskResultEvent {
  type: 'task-result';
  runId: string;
  record: TaskRecord;
}

export interface KnowledgeEventMsg {
  type: 'knowledge';
  runId: string;
  record: KnowledgeEvent;
}

export interface LogEvent {
  type: 'log';
  runId: string | null;
  level: 'info' | 'warn' | 'error';
  message: string;
  time: string; // ISO
}

export interface RunStatusEvent {
  type: 'run-status';
  runId: string;
  status: RunStatus;
  message?: string;
}

/**
 * Work between training steps long enough to show: a task end's evaluation, and the last task's baselines (the
 * no-memory re-run of the curriculum takes minutes). `activity: null` says training steps (or the end) follow.
 */
export interface ActivityEvent {
  type: 'activity';
  runId: string;
  activity: 'evaluating' | 'baselines' | null;
  /** what exactly, for a person: "re-running the curriculum without memory: task 3 of 5" */
  detail: string;
  /** 0–1 where the engine can tell, else null */
  fraction: number | null;
  /** seconds until the run ends (as ProgressEvent.etaSec), where the engine can tell */
  etaSec?: number | null;
}

export interface EngineEvent {
  type: 'engine';
  state: 'started' | 'crashed' | 'restarted';
  message: string;
}

export type LabEvent =
  | ProgressEvent
  | SnapshotEvent
  | ReconstructionEvent
  | TaskResultEvent
  | KnowledgeEventMsg
  | LogEvent
  | RunStatusEvent
  | ActivityEvent
  | EngineEvent;

export type LabEventType = LabEvent['type'];

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

export type ExportWhat = 'encoder' | 'decoder' | 'classifier' | 'memory' | 'all';
export type ExportFormat = 'onnx' | 'tfjs';

export interface ExportRequest {
  runId: string;
  what: ExportWhat;
  format: ExportFormat;
  outDir?: string;
}

export interface ExportResult {
  outDir: string;
  files: string[];
  parity: { model: string; maxAbsError: number; labelsEqual: boolean | null; ok: boolean }[];
}

// ---------------------------------------------------------------------------------------------
// The API object: window.crateLab in Electron, the same shape over WebSocket in web mode
// ---------------------------------------------------------------------------------------------

export interface LabApi {
  system(): Promise<Result<SystemInfo>>;
  presets(): Promise<Result<PresetInfo[]>>;
  inspectData(spec: string): Promise<Result<DataInspectResult>>;
  listRuns(): Promise<Result<RunSummary[]>>;
  getRun(runId: string): Promise<Result<RunDetail>>;
  deleteRun(runId: string): Promise<Result<{ deleted: string }>>;
  startRun(req: StartRunRequest): Promise<Result<{ runId: string }>>;
  /** Runs of the same settings grouped, with mean ± std of every figure. */
  listGroups(): Promise<Result<RunGroup[]>>;
  /** Starts (or continues) a sweep; resolves with the group id and the run it is training now. */
  startSweep(req: StartSweepRequest): Promise<Result<{ group: string; runId: string }>>;
  resumeRun(runId: string): Promise<Result<{ runId: string }>>;
  control(req: ControlRequest): Promise<Result<{ runId: string; status: RunStatus }>>;
  exportRun(req: ExportRequest): Promise<Result<ExportResult>>;
  /** Electron only: a native folder/file picker. Web mode returns an 'unavailable' error. */
  pickPath(kind: 'folder' | 'file'): Promise<Result<string | null>>;
  /** Subscribe to engine events. Returns the unsubscribe function. */
  onEvent(listener: (event: LabEvent) => void): () => void;
}

/** The request methods (everything but onEvent), which is what crosses IPC and WebSocket. */
export type LabMethod = Exclude<keyof LabApi, 'onEvent'>;

/** IPC channel names; every one starts with `lab:`. */
export const CHANNELS = Object.freeze({
  system: 'lab:system',
  presets: 'lab:presets',
  inspectData: 'lab:inspectData',
  listRuns: 'lab:listRuns',
  getRun: 'lab:getRun',
  deleteRun: 'lab:deleteRun',
  startRun: 'lab:startRun',
  listGroups: 'lab:listGroups',
  startSweep: 'lab:startSweep',
  resumeRun: 'lab:resumeRun',
  control: 'lab:control',
  exportRun: 'lab:exportRun',
  pickPath: 'lab:pickPath',
  event: 'lab:event',
} as const satisfies Record<LabMethod | 'event', `lab:${string}`>);

export const LAB_METHODS: readonly LabMethod[] = Object.freeze([
  'system',
  'presets',
  'inspectData',
  'listRuns',
  'getRun',
  'deleteRun',
  'startRun',
  'listGroups',
  'startSweep',
  'resumeRun',
  'control',
  'exportRun',
  'pickPath',
]);

// ---------------------------------------------------------------------------------------------
// Web-mode wire protocol (JSON over WebSocket)
// ---------------------------------------------------------------------------------------------

/** Browser → server. `id` pairs a reply with its request. `args` are the method's arguments. */
export interface WsRequest {
  id: number;
  method: LabMethod;
  args: unknown[];
}

/** Server → browser: a reply to a request, or a pushed event. */
export type WsMessage = { kind: 'reply'; id: number; result: Result<unknown> } | { kind: 'event'; event: LabEvent };
