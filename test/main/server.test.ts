import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent, LabMethod, Result, WsMessage } from '../../preload/api';
import { startServer, type LabBackend, type LabServer } from '../../main/server/server';
import { resolveStaticPath } from '../../main/shared/rendererFiles';
import { allowedOrigins, interfaceAddresses } from '../../main/server/auth';

/** A backend that records calls and can push events, standing in for the engine host. */
function fakeBackend() {
  const calls: { method: LabMethod; args: unknown[] }[] = [];
  const listeners = new Set<(e: LabEvent) => void>();
  const backend: LabBackend = {
    request: async (method, args) => {
      calls.push({ method, args });
      return { ok: true, value: { method } };
    },
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { backend, calls, emit: (e: LabEvent) => listeners.forEach((l) => l(e)) };
}

const dir = mkdtempSync(join(tmpdir(), 'crate-server-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>CRATE Lab</title><p>lab page</p>');
writeFileSync(join(dir, 'app.js'), 'console.log(1)');
const fake = fakeBackend();
let server: LabServer;

beforeAll(async () => {
  server = await startServer({ backend: fake.backend, rendererDir: dir, port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function connect(opts: { token?: string | null; origin?: string; headers?: Record<string, string> } = {}) {
  const token = opts.token === undefined ? server.token : opts.token;
  const url = `ws://127.0.0.1:${server.port}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
  return new WebSocket(url, { origin: opts.origin ?? server.origin, headers: opts.headers });
}

/** Resolves with the HTTP status the upgrade was refused with, or 101 if it opened. */
function upgradeStatus(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

function open(ws: WebSocket): Promise<void> {
  return new Promise((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
}

function nextMessage(ws: WebSocket): Promise<WsMessage> {
  return new Promise((res) => ws.once('message', (d) => res(JSON.parse(d.toString()) as WsMessage)));
}

describe('web mode HTTP', () => {
  it('refuses requests without a token (401) and with a wrong one (403)', async () => {
    const none = await fetch(`${server.origin}/`);
    expect(none.status).toBe(401);
    expect(await none.text()).not.toContain('lab page');
    const wrong = await fetch(`${server.origin}/?token=nope`);
    expect(wrong.status).toBe(403);
    const wrongCookie = await fetch(`${server.origin}/app.js`, { headers: { cookie: `crate_lab_token_${server.port}=nope` } });
    expect(wrongCookie.status).toBe(403);
  });

  it('serves the page with the token, sets a strict cookie, and accepts the cookie afterwards', async () => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('lab page');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^crate_lab_token_${server.port}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const asset = await fetch(`${server.origin}/app.js`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const header = await fetch(`${server.origin}/app.js`, { headers: { 'x-crate-lab-token': server.token } });
    expect(header.status).toBe(200);
  });

  it('never serves files outside the renderer folder', async () => {
    const res = await fetch(`${server.origin}/..%2f..%2fetc%2fpasswd?token=${server.token}`);
    expect(res.status).toBe(404);
    expect(resolveStaticPath('/srv/r', '/../../etc/passwd')).toBe('/srv/r/etc/passwd');
    expect(resolveStaticPath('/srv/r', '/%2e%2e/secret')).toBe('/srv/r/secret');
    expect(resolveStaticPath('/srv/r', '/a%00b')).toBeNull();
  });

  it('only binds to loopback by default', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(allowedOrigins('127.0.0.1', 80)).toContain('http://localhost:80');
    expect(allowedOrigins('192.168.1.5', 80)).toEqual(new Set(['http://192.168.1.5:80']));
    const wildcard = allowedOrigins('0.0.0.0', 80);
    for (const a of interfaceAddresses().filter((x) => !x.includes(':'))) expect(wildcard).toContain(`http://${a}:80`);
    expect(wildcard).not.toContain('http://evil.example:80');
  });
});

describe('web mode WebSocket', () => {
  it('refuses other origins, a missing token and a wrong token', async () => {
    expect(await upgradeStatus(connect({ origin: 'https://evil.example' }))).toBe(403);
    expect(await upgradeStatus(connect({ origin: `http://evil.example:${server.port}` }))).toBe(403);
    expect(await upgradeStatus(connect({ token: null }))).toBe(401);
    expect(await upgradeStatus(connect({ token: 'nope' }))).toBe(403);
    expect(await upgradeStatus(connect({ origin: `http://localhost:${server.port}` }))).toBe(101);
    expect(await upgradeStatus(connect({ token: null, headers: { cookie: `crate_lab_token_${server.port}=${server.token}` } }))).toBe(101);
    // A malformed cookie is ignored, not fatal: the server still answers afterwards.
    expect(await upgradeStatus(connect({ headers: { cookie: 'x=%E0%A4%A' } }))).toBe(101);
    expect((await fetch(`${server.origin}/`, { headers: { cookie: 'x=%E0%A4%A' } })).status).toBe(401);
  });

  it('answers requests, validates arguments, and pushes events', async () => {
    const ws = connect();
    await open(ws);
    ws.send(JSON.stringify({ id: 7, method: 'getRun', args: ['r1'] }));
    expect(await nextMessage(ws)).toEqual({ kind: 'reply', id: 7, result: { ok: true, value: { method: 'getRun' } } });
    expect(fake.calls.at(-1)).toEqual({ method: 'getRun', args: ['r1'] });

    const n = fake.calls.length;
    ws.send(JSON.stringify({ id: 8, method: 'getRun', args: ['../../etc'] }));
    const bad = await nextMessage(ws);
    expect(bad).toMatchObject({ kind: 'reply', id: 8, result: { ok: false, error: { code: 'bad-request' } } });
    expect(fake.calls.length).toBe(n);

    ws.send(JSON.stringify({ id: 9, method: 'pickPath', args: ['folder'] }));
    expect(await nextMessage(ws)).toMatchObject({ id: 9, result: { ok: false, error: { code: 'unavailable' } } });

    const event: LabEvent = { type: 'log', runId: null, level: 'info', message: 'hello', time: 'now' };
    const pushed = nextMessage(ws);
    fake.emit(event);
    expect(await pushed).toEqual({ kind: 'event', event });
    ws.close();
  });

  it('replies to malformed messages with a typed error and keeps serving', async () => {
    const ws = connect();
    await open(ws);
    const cases: [string, number, RegExp][] = [
      ['{not json', -1, /not valid JSON/],
      ['[1,2,3]', -1, /Malformed/],
      [JSON.stringify({ id: 3 }), 3, /method/],
      [JSON.stringify({ id: 4, method: 'system', args: 'x' }), 4, /args/],
      [JSON.stringify({ id: 5, method: 'shutdown', args: [] }), 5, /Unknown method/],
      [JSON.stringify({ id: 6, method: 'startRun', args: [{ preset: 1 }] }), 6, /startRun/],
    ];
    for (const [raw, id, pattern] of cases) {
      ws.send(raw);
      const m = await nextMessage(ws);
      expect(m.kind).toBe('reply');
      if (m.kind !== 'reply') continue;
      expect(m.id).toBe(id);
      const r = m.result as Result<unknown>;
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-request');
        expect(r.error.message).toMatch(pattern);
      }
    }
    ws.send(JSON.stringify({ id: 10, method: 'system', args: [] }));
    expect(await nextMessage(ws)).toMatchObject({ id: 10, result: { ok: true } });
    ws.close();
  });

  it('answers a frame over the size limit with a typed too-large reply, and keeps serving', async () => {
    const ws = connect();
    await open(ws);
    ws.send(JSON.stringify({ id: 77, method: 'inspectData', args: ['x'.repeat(10 << 20)] }));
    const m = await nextMessage(ws);
    expect(m).toMatchObject({ kind: 'reply', id: 77, result: { ok: false, error: { code: 'too-large' } } });
    expect((m as { result: { error: { message: string } } }).result.error.message).toMatch(/at most 1048576 bytes/);
    expect(fake.calls.some((c) => c.method === 'inspectData' && String(c.args[0]).length > 1000)).toBe(false);
    ws.send(JSON.stringify({ id: 78, method: 'system', args: [] }));
    expect(await nextMessage(ws)).toMatchObject({ id: 78, result: { ok: true } });
    ws.close();
  });
});

describe('web mode Host header (DNS rebinding)', () => {
  /** A raw HTTP request with a Host header of our choosing (fetch would set its own). */
  function rawGet(host: string, path: string, extra = ''): Promise<number> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);
      });
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
      sock.on('error', reject);
    });
  }

  it('refuses a page or a WebSocket reached through a name that is not this server, even with the token', async () => {
    const token = `/?token=${encodeURIComponent(server.token)}`;
    expect(await rawGet(`127.0.0.1:${server.port}`, token)).toBe(200);
    expect(await rawGet(`localhost:${server.port}`, token)).toBe(200);
    expect(await rawGet(`[::1]:${server.port}`, token)).toBe(200);
    for (const host of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1.evil.example:${server.port}`, `localhost:${server.port + 1}`, '']) {
      expect(await rawGet(host, token), host).toBe(403);
    }
    const ws = connect({ headers: { host: `rebind.example:${server.port}` } });
    expect(await upgradeStatus(ws)).toBe(403);
  });
});
