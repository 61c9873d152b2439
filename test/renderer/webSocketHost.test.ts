import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LabEvent, WsMessage, WsRequest } from '../../preload/api';
import { WebSocketHost, webSocketUrl } from '../../renderer/src/host/webSocketHost';

/** Just enough of a browser WebSocket for the host: the test plays the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: WsRequest[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as WsRequest);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  push(msg: WsMessage | string): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
}

const make = () => new WebSocketHost('ws://h/ws?token=t', (u) => new FakeSocket(u) as unknown as WebSocket);

describe('WebSocketHost', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('builds the socket URL from the page URL, keeping the token', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:4000', search: '?token=a%2Bb' })).toBe('ws://127.0.0.1:4000/ws?token=a%2Bb');
    expect(webSocketUrl({ protocol: 'https:', host: 'lab', search: '' })).toBe('wss://lab/ws?token=');
  });

  it('waits for the socket, pairs replies with requests by id, and forwards events', async () => {
    const host = make();
    const sock = FakeSocket.all[0];
    const events: LabEvent[] = [];
    host.onEvent((e) => events.push(e));
    const a = host.listRuns();
    const b = host.getRun('r1');
    await vi.advanceTimersByTimeAsync(0);
    expect(sock.sent).toHaveLength(0); // not open yet
    sock.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(sock.sent.map((r) => [r.method, r.args])).toEqual([
      ['listRuns', []],
      ['getRun', ['r1']],
    ]);
    // answer out of order
    sock.push({ kind: 'reply', id: sock.sent[1].id, result: { ok: false, error: { code: 'not-found', message: 'no r1' } } });
    sock.push({ kind: 'reply', id: sock.sent[0].id, result: { ok: true, value: [] } });
    sock.push({ kind: 'event', event: { type: 'engine', state: 'restarted', message: 'x' } });
    sock.push('not json');
    await expect(a).resolves.toEqual({ ok: true, value: [] });
    await expect(b).resolves.toEqual({ ok: false, error: { code: 'not-found', message: 'no r1' } });
    expect(events.map((e) => e.type)).toEqual(['engine']);
    host.close();
  });

  it('answers in-flight requests with a readable error when the socket drops, then reconnects', async () => {
    const host = make();
    const states: string[] = [];
    host.onConnection((s) => states.push(s));
    FakeSocket.all[0].open();
    const p = host.system();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].close();
    const r = await p;
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('engine');
    expect(!r.ok && r.error.message).toContain('closed before it answered');
    expect(states).toEqual(['connecting', 'open', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(600);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].open();
    expect(host.connectionState()).toBe('open');
    host.close();
  });

  it('gives up on a request when no connection comes within the wait limit', async () => {
    const host = make();
    const p = host.presets();
    await vi.advanceTimersByTimeAsync(16_000);
    const r = await p;
    expect(!r.ok && r.error.message).toBe('The lab server cannot be reached.');
    expect(!r.ok && r.error.hint).toContain('npm run lab -- serve');
    host.close();
  });

  it('pickPath is unavailable in a browser and says what to do instead', async () => {
    const host = make();
    const r = await host.pickPath('folder');
    expect(!r.ok && r.error.code).toBe('unavailable');
    expect(!r.ok && r.error.hint).toContain('Type the dataset path');
    host.close();
  });
});
