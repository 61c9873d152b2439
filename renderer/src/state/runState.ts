import type {
  ActivityEvent,
  EngineEvent,
  KnowledgeEvent,
  LabEvent,
  LogEvent,
  MetricRecord,
  ProgressEvent,
  ReconstructionEvent,
  RunDetail,
  RunStatus,
  RunSummary,
  SnapshotEvent,
  TaskRecord,
} from '../../../preload/api';

/**
 * The state of the run on screen, and the pure reducer that folds engine events into it.
 *
 * Each section is replaced (never mutated) when it changes, so a component that selects one section
 * re-renders only for that section. Live training metrics arrive as progress events; a saved run's
 * come from getRun(). Both end up in the same columnar series so every chart is built one way.
 */

export const MAX_STEP_POINTS = 4000; // beyond this the step series is thinned 2:1 (charts stay fast)
export const MAX_LOGS = 200;

/** Per-step curves; null = no value at that step (the decoder phase has no T: the curves show a gap there). */
export interface StepSeries {
  step: number[];
  T: (number | null)[];
  lossEncoder: (number | null)[];
  lossDecoder: (number | null)[];
  deltaRZ: (number | null)[];
  deltaRZhat: (number | null)[];
}

export interface ReconView {
  task: number;
  step: number;
  imageShape: [number, number, number];
  /** latest row per class, ordered by class */
  rows: ReconstructionEvent['rows'];
}

export type ViewMode = 'idle' | 'live' | 'readonly';

export interface RunViewState {
  mode: ViewMode;
  runId: string | null;
  status: RunStatus | null;
  summary: RunSummary | null;
  config: Record<string, unknown> | null;
  classNames: string[];
  progress: ProgressEvent | null;
  steps: StepSeries;
  tasks: TaskRecord[];
  events: KnowledgeEvent[];
  snapshot: SnapshotEvent | null;
  recon: ReconView | null;
  logs: LogEvent[];
  engine: EngineEvent | null;
  /** a run-status message worth showing (e.g. why a run failed) */
  statusMessage: string | null;
  /** work between steps (a task end's evaluation, the last task's baselines); null while steps run */
  activity: ActivityEvent | null;
}

export type RunAction =
  | { type: 'event'; event: LabEvent }
  | { type: 'watch'; runId: string | null } // follow a live run (null: follow whatever starts next)
  | { type: 'load'; detail: RunDetail; mode: 'live' | 'readonly' }
  | { type: 'clear-engine' }
  | { type: 'reset' };

export function emptySteps(): StepSeries {
  return { step: [], T: [], lossEncoder: [], lossDecoder: [], deltaRZ: [], deltaRZhat: [] };
}

export function initialRunState(): RunViewState {
  return {
    mode: 'idle',
    runId: null,
    status: null,
    summary: null,
    config: null,
    classNames: [],
    progress: null,
    steps: emptySteps(),
    tasks: [],
    events: [],
    snapshot: null,
    recon: null,
    logs: [],
    engine: null,
    statusMessage: null,
    activity: null,
  };
}

/** Append one point; the arrays are copied so earlier selections stay valid. */
export function appendStep(
  s: StepSeries,
  m: Pick<MetricRecord, 'step' | 'T' | 'lossEncoder' | 'lossDecoder'> & Partial<Pick<MetricRecord, 'deltaRZ' | 'deltaRZhat' | 'phase'>>,
): StepSeries {
  const last = s.step.length ? s.step[s.step.length - 1] : -Infinity;
  if (m.step <= last) return s; // progress events repeat the last step when paused
  const v = curveValues(m);
  let next: StepSeries = {
    step: [...s.step, m.step],
    T: [...s.T, v.T],
    lossEncoder: [...s.lossEncoder, v.lossEncoder],
    lossDecoder: [...s.lossDecoder, v.lossDecoder],
    deltaRZ: [...s.deltaRZ, v.deltaRZ],
    deltaRZhat: [...s.deltaRZhat, v.deltaRZhat],
  };
  if (next.step.length > MAX_STEP_POINTS) next = thin(next);
  return next;
}

/** Keep every other point but always the last, so the curve's end is exact. */
export function thin(s: StepSeries): StepSeries {
  const n = s.step.length;
  const keep = (i: number): boolean => i % 2 === 0 || i === n - 1;
  const pick = <T,>(a: T[]): T[] => a.filter((_, i) => keep(i));
  return {
    step: pick(s.step),
    T: pick(s.T),
    lossEncoder: pick(s.lossEncoder),
    lossDecoder: pick(s.lossDecoder),
    deltaRZ: pick(s.deltaRZ),
    deltaRZhat: pick(s.deltaRZhat),
  };
}

/** The values a step puts on the chart: none for the decoder phase, whose pixel error is not in nats like T. */
function curveValues(
  m: Pick<MetricRecord, 'T' | 'lossEncoder' | 'lossDecoder'> & Partial<Pick<MetricRecord, 'deltaRZ' | 'deltaRZhat' | 'phase'>>,
): { T: number | null; lossEncoder: number | null; lossDecoder: number | null; deltaRZ: number | null; deltaRZhat: number | null } {
  if (m.phase === 'decoder') return { T: null, lossEncoder: null, lossDecoder: null, deltaRZ: null, deltaRZhat: null };
  return { T: m.T, lossEncoder: m.lossEncoder, lossDecoder: m.lossDecoder, deltaRZ: m.deltaRZ ?? null, deltaRZhat: m.deltaRZhat ?? null };
}

export function stepsFromMetrics(metrics: readonly MetricRecord[]): StepSeries {
  const sorted = [...metrics].sort((a, b) => a.step - b.step);
  const v = sorted.map(curveValues);
  let s: StepSeries = {
    step: sorted.map((m) => m.step),
    T: v.map((x) => x.T),
    lossEncoder: v.map((x) => x.lossEncoder),
    lossDecoder: v.map((x) => x.lossDecoder),
    deltaRZ: v.map((x) => x.deltaRZ),
    deltaRZhat: v.map((x) => x.deltaRZhat),
  };
  while (s.step.length > MAX_STEP_POINTS) s = thin(s);
  return s;
}

function upsertTask(tasks: TaskRecord[], rec: TaskRecord): TaskRecord[] {
  const out = tasks.filter((t) => t.task !== rec.task);
  out.push(rec);
  out.sort((a, b) => a.task - b.task);
  return out;
}

function mergeRecon(prev: ReconView | null, e: ReconstructionEvent): ReconView {
  const byClass = new Map<number, ReconstructionEvent['rows'][number]>();
  // rows for classes absent from this event keep their last picture
  if (prev) for (const r of prev.rows) byClass.set(r.cls, r);
  for (const r of e.rows) byClass.set(r.cls, r);
  return {
    task: e.task,
    step: e.step,
    imageShape: e.imageShape,
    rows: [...byClass.values()].sort((a, b) => a.cls - b.cls),
  };
}

function eventRunId(e: LabEvent): string | null {
  return 'runId' in e ? e.runId : null;
}

export function runReducer(state: RunViewState, action: RunAction): RunViewState {
  switch (action.type) {
    case 'reset':
      return { ...initialRunState(), engine: state.engine };
    case 'clear-engine':
      return { ...state, engine: null };
    case 'watch':
      if (action.runId !== null && action.runId === state.runId && state.mode === 'live') return state;
      return { ...initialRunState(), mode: 'live', runId: action.runId, engine: state.engine, logs: state.logs };
    case 'load': {
      const d = action.detail;
      const tasks = d.knowledge.filter((k): k is TaskRecord => k.kind === 'task').sort((a, b) => a.task - b.task);
      const events = d.knowledge.filter((k): k is KnowledgeEvent => k.kind === 'event');
      return {
        ...initialRunState(),
        engine: state.engine,
        mode: action.mode,
        runId: d.summary.id,
        status: d.summary.status,
        summary: d.summary,
        config: d.config,
        classNames: d.classNames,
        steps: stepsFromMetrics(d.metrics),
        tasks,
        events,
        // keep live pictures that arrived while getRun was in flight, otherwise what the run stored at its latest task end
        snapshot: action.mode === 'live' && state.runId === d.summary.id && state.snapshot ? state.snapshot : d.snapshot ?? null,
        recon: action.mode === 'live' && state.runId === d.summary.id && state.recon ? state.recon : d.reconstructions ? mergeRecon(null, d.reconstructions) : null,
        progress: action.mode === 'live' && state.runId === d.summary.id ? state.progress : null,
      };
    }
    case 'event':
      return applyEvent(state, action.event);
  }
}

export function applyEvent(state: RunViewState, e: LabEvent): RunViewState {
  if (e.type === 'engine') return { ...state, engine: e };
  if (e.type === 'log') {
    const runId = e.runId;
    if (runId !== null && state.runId !== null && runId !== state.runId) return state;
    const logs = [...state.logs, e];
    return { ...state, logs: logs.length > MAX_LOGS ? logs.slice(logs.length - MAX_LOGS) : logs };
  }
  const runId = eventRunId(e);
  if (runId === null) return state;
  if (state.mode === 'readonly') return state;
  let s = state;
  if (s.runId === null) {
    // following "whatever runs next": adopt the first run that reports activity
    const active = e.type === 'progress' || (e.type === 'run-status' && (e.status === 'running' || e.status === 'paused'));
    if (!active) return state;
    s = { ...s, mode: 'live', runId };
  }
  if (runId !== s.runId) return state;
  switch (e.type) {
    case 'progress':
      return {
        ...s,
        progress: e,
        status: e.status,
        steps: appendStep(s.steps, e),
        activity: null,
      };
    case 'activity':
      return { ...s, activity: e.activity === null ? null : e };
    case 'run-status':
      return {
        ...s,
        status: e.status,
        statusMessage: e.message ?? (e.status === s.status ? s.statusMessage : null),
        progress: s.progress ? { ...s.progress, status: e.status } : s.progress,
        activity: e.status === 'running' || e.status === 'paused' ? s.activity : null,
      };
    case 'snapshot':
      return { ...s, snapshot: e, classNames: e.classNames.length ? e.classNames : s.classNames };
    case 'reconstructions':
      return { ...s, recon: mergeRecon(s.recon, e), classNames: e.classNames.length ? e.classNames : s.classNames };
    case 'task-result':
      return { ...s, tasks: upsertTask(s.tasks, e.record) };
    case 'knowledge':
      return { ...s, events: [...s.events, e.record] };
  }
  return s;
}

/** Classes seen so far, from whichever source knows most. */
export function seenClasses(s: RunViewState): number[] {
  const set = new Set<number>();
  const lastTask = s.tasks[s.tasks.length - 1];
  if (lastTask) for (const c of lastTask.seen) set.add(c);
  if (s.snapshot) for (const c of s.snapshot.classes) set.add(c.cls);
  return [...set].sort((a, b) => a - b);
}
