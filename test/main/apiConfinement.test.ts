// What the API may touch, probed through both doors with the real lab service behind them: web mode (WebSocket with
// the token) and the Electron IPC handlers. Paths outside the runs root and the data roots are refused with a message
// naming the path and a hint saying how to allow it, and nothing is created; symbolic links out of a root do not
// help; a data root given at start, and (in the app) a picked folder, are allowed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabMethod, Result, WsMessage } from '../../preload/api';
import { CHANNELS } from '../../preload/api';
import { createLabService, type LabService } from '../../main/engine/labService';
import { registerLabHandlers, type InvokeEventLike, type LabHandlers } from '../../main/shell/ipcHandlers';
import { startServer, type LabServer } from '../../main/server/server';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-confine-'));
const runsRoot = path.join(base, 'runs');
const dataRoot = path.join(base, 'datasets');
const outside = path.join(base, 'elsewhere');
const renderer = path.join(base, 'renderer');
for (const d of [runsRoot, outside, renderer]) fs.mkdirSync(d, { recursive: true });
fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');

/** A two-class folder dataset of 4×4 PNGs. */
function folderDataset(dir: string): void {
  for (const cls of ['a', 'b']) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    const png = new PNG({ width: 4, height: 4 });
    png.data.fill(cls === 'a' ? 30 : 220);
    fs.writeFileSync(path.join(dir, cls, '1.png'), PNG.sync.write(png));
  }
}
folderDataset(path.join(dataRoot, 'shapes'));
folderDataset(path.join(outside, 'private'));
// a link inside an allowed root that points out of it
fs.symlinkSync(path.join(outside, 'private'), path.join(dataRoot, 'sneaky'));

const listing = (d: string): string[] => fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).sort();
const before = listing(outside);

let web: LabService;
let electron: LabService;
let server: LabServer;
afterAll(async () => {
  await server?.close();
  await web?.close();
  await electron?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

beforeAll(async () => {
  web = await createLabService({ runsRoot, backend: 'cpu', host: 'web', dataRoots: [dataRoot] });
  electron = await createLabService({ runsRoot, backend: 'cpu', host: 'electron' });
  const backend = {
    request: (method: LabMethod, args: unknown[]) => (web[method as Exclude<LabMethod, 'pickPath'>] as (...a: unknown[]) => Promise<Result<unknown>>)(...args),
    onEvent: (l: Parameters<LabService['subscribe']>[0]) => web.subscribe(l),
  };
  server = await startServer({ backend, rendererDir: renderer, port: 0 });
});

const startReq = (over: Record<string, unknown>) => ({ data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true, ...over });

/** Requests that reach outside what the API may touch. */
const PROBES: { name: string; method: LabMethod; args: unknown[]; path: string }[] = [
  { name: 'inspect /etc', method: 'inspectData', args: ['folder:/etc'], path: '/etc' },
  { name: 'inspect a folder outside', method: 'inspectData', args: [`folder:${path.join(outside, 'private')}`], path: path.join(outside, 'private') },
  { name: 'inspect through a link out of a data root', method: 'inspectData', args: [`folder:${path.join(dataRoot, 'sneaky')}`], path: path.join(dataRoot, 'sneaky') },
  { name: 'inspect with ..', method: 'inspectData', args: [`npy:${dataRoot}/../elsewhere/x.npz`], path: `${dataRoot}/../elsewhere/x.npz` },
  { name: 'start on data outside', method: 'startRun', args: [startReq({ data: `idx:${outside}` })], path: outside },
  { name: 'start from a folder outside', method: 'startRun', args: [startReq({ from: path.join(outside, 'private') })], path: path.join(outside, 'private') },
  { name: 'start watching a folder outside', method: 'startRun', args: [startReq({ watchDir: outside })], path: outside },
  { name: 'export into /etc/cron.d', method: 'exportRun', args: [{ runId: 'r1', what: 'all', format: 'onnx', outDir: '/etc/cron.d' }], path: '/etc/cron.d' },
  { name: 'export outside', method: 'exportRun', args: [{ runId: 'r1', what: 'encoder', format: 'onnx', outDir: path.join(outside, 'out') }], path: path.join(outside, 'out') },
  { name: 'export into another run', method: 'exportRun', args: [{ runId: 'r1', what: 'encoder', format: 'onnx', outDir: path.join(runsRoot, 'r2', 'exports') }], path: path.join(runsRoot, 'r2', 'exports') },
];

function expectRefused(r: Result<unknown>, p: string, how: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe('forbidden');
  expect(r.error.message).toContain(p);
  expect(r.error.message).not.toMatch(/\n\s+at /);
  expect(r.error.hint).toMatch(how);
}

describe('web mode (WebSocket with the token)', () => {
  let ws: WebSocket;
  let id = 0;
  const call = (method: LabMethod, args: unknown[]): Promise<Result<unknown>> =>
    new Promise((resolve) => {
      const my = ++id;
      const on = (d: WebSocket.RawData) => {
        const m = JSON.parse(d.toString()) as WsMessage;
        if (m.kind === 'reply' && m.id === my) {
          ws.off('message', on);
          resolve(m.result as Result<unknown>);
        }
      };
      ws.on('message', on);
      ws.send(JSON.stringify({ id: my, method, args }));
    });

  beforeAll(async () => {
    ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${encodeURIComponent(server.token)}`, { origin: server.origin });
    await new Promise((r) => ws.once('open', r));
  });
  afterAll(() => ws.close());

  it.each(PROBES)('refuses: $name', async (p) => {
    const how = p.method === 'exportRun' ? /exports\/ folder.*npm run lab -- export/ : /--data-root .*command line/;
    expectRefused(await call(p.method, p.args), p.path, how);
    expect(listing(outside)).toEqual(before); // nothing created or changed
  });

  it('reads a data root given at start (absolute or relative path)', async () => {
    const r = await call('inspectData', [`folder:${path.join(dataRoot, 'shapes')}`]);
    expect(r).toMatchObject({ ok: true, value: { classes: ['a', 'b'] } });
    const rel = await call('inspectData', [`folder:${path.relative(process.cwd(), path.join(dataRoot, 'shapes'))}`]);
    expect(rel.ok).toBe(true);
  });
});

describe('Electron IPC handlers', () => {
  const handlers = new Map<string, (e: InvokeEventLike, ...a: unknown[]) => Promise<unknown>>();
  const appFrame: InvokeEventLike = { senderFrame: { url: 'app://crate-lab/index.html', parent: null } };
  let picked: string | null = null;

  beforeAll(() => {
    const h = {} as Record<string, (...a: unknown[]) => Promise<Result<unknown>>>;
    for (const m of Object.keys(CHANNELS) as (LabMethod | 'event')[]) {
      if (m === 'event' || m === 'pickPath') continue;
      h[m] = (...args) => (electron[m] as (...a: unknown[]) => Promise<Result<unknown>>)(...args);
    }
    // main/shell/index.ts: what the person picks in the native dialog is allowed for the session
    h['pickPath'] = async () => {
      if (picked) electron.allowPath(picked);
      return { ok: true, value: picked };
    };
    registerLabHandlers({ handle: (ch, l) => void handlers.set(ch, l), removeHandler: (ch) => void handlers.delete(ch) }, h as unknown as LabHandlers, (u) => u === 'app://crate-lab/index.html');
  });
  const invoke = (method: LabMethod, args: unknown[]) => handlers.get(CHANNELS[method])!(appFrame, ...args) as Promise<Result<unknown>>;

  it.each(PROBES)('refuses: $name', async (p) => {
    const how = p.method === 'exportRun' ? /folder picker|shell/ : /Browse… button/;
    expectRefused(await invoke(p.method, p.args), p.path, how);
    expect(listing(outside)).toEqual(before);
  });

  it('allows what the person picked in the native dialog, for reading and as an export folder', async () => {
    const target = path.join(outside, 'private');
    expectRefused(await invoke('inspectData', [`folder:${target}`]), target, /Browse/);
    picked = target;
    expect(await invoke('pickPath', ['folder'])).toEqual({ ok: true, value: target });
    expect(await invoke('inspectData', [`folder:${target}`])).toMatchObject({ ok: true, value: { classes: ['a', 'b'] } });
    // exporting into the picked folder passes the path check (and then fails only because the run does not exist)
    const exp = await invoke('exportRun', [{ runId: 'r1', what: 'encoder', format: 'onnx', outDir: path.join(target, 'export') }]);
    expect(exp).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(fs.existsSync(path.join(target, 'export'))).toBe(false);
  });
});
