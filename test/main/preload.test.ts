import { describe, expect, it, vi } from 'vitest';
import { CHANNELS, LAB_METHODS, type LabApi, type LabEvent } from '../../preload/api';

// Stand-in for the renderer side of 'electron': records what the preload exposes and invokes.
const fake = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invokes: [] as unknown[][],
  listeners: new Map<string, Set<(...a: unknown[]) => void>>(),
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void fake.exposed.set(key, api) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      fake.invokes.push(args);
      return { ok: true, value: args[0] };
    },
    on: (ch: string, l: (...a: unknown[]) => void) => {
      if (!fake.listeners.has(ch)) fake.listeners.set(ch, new Set());
      fake.listeners.get(ch)!.add(l);
    },
    removeListener: (ch: string, l: (...a: unknown[]) => void) => void fake.listeners.get(ch)?.delete(l),
  },
}));

await import('../../preload/index');
const api = fake.exposed.get('crateLab') as LabApi;

describe('preload bridge', () => {
  it('exposes exactly one object, window.crateLab, with every API method and nothing else', () => {
    expect([...fake.exposed.keys()]).toEqual(['crateLab']);
    expect(Object.keys(api).sort()).toEqual([...LAB_METHODS, 'onEvent'].sort());
  });

  it('sends each method on its own lab: channel with its arguments', async () => {
    await api.getRun('r1');
    await api.control({ runId: 'r1', action: 'pause' });
    await api.system();
    expect(fake.invokes).toEqual([
      [CHANNELS.getRun, 'r1'],
      [CHANNELS.control, { runId: 'r1', action: 'pause' }],
      [CHANNELS.system],
    ]);
  });

  it('delivers events without the IPC event object, and unsubscribes', () => {
    const got: LabEvent[] = [];
    const off = api.onEvent((e) => got.push(e));
    const e: LabEvent = { type: 'engine', state: 'restarted', message: 'm' };
    const emit = () => fake.listeners.get(CHANNELS.event)!.forEach((l) => l({ sender: 'secret' }, e));
    emit();
    expect(got).toEqual([e]);
    off();
    emit();
    expect(got).toHaveLength(1);
    expect(fake.listeners.get(CHANNELS.event)!.size).toBe(0);
  });
});
