import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent } from '../../preload/api';
import { MemoryHost } from './fakes/memoryHost';
import { initialRunState, runReducer, type RunAction, type RunViewState } from '../../renderer/src/state/runState';
import { createStore } from '../../renderer/src/state/store';

describe('MemoryHost driving the run store', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const setup = () => {
    const host = new MemoryHost({ tickMs: 10, stepsPerTick: 5, taskSteps: 50, snapshotEvery: 25, snapshotPoints: 60, numClasses: 4 });
    const store = createStore<RunViewState, RunAction>(runReducer, initialRunState(), (cb) => cb());
    const seen: LabEvent['type'][] = [];
    host.onEvent((e) => {
      seen.push(e.type);
      store.dispatch({ type: 'event', event: e });
    });
    return { host, store, seen };
  };

  it('a run streams progress, snapshots, reconstructions and task results to the end', async () => {
    const { host, store, seen } = setup();
    store.dispatch({ type: 'watch', runId: null });
    const r = await host.startRun({ data: 'builtin:digits', preset: 'tiny', backend: 'auto', classesPerTask: 2, seed: 1, quick: true });
    expect(r.ok).toBe(true);
    await vi.advanceTimersByTimeAsync(300); // 2 tasks × 50 steps at 5 steps per 10 ms
    const s = store.getState();
    expect(s.runId).toBe(r.ok ? r.value.runId : '');
    expect(s.tasks).toHaveLength(2);
    expect(s.status).toBe('finished');
    expect(s.snapshot?.labels.length).toBe(60);
    expect(s.recon?.rows.length).toBe(4);
    expect(s.events.some((e) => e.event === 'finished')).toBe(true);
    expect(seen).toContain('progress');
    const list = await host.listRuns();
    expect(list.ok && list.value[0].status).toBe('finished');
    host.dispose();
  });

  it('pause stops progress, step advances exactly n steps, resume continues', async () => {
    const { host, store } = setup();
    const r = await host.startRun({ data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true });
    if (!r.ok) throw new Error('start failed');
    const id = r.value.runId;
    await vi.advanceTimersByTimeAsync(20);
    expect((await host.control({ runId: id, action: 'pause' })).ok).toBe(true);
    const at = store.getState().progress!.step;
    await vi.advanceTimersByTimeAsync(100);
    expect(store.getState().progress!.step).toBe(at);
    expect(store.getState().status).toBe('paused');
    await host.control({ runId: id, action: 'step', steps: 3 });
    expect(store.getState().progress!.step).toBe(at + 3);
    await host.control({ runId: id, action: 'resume' });
    await vi.advanceTimersByTimeAsync(20);
    expect(store.getState().progress!.step).toBeGreaterThan(at + 3);
    host.dispose();
  });

  it('answers bad requests with readable errors, never throws', async () => {
    const { host } = setup();
    const bad = await host.startRun({ data: 'nonsense', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error.code).toBe('bad-data');
    const cpt = await host.startRun({ data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 9, seed: 1, quick: true });
    expect(!cpt.ok && cpt.error.message).toContain('classesPerTask must be an integer in 1..4, got 9');
    const first = await host.startRun({ data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true });
    expect(first.ok).toBe(true);
    const second = await host.startRun({ data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true });
    expect(!second.ok && second.error.code).toBe('conflict');
    const del = await host.deleteRun(first.ok ? first.value.runId : '');
    expect(!del.ok && del.error.code).toBe('conflict');
    expect((await host.getRun('nope')).ok).toBe(false);
    host.dispose();
  });
});
