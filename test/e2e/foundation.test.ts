/**
 * End to end, web mode: `crate-lab serve` in a child process, Debian's Chromium driven by playwright-core.
 * The page loads with the token and is refused without it; the system panel shows the backend list the
 * engine really probed on this machine (compared with `crate-lab backends --json`); a screenshot is kept
 * under test-artifacts/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeProcess } from './serveProcess';
import { LAB_METHODS, type BackendStatus, type LabApi, type Result } from '../../preload/api';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repo, 'main/cli/index.ts');
const artifacts = join(repo, 'test-artifacts');
const runsRoot = mkdtempSync(join(tmpdir(), 'crate-e2e-runs-'));

let url = '';
let origin = '';
let browser: Browser;

const serve = new ServeProcess(runsRoot, [], 60_000);

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  url = await serve.start();
  origin = new URL(url).origin;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await serve.stop();
  rmSync(runsRoot, { recursive: true, force: true });
});

describe('web mode in Chromium', () => {
  it('refuses the page without the token, and with a wrong one', async () => {
    const page = await browser.newPage();
    const none = await page.goto(`${origin}/`);
    expect(none?.status()).toBe(401);
    const wrong = await page.goto(`${origin}/?token=wrong`);
    expect(wrong?.status()).toBe(403);
    await page.close();
  });

  it('refuses a WebSocket opened from another origin even with the token', async () => {
    const page = await browser.newPage();
    await page.goto('about:blank');
    const token = new URL(url).searchParams.get('token')!;
    const outcome = await page.evaluate(
      (wsUrl) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `${origin.replace('http', 'ws')}/ws?token=${token}`,
    );
    expect(outcome).toBe('refused');
    await page.close();
  });

  it('loads with the token and shows the backends the engine really found', async () => {
    // What this machine offers, from the CLI (a separate process from the server's engine).
    const probe = spawnSync(process.execPath, ['--import', 'tsx', cli, 'backends', '--json'], { cwd: repo, encoding: 'utf8' });
    expect(probe.status).toBe(0);
    const { backends } = JSON.parse(probe.stdout.trim().split('\n').at(-1)!) as { backends: BackendStatus[] };
    expect(backends.map((b) => b.name)).toEqual(['webgpu', 'tensorflow', 'wasm', 'cpu']);

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const consoleErrors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
    const res = await page.goto(url);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");
    // the page has an icon (linked, served): no 404 for a favicon in the console
    const icon = (await page.evaluate(`document.querySelector('link[rel="icon"]')?.href ?? null`)) as string | null;
    expect(icon).toBe(`${origin}/favicon.svg`);
    expect((await page.request.get(icon!)).status()).toBe(200);

    await page.getByRole('button', { name: /^system$/i }).or(page.getByRole('tab', { name: /^system$/i })).first().click();
    // The reasons come from the engine's probe (e.g. "no WebGPU adapter found"): text no static page could fake.
    const expected = backends.flatMap((b) => [b.name, ...(b.available ? [] : [b.reason ?? ''])]).filter(Boolean);
    await expect
      .poll(async () => {
        const panel = page.getByTestId('system-panel');
        const text = (await panel.count()) ? await panel.innerText() : '';
        return expected.filter((t) => !text.includes(t));
      }, { timeout: 60_000, interval: 250 })
      .toEqual([]);
    await page.screenshot({ path: join(artifacts, 'foundation-system-panel.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the built Electron main (with a stand-in electron module)', () => {
  it('opens a sandboxed window on the built renderer and serves IPC through the built engine', () => {
    // a folder outside the runs root, and a small folder dataset that the person "picks" in the native dialog
    const outside = mkdtempSync(join(tmpdir(), 'crate-outside-'));
    const picked = mkdtempSync(join(tmpdir(), 'crate-picked-'));
    for (const cls of ['a', 'b']) {
      mkdirSync(join(picked, cls));
      const png = new PNG({ width: 4, height: 4 });
      png.data.fill(cls === 'a' ? 40 : 200);
      writeFileSync(join(picked, cls, 'x.png'), PNG.sync.write(png));
    }
    // out/ comes from `electron-vite build`, which `npm run test:e2e` runs first.
    const boot = spawnSync(process.execPath, [join(repo, 'test/e2e/fixtures/bootMain.mjs'), join(repo, 'out/main/index.js')], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env, CRATE_LAB_RUNS: runsRoot, PROBE_OUTSIDE: outside, FAKE_PICK: picked },
    });
    expect(boot.status, boot.stderr).toBe(0);
    const seen = JSON.parse(boot.stdout.trim().split('\n').at(-1)!) as {
      windowOptions: { webPreferences: Record<string, unknown> };
      url: string;
      channels: string[];
      system: Awaited<ReturnType<LabApi['system']>>;
      foreign: Awaited<ReturnType<LabApi['system']>>;
      malformed: Awaited<ReturnType<LabApi['getRun']>>;
      csp: string[];
      schemes: { scheme: string; privileges: Record<string, boolean> }[];
      appPages: Record<'index' | 'icon' | 'traversal' | 'otherHost', { status: number; type: string; text: string }>;
      probes: Record<'inspectOutside' | 'exportOutside' | 'startFromOutside' | 'picked' | 'inspectPicked', Result<unknown>>;
    };
    const prefs = seen.windowOptions.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, devTools: false });
    expect(existsSync(prefs['preload'] as string)).toBe(true);
    // A sandboxed preload has no module loader: one CommonJS file whose only require is electron.
    const preload = readFileSync(prefs['preload'] as string, 'utf8');
    expect([...new Set(preload.match(/require\("[^"]*"\)/g))]).toEqual(['require("electron")']);
    expect(preload).not.toMatch(/^\s*import\s/m);
    // the renderer comes from the app:// scheme, never file://, and the handler serves nothing outside out/renderer
    expect(seen.url).toBe('app://crate-lab/index.html');
    expect(seen.schemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, bypassCSP: false }) }]);
    expect(seen.appPages.index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(seen.appPages.index.text).toContain('<div id="root">');
    expect(seen.appPages.icon).toMatchObject({ status: 200, type: 'image/png' });
    expect(seen.appPages.traversal.status).toBe(404);
    expect(seen.appPages.otherHost.status).toBe(404);
    // path probes through the IPC handlers: refused (naming the path and how to allow it), nothing created
    for (const k of ['inspectOutside', 'exportOutside', 'startFromOutside'] as const) {
      expect(seen.probes[k], k).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      const e = (seen.probes[k] as { error: { message: string; hint: string } }).error;
      expect(e.message).toContain(outside);
      expect(e.hint).toMatch(/picker|shell/);
    }
    expect(readdirSync(outside)).toEqual([]);
    // what the person picked in the native dialog is allowed for the session
    expect(seen.probes.picked).toEqual({ ok: true, value: picked });
    expect(seen.probes.inspectPicked).toMatchObject({ ok: true, value: { classes: ['a', 'b'] } });
    expect(seen.channels).toHaveLength(LAB_METHODS.length); // one handler per request method
    expect(seen.csp[0]).toContain("script-src 'self';");

    // The engine ran from the built bundle (out/main/chunks/entry-*.js), not from the TypeScript source.
    expect(seen.system.ok).toBe(true);
    if (seen.system.ok) {
      expect(seen.system.value.host).toBe('electron');
      expect(seen.system.value.runsRoot).toBe(runsRoot);
      expect(seen.system.value.backends.map((b) => b.name)).toEqual(['webgpu', 'tensorflow', 'wasm', 'cpu']);
    }
    expect(seen.foreign).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(seen.malformed).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});
