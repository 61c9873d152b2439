import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent, LabEvent, LabMethod, ProgressEvent } from '../../preload/api';
import { EngineHost, EventThrottle, forkLauncher } from '../../main/engine/host';

const FAKE_ENGINE = fileURLToPath(new URL('./fixtures/fakeEngine.ts', import.meta.url));
const runsRoot = mkdtempSync(join(tmpdir(), 'crate-host-'));
afterAll(() => rmSync(runsRoot, { recursive: true, force: true }));

const hosts: EngineHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});
function makeHost(opts: Partial<ConstructorParameters<typeof EngineHost>[0]> = {}): EngineHost {
  const h = new EngineHost({ runsRoot, backend: 'cpu', host: 'cli', restartDelayMs: 50, ...opts });
  hosts.push(h);
  return h;
}

function waitForEvent(events: LabEvent[], pred: (e: LabEvent) => boolean, ms = 60_000): Promise<LabEvent> {
  return vi.waitFor(
    () => {
      const e = events.find(pred);
      if (!e) throw new Error('not yet');
      return e;
    },
    { timeout: ms, interval: 20 },
  );
}

const isEngine = (state: EngineEvent['state']) => (e: LabEvent) => e.type === 'engine' && e.state === state;

describe('EngineHost with the real engine entry', () => {
  it('round-trips a request through the engine process, which is not this process', async () => {
    const host = makeHost();
    await host.start();
    const pid = await host.ping();
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    expect(host.pid).toBe(pid);

    // system() goes through createLabService; whatever it answers must be a Result, not an engine failure.
    const r = await host.request('system', []);
    expect(typeof r.ok).toBe('boolean');
    if (!r.ok) expect(r.error.code).not.toBe('engine');

    const bad = await host.request('rm -rf' as LabMethod, []);
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('survives kill -9: reports crashed and restarted, and the next request works', async () => {
    const host = makeHost();
    const events: LabEvent[] = [];
    host.onEvent((e) => events.push(e));
    await host.start();
    await waitForEvent(events, isEngine('started'));
    const before = await host.ping();

    process.kill(before, 'SIGKILL');
    const crashed = await waitForEvent(events, isEngine('crashed'));
    expect((crashed as EngineEvent).message).toMatch(/SIGKILL/);
    await waitForEvent(events, isEngine('restarted'));

    const after = await host.ping();
    expect(after).not.toBe(before);
    const r = await host.request('system', []);
    if (!r.ok) expect(r.error.code).not.toBe('engine');
  });
});

describe('EngineHost with a controllable engine', () => {
  it('answers an in-flight request with a typed engine error when the engine dies, then recovers', async () => {
    const host = makeHost({ launcher: forkLauncher(FAKE_ENGINE) });
    const events: LabEvent[] = [];
    host.onEvent((e) => events.push(e));
    await host.start();
    const pid = await host.ping();

    const inFlight = host.request('listRuns', []); // the fake engine never answers this one
    await new Promise((r) => setTimeout(r, 100));
    process.kill(pid, 'SIGKILL');
    const r = await inFlight;
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('engine');
      expect(r.error.message).toMatch(/stopped/);
    }
    await waitForEvent(events, isEngine('restarted'));
    await expect(host.request('system', ['x'])).resolves.toEqual({ ok: true, value: { fake: true, args: ['x'] } });
    expect(events.some((e) => e.type === 'log' && e.message === 'system asked')).toBe(true);
  });

  it('queues a request made while the engine restarts instead of failing it', async () => {
    const host = makeHost({ launcher: forkLauncher(FAKE_ENGINE), restartDelayMs: 300 });
    const events: LabEvent[] = [];
    host.onEvent((e) => events.push(e));
    await host.start();
    process.kill(await host.ping(), 'SIGKILL');
    await waitForEvent(events, isEngine('crashed'));
    const r = await host.request('system', []);
    expect(r.ok).toBe(true);
  });

  it('answers a request waiting for a restart when the host closes meanwhile', async () => {
    const host = makeHost({ launcher: forkLauncher(FAKE_ENGINE), restartDelayMs: 5_000 });
    const events: LabEvent[] = [];
    host.onEvent((e) => events.push(e));
    await host.start();
    process.kill(await host.ping(), 'SIGKILL');
    await waitForEvent(events, isEngine('crashed'));
    const waiting = host.request('system', []);
    await host.close();
    await expect(waiting).resolves.toMatchObject({ ok: false, error: { code: 'engine' } });
  });

  it('does not restart an engine that refused to start, and says why', async () => {
    const host = makeHost({ runsRoot: 'FATAL', launcher: forkLauncher(FAKE_ENGINE) });
    const events: LabEvent[] = [];
    host.onEvent((e) => events.push(e));
    await expect(host.start()).rejects.toThrow(/webgpu/);
    const r = await host.request('system', []);
    expect(r).toMatchObject({ ok: false, error: { code: 'engine' } });
    if (!r.ok) expect(r.error.message).toMatch(/no WebGPU adapter/);
    await waitForEvent(events, isEngine('crashed'));
    await new Promise((res) => setTimeout(res, 300));
    expect(events.filter(isEngine('restarted'))).toHaveLength(0);
    expect(host.pid).toBeUndefined();
  });
});

describe('EventThrottle', () => {
  const progress = (step: number): ProgressEvent => ({
    type: 'progress', runId: 'r', status: 'running', task: 0, tasksTotal: 1, step, taskStep: step, taskSteps: 100,
    lossEncoder: 0, lossDecoder: 0, T: 0, samplesPerSec: 0, etaSec: null, backend: 'cpu', adapter: null,
  });

  it('lets at most one progress event per 100 ms through and keeps the latest', () => {
    vi.useFakeTimers();
    try {
      const out: LabEvent[] = [];
      const t = new EventThrottle((e) => out.push(e), { progress: 100 }, () => Date.now());
      for (let i = 0; i < 50; i++) t.push(progress(i)); // a burst within one millisecond
      expect(out.map((e) => (e as ProgressEvent).step)).toEqual([0]);
      vi.advanceTimersByTime(100);
      expect(out.map((e) => (e as ProgressEvent).step)).toEqual([0, 49]);
      for (let i = 50; i < 1000; i++) {
        t.push(progress(i));
        vi.advanceTimersByTime(1); // 950 events over 950 ms
      }
      vi.advanceTimersByTime(200);
      const steps = out.map((e) => (e as ProgressEvent).step);
      expect(steps.length).toBeLessThanOrEqual(2 + 11);
      expect(steps.at(-1)).toBe(999); // the newest state is never lost
      t.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('uses the per-type budgets and passes other events straight through', () => {
    vi.useFakeTimers();
    try {
      const out: LabEvent[] = [];
      const t = new EventThrottle((e) => out.push(e), undefined, () => Date.now());
      const snap = { type: 'snapshot', runId: 'r', task: 0, step: 0, labels: [], features: { shape: [0, 0], b64: '' }, classes: [], classNames: [] } as LabEvent;
      const log = (m: string): LabEvent => ({ type: 'log', runId: null, level: 'info', message: m, time: '' });
      t.push(snap);
      t.push(snap);
      t.push(log('a'));
      t.push(log('b'));
      expect(out.map((e) => e.type)).toEqual(['snapshot', 'log', 'log']);
      vi.advanceTimersByTime(1999);
      expect(out).toHaveLength(3);
      vi.advanceTimersByTime(1);
      expect(out.map((e) => e.type)).toEqual(['snapshot', 'log', 'log', 'snapshot']);
      t.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('flushes a waiting progress event before a run-status change', () => {
    const out: LabEvent[] = [];
    let now = 0;
    const t = new EventThrottle((e) => out.push(e), { progress: 100 }, () => now);
    t.push(progress(1));
    t.push(progress(2));
    t.push({ type: 'run-status', runId: 'r', status: 'finished' });
    expect(out.map((e) => (e.type === 'progress' ? e.step : e.type))).toEqual([1, 2, 'run-status']);
    t.dispose();
  });

  it('flushes a waiting progress event before an activity (a later progress would end the activity in the window)', () => {
    const out: LabEvent[] = [];
    const t = new EventThrottle((e) => out.push(e), { progress: 100 }, () => 0);
    t.push(progress(1));
    t.push(progress(2));
    t.push({ type: 'activity', runId: 'r', activity: 'evaluating', detail: 'task 1', fraction: null });
    expect(out.map((e) => (e.type === 'progress' ? e.step : e.type))).toEqual([1, 2, 'activity']);
    t.dispose();
  });
});
