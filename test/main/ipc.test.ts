import { describe, expect, it } from 'vitest';
import { CHANNELS, LAB_METHODS, type LabMethod, type Result, type StartRunRequest } from '../../preload/api';
import { handle, registerLabHandlers, type InvokeEventLike, type IpcMainLike, type LabHandlers } from '../../main/shell/ipcHandlers';
import { ARG_SCHEMAS, validateArgs } from '../../main/shared/apiSchemas';

const APP = 'file:///app/out/renderer/index.html';
const trusted = (url: string) => url.startsWith(APP);
const topFrame: InvokeEventLike = { senderFrame: { url: APP, parent: null } };

/** An ipcMain stand-in: records handlers and lets the test invoke them like the renderer would. */
function fakeIpcMain() {
  const handlers = new Map<string, (e: InvokeEventLike, ...a: unknown[]) => Promise<unknown>>();
  const ipc: IpcMainLike = {
    handle: (ch, l) => void handlers.set(ch, l),
    removeHandler: (ch) => void handlers.delete(ch),
  };
  const invoke = (ch: string, event: InvokeEventLike, ...args: unknown[]) => handlers.get(ch)!(event, ...args) as Promise<Result<unknown>>;
  return { ipc, handlers, invoke };
}

function recordingHandlers(calls: { method: LabMethod; args: unknown[] }[]): LabHandlers {
  const h = {} as Record<LabMethod, (...a: unknown[]) => Promise<Result<unknown>>>;
  for (const m of LAB_METHODS) {
    h[m] = async (...args) => {
      calls.push({ method: m, args });
      return { ok: true, value: m };
    };
  }
  return h as unknown as LabHandlers;
}

const goodStart: StartRunRequest = { data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true };

describe('argument schemas', () => {
  it('has a schema for every API method', () => {
    expect(Object.keys(ARG_SCHEMAS).sort()).toEqual([...LAB_METHODS].sort());
  });

  it('accepts well-formed arguments', () => {
    expect(validateArgs('system', []).ok).toBe(true);
    expect(validateArgs('getRun', ['run-2026_01.a']).ok).toBe(true);
    expect(validateArgs('startRun', [goodStart]).ok).toBe(true);
    expect(validateArgs('startRun', [{ ...goodStart, order: [1, 0], tasks: 2, name: 'x', autonomous: false }]).ok).toBe(true);
    expect(validateArgs('startRun', [{ ...goodStart, decoderEpochs: 50 }]).ok).toBe(true);
    expect(validateArgs('control', [{ runId: 'r1', action: 'step', steps: 5 }]).ok).toBe(true);
    expect(validateArgs('exportRun', [{ runId: 'r1', what: 'all', format: 'onnx' }]).ok).toBe(true);
    expect(validateArgs('pickPath', ['folder']).ok).toBe(true);
  });

  // Each row: method, arguments, a fragment the error message must contain.
  const malformed: [string, unknown, string][] = [
    ['system', ['extra'], 'system'],
    ['getRun', [], 'getRun'],
    ['getRun', [42], 'argument 0'],
    ['getRun', ['../etc'], 'run id'],
    ['deleteRun', ['..'], 'run id'],
    ['deleteRun', ['a/b'], 'run id'],
    ['inspectData', [''], 'inspectData'],
    ['inspectData', [{ spec: 'x' }], 'argument 0'],
    ['startRun', [{ ...goodStart, backend: 'cuda' }], 'backend'],
    ['startRun', [{ ...goodStart, seed: 1.5 }], 'seed'],
    ['startRun', [{ ...goodStart, classesPerTask: 0 }], 'classesPerTask'],
    ['startRun', [{ ...goodStart, decoderEpochs: -1 }], 'decoderEpochs'],
    ['startRun', [{ ...goodStart, decoderEpochs: 2.5 }], 'decoderEpochs'],
    ['startRun', [{ ...goodStart, extra: true }], 'startRun'],
    ['startRun', [{ preset: 'tiny' }], 'startRun'],
    ['control', [{ runId: 'r1', action: 'explode' }], 'action'],
    ['exportRun', [{ runId: 'r1', what: 'all', format: 'pickle' }], 'format'],
    ['pickPath', ['anything'], 'pickPath'],
    ['startRun', 'not an array', 'startRun'],
    ['rm -rf', [], 'Unknown method'],
  ];
  it.each(malformed)('rejects %s(%j) with a bad-request naming the problem', (method, args, fragment) => {
    const r = validateArgs(method, args);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-request');
      expect(r.error.message).toContain(fragment);
    }
  });
});

describe('IPC wrapper', () => {
  it('registers one lab: channel per method and forwards validated arguments', async () => {
    const { ipc, handlers, invoke } = fakeIpcMain();
    const calls: { method: LabMethod; args: unknown[] }[] = [];
    registerLabHandlers(ipc, recordingHandlers(calls), trusted);
    expect([...handlers.keys()].sort()).toEqual(LAB_METHODS.map((m) => CHANNELS[m]).sort());
    for (const ch of handlers.keys()) expect(ch.startsWith('lab:')).toBe(true);

    await expect(invoke(CHANNELS.getRun, topFrame, 'r1')).resolves.toEqual({ ok: true, value: 'getRun' });
    expect(calls).toEqual([{ method: 'getRun', args: ['r1'] }]);
  });

  it('refuses a channel without the lab: prefix at registration', () => {
    const { ipc } = fakeIpcMain();
    expect(() => handle(ipc, 'system', 'system', async () => ({ ok: true as const, value: null as never }), trusted)).toThrow(/lab:/);
  });

  it('rejects malformed arguments before the handler runs', async () => {
    const { ipc, invoke } = fakeIpcMain();
    const calls: { method: LabMethod; args: unknown[] }[] = [];
    registerLabHandlers(ipc, recordingHandlers(calls), trusted);
    const r = await invoke(CHANNELS.startRun, topFrame, { data: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad-request');
    expect(calls).toHaveLength(0);
  });

  it('rejects foreign senders: other URLs, sub-frames, destroyed frames', async () => {
    const { ipc, invoke } = fakeIpcMain();
    const calls: { method: LabMethod; args: unknown[] }[] = [];
    registerLabHandlers(ipc, recordingHandlers(calls), trusted);
    const foreign: InvokeEventLike[] = [
      { senderFrame: { url: 'https://evil.example/', parent: null } },
      { senderFrame: { url: APP, parent: { url: APP } } },
      { senderFrame: null },
    ];
    for (const ev of foreign) {
      const r = await invoke(CHANNELS.listRuns, ev);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/refused/);
    }
    expect(calls).toHaveLength(0);
  });

  it('turns a throwing handler into an internal error value', async () => {
    const { ipc, invoke } = fakeIpcMain();
    handle(ipc, CHANNELS.system, 'system', async () => {
      throw new Error('disk on fire');
    }, trusted);
    const r = await invoke(CHANNELS.system, topFrame);
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'system failed: disk on fire' } });
  });

  it('removes every handler on dispose', () => {
    const { ipc, handlers } = fakeIpcMain();
    const dispose = registerLabHandlers(ipc, recordingHandlers([]), trusted);
    dispose();
    expect(handlers.size).toBe(0);
  });
});
