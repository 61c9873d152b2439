import { describe, expect, it } from 'vitest';
import type { LabEvent, ProgressEvent, RunDetail, TaskRecord } from '../../preload/api';
import { MAX_STEP_POINTS, appendStep, emptySteps, initialRunState, runReducer, seenClasses, stepsFromMetrics, type RunAction, type RunViewState } from '../../renderer/src/state/runState';
import { createStore } from '../../renderer/src/state/store';

const progress = (runId: string, step: number, T = step / 10): ProgressEvent => ({
  type: 'progress',
  runId,
  status: 'running',
  task: 0,
  tasksTotal: 5,
  step,
  taskStep: step,
  taskSteps: 100,
  lossEncoder: -T,
  lossDecoder: T,
  T,
  samplesPerSec: 100,
  etaSec: 10,
  backend: 'cpu',
  adapter: null,
});

const task = (t: number, seen: number[], acc: number[]): TaskRecord => ({
  kind: 'task',
  task: t,
  classes: seen.slice(-2),
  seen,
  accMemory: acc,
  accPaper: acc,
  accAllMemory: acc.reduce((a, b) => a + b, 0) / acc.length,
  accAllPaper: 0,
  avgIncrementalMemory: 0,
  avgIncrementalPaper: 0,
  forgetting: acc.map(() => 0),
  drift: [],
  rank: [],
  codingRate: [],
  subspaceCos: [],
  layerCompression: [],
  layerSparsity: [],
  memoryBytes: 0,
  elapsed: 0,
});

const fold = (s: RunViewState, events: LabEvent[]): RunViewState => events.reduce((st, e) => runReducer(st, { type: 'event', event: e }), s);

describe('run state reducer', () => {
  it('follows the first run that reports activity when watching "whatever starts next"', () => {
    let s = runReducer(initialRunState(), { type: 'watch', runId: null });
    s = fold(s, [{ type: 'knowledge', runId: 'a', record: { kind: 'event', event: 'task-start', task: 0, step: 0, time: 0, message: 'x' } }]);
    expect(s.runId).toBeNull(); // a knowledge line alone does not say a run is active
    s = fold(s, [progress('a', 1), progress('b', 5)]);
    expect(s.runId).toBe('a');
    expect(s.steps.step).toEqual([1]); // run b is ignored
    expect(s.progress?.step).toBe(1);
  });

  it('shows an activity between steps until steps or the end come back', () => {
    let s = runReducer(initialRunState(), { type: 'watch', runId: 'a' });
    const act = (activity: 'evaluating' | 'baselines' | null, fraction: number | null = null): LabEvent => ({ type: 'activity', runId: 'a', activity, detail: 'x', fraction });
    s = fold(s, [progress('a', 1), act('evaluating')]);
    expect(s.activity?.activity).toBe('evaluating');
    s = fold(s, [progress('a', 2)]); // the next task's steps
    expect(s.activity).toBeNull();
    s = fold(s, [act('baselines', 0.4), { type: 'run-status', runId: 'a', status: 'paused' }]);
    expect(s.activity).toMatchObject({ activity: 'baselines', fraction: 0.4 }); // paused inside the baselines: still there
    s = fold(s, [act('evaluating'), { type: 'activity', runId: 'b', activity: null, detail: '', fraction: null }]);
    expect(s.activity?.activity).toBe('evaluating'); // another run's event changes nothing
    s = fold(s, [act(null)]);
    expect(s.activity).toBeNull();
    s = fold(s, [act('baselines', 0.9), { type: 'run-status', runId: 'a', status: 'finished' }]);
    expect(s.activity).toBeNull();
  });

  it('ignores repeated or older steps (progress while paused)', () => {
    let s = runReducer(initialRunState(), { type: 'watch', runId: 'a' });
    s = fold(s, [progress('a', 1), progress('a', 2), progress('a', 2), progress('a', 1)]);
    expect(s.steps.step).toEqual([1, 2]);
  });

  it('keeps sections whose inputs did not change referentially equal', () => {
    let s = runReducer(initialRunState(), { type: 'watch', runId: 'a' });
    s = fold(s, [progress('a', 1)]);
    const tasks = s.tasks;
    const s2 = fold(s, [progress('a', 2)]);
    expect(s2.tasks).toBe(tasks);
    expect(s2.steps).not.toBe(s.steps);
  });

  it('replaces a task record with the same index and keeps tasks ordered', () => {
    let s = runReducer(initialRunState(), { type: 'watch', runId: 'a' });
    s = fold(s, [
      { type: 'task-result', runId: 'a', record: task(1, [0, 1, 2, 3], [0.9, 0.9, 0.9, 0.9]) },
      { type: 'task-result', runId: 'a', record: task(0, [0, 1], [0.8, 0.8]) },
      { type: 'task-result', runId: 'a', record: task(1, [0, 1, 2, 3], [0.5, 0.5, 0.5, 0.5]) },
    ]);
    expect(s.tasks.map((t) => t.task)).toEqual([0, 1]);
    expect(s.tasks[1].accMemory[0]).toBe(0.5);
    expect(seenClasses(s)).toEqual([0, 1, 2, 3]);
  });

  it('merges reconstruction rows per class, newest wins', () => {
    let s = runReducer(initialRunState(), { type: 'watch', runId: 'a' });
    const row = (cls: number, b64: string) => ({ cls, kind: 'memory' as const, xhat: { shape: [1, 1, 1, 1], b64 } });
    s = fold(s, [
      { type: 'reconstructions', runId: 'a', task: 0, step: 5, imageShape: [1, 1, 1], rows: [row(1, 'A'), row(0, 'B')], classNames: ['z', 'o'] },
      { type: 'reconstructions', runId: 'a', task: 1, step: 9, imageShape: [1, 1, 1], rows: [row(1, 'C')], classNames: [] },
    ]);
    expect(s.recon?.rows.map((r) => [r.cls, r.xhat.b64])).toEqual([
      [0, 'B'],
      [1, 'C'],
    ]);
    expect(s.recon?.step).toBe(9);
    expect(s.classNames).toEqual(['z', 'o']); // an empty list does not wipe known names
  });

  it('a read-only run ignores live events, but engine events always show', () => {
    const detail: RunDetail = {
      summary: { id: 'old', name: 'old', status: 'finished', data: 'builtin:digits', preset: 'tiny', backend: 'cpu', createdAt: '', updatedAt: '', tasksDone: 1, tasksTotal: 1, classesSeen: 2, lastAccuracy: 0.9, lastAccuracyPaper: 0.9 },
      config: {},
      classNames: ['0', '1'],
      metrics: [
        { type: 'step', task: 0, step: 2, taskStep: 2, lossEncoder: -2, lossDecoder: 2, T: 2, deltaRZ: 1, deltaRZhat: 1, pairTerm: 0, samplesPerSec: 1, time: 1 },
        { type: 'step', task: 0, step: 1, taskStep: 1, lossEncoder: -1, lossDecoder: 1, T: 1, deltaRZ: 1, deltaRZhat: 1, pairTerm: 0, samplesPerSec: 1, time: 0 },
      ],
      knowledge: [task(0, [0, 1], [0.9, 0.8]), { kind: 'event', event: 'finished', task: 0, step: 2, time: 1, message: 'done' }],
      reconstructions: {
        type: 'reconstructions', runId: 'old', task: 0, step: 2, imageShape: [1, 2, 2], classNames: ['0', '1'],
        rows: [1, 0].map((cls) => ({ cls, kind: 'pair' as const, x: { shape: [1, 1, 2, 2], b64: '' }, xhat: { shape: [1, 1, 2, 2], b64: '' } })),
      },
      snapshot: { type: 'snapshot', runId: 'old', task: 0, step: 2, labels: [0, 1], features: { shape: [2, 2], b64: 'AAAAAAAAgD8AAIA/AAAAAA==' }, classes: [], classNames: ['0', '1'] },
    };
    let s = runReducer(initialRunState(), { type: 'load', detail, mode: 'readonly' });
    expect(s.recon?.rows.map((r) => r.cls)).toEqual([0, 1]); // the stored pictures, ordered by class
    expect(s.recon?.step).toBe(2);
    expect(runReducer(initialRunState(), { type: 'load', detail: { ...detail, reconstructions: null }, mode: 'readonly' }).recon).toBeNull();
    expect(s.snapshot?.labels).toEqual([0, 1]); // and its stored features, for the 3D view
    expect(runReducer(initialRunState(), { type: 'load', detail: { ...detail, snapshot: null }, mode: 'readonly' }).snapshot).toBeNull();
    expect(s.steps.step).toEqual([1, 2]); // sorted by step
    expect(s.tasks).toHaveLength(1);
    expect(s.events).toHaveLength(1);
    s = fold(s, [progress('old', 3), progress('other', 1), { type: 'engine', state: 'crashed', message: 'boom' }]);
    expect(s.steps.step).toEqual([1, 2]);
    expect(s.engine?.state).toBe('crashed');
    expect(s.mode).toBe('readonly');
  });

  it('leaves a gap in the curves for decoder-phase steps (their pixel error is not in nats)', () => {
    let st = emptySteps();
    st = appendStep(st, { step: 1, T: 5, lossEncoder: -5, lossDecoder: 5, phase: 'loop' });
    st = appendStep(st, { step: 2, T: 0, lossEncoder: 0, lossDecoder: 0.04, phase: 'decoder' });
    st = appendStep(st, { step: 3, T: 6, lossEncoder: -6, lossDecoder: 6 }); // runs recorded before phases: plotted
    expect(st.T).toEqual([5, null, 6]);
    expect(st.lossDecoder).toEqual([5, null, 6]);
    const rec = (step: number, phase?: 'loop' | 'decoder') => ({ type: 'step' as const, task: 0, step, taskStep: step, lossEncoder: -1, lossDecoder: 1, T: 1, deltaRZ: 2, deltaRZhat: 3, pairTerm: 0, samplesPerSec: 0, time: 0, phase });
    const fromFile = stepsFromMetrics([rec(2, 'decoder'), rec(1, 'loop'), rec(3)]);
    expect(fromFile.T).toEqual([1, null, 1]);
    expect(fromFile.deltaRZ).toEqual([2, null, 2]);
  });

  it('thins long step series 2:1 but keeps the last point', () => {
    let st = emptySteps();
    for (let i = 1; i <= MAX_STEP_POINTS + 1; i++) st = appendStep(st, { step: i, T: i, lossEncoder: -i, lossDecoder: i });
    expect(st.step.length).toBeLessThanOrEqual(MAX_STEP_POINTS / 2 + 2);
    expect(st.step[st.step.length - 1]).toBe(MAX_STEP_POINTS + 1);
    expect(st.T[st.T.length - 1]).toBe(MAX_STEP_POINTS + 1);
    const big = stepsFromMetrics(
      Array.from({ length: 3 * MAX_STEP_POINTS }, (_, i) => ({ type: 'step' as const, task: 0, step: i, taskStep: i, lossEncoder: 0, lossDecoder: 0, T: 0, deltaRZ: 0, deltaRZhat: 0, pairTerm: 0, samplesPerSec: 0, time: 0 })),
    );
    expect(big.step.length).toBeLessThanOrEqual(MAX_STEP_POINTS);
  });
});

describe('store', () => {
  it('coalesces notifications until the scheduler runs, and skips no-op actions', () => {
    const queue: (() => void)[] = [];
    const store = createStore<RunViewState, RunAction>(runReducer, initialRunState(), (cb) => queue.push(cb));
    let calls = 0;
    store.subscribe(() => calls++);
    store.dispatch({ type: 'watch', runId: 'a' });
    store.dispatch({ type: 'event', event: progress('a', 1) });
    store.dispatch({ type: 'event', event: progress('a', 2) });
    expect(store.getState().steps.step).toEqual([1, 2]); // state is current at once
    expect(calls).toBe(0);
    queue.forEach((f) => f());
    expect(calls).toBe(1);
    store.dispatch({ type: 'event', event: progress('zzz', 9) }); // ignored → same state → no notify
    expect(queue).toHaveLength(1);
  });
});
