import { beforeEach, describe, expect, it, vi } from 'vitest';

// A stand-in for 'electron' that records what main/shell/window.ts asks of it (the real module would try to
// download its binary). Only this file mocks electron; no test imports the real one.
const recorded = vi.hoisted(() => ({
  windowOptions: [] as unknown[],
  openExternal: [] as string[],
  contents: null as null | FakeContents,
  session: null as null | FakeSession,
}));

interface FakeContents {
  handlers: Map<string, (...a: unknown[]) => void>;
  windowOpen: ((d: { url: string }) => { action: string }) | null;
  on(event: string, h: (...a: unknown[]) => void): void;
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void;
  session: FakeSession;
}
interface FakeSession {
  permissionRequest: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null;
  permissionCheck: ((wc: unknown, p: string) => boolean) | null;
  headers: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void) | null;
  setPermissionRequestHandler(h: FakeSession['permissionRequest']): void;
  setPermissionCheckHandler(h: FakeSession['permissionCheck']): void;
  webRequest: { onHeadersReceived(h: FakeSession['headers']): void };
}

vi.mock('electron', () => {
  function makeSession(): FakeSession {
    const s: FakeSession = {
      permissionRequest: null,
      permissionCheck: null,
      headers: null,
      setPermissionRequestHandler: (h) => void (s.permissionRequest = h),
      setPermissionCheckHandler: (h) => void (s.permissionCheck = h),
      webRequest: { onHeadersReceived: (h) => void (s.headers = h) },
    };
    return s;
  }
  function makeContents(): FakeContents {
    const c: FakeContents = {
      handlers: new Map(),
      windowOpen: null,
      on: (event, h) => void c.handlers.set(event, h),
      setWindowOpenHandler: (h) => void (c.windowOpen = h),
      session: makeSession(),
    };
    return c;
  }
  class BrowserWindow {
    webContents: FakeContents;
    loaded: string | null = null;
    constructor(opts: unknown) {
      recorded.windowOptions.push(opts);
      this.webContents = makeContents();
      recorded.contents = this.webContents;
      recorded.session = this.webContents.session;
    }
    once(): void {}
    show(): void {}
    async loadURL(url: string): Promise<void> {
      this.loaded = url;
    }
  }
  return { BrowserWindow, shell: { openExternal: async (u: string) => void recorded.openExternal.push(u) } };
});

const { createMainWindow, windowOptions, isAppUrl } = await import('../../main/shell/window');
const { contentSecurityPolicy } = await import('../../main/shared/csp');

const APP_URL = 'app://crate-lab/index.html';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );
}

describe('main window security', () => {
  beforeEach(() => {
    recorded.windowOptions.length = 0;
    recorded.openExternal.length = 0;
    createMainWindow({ preloadPath: '/opt/crate-lab/out/preload/index.cjs', appUrl: APP_URL, dev: false });
  });

  it('creates the window with isolation, sandbox, no node integration and web security', () => {
    expect(recorded.windowOptions).toHaveLength(1);
    const prefs = (recorded.windowOptions[0] as { webPreferences: Record<string, unknown> }).webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
      preload: '/opt/crate-lab/out/preload/index.cjs',
    });
  });

  it('keeps the security flags even when overrides try to weaken them', () => {
    const opts = windowOptions('/p.cjs', false, {
      webPreferences: { sandbox: false, nodeIntegration: true, contextIsolation: false, webSecurity: false },
    });
    expect(opts.webPreferences).toMatchObject({ sandbox: true, nodeIntegration: false, contextIsolation: true, webSecurity: true });
  });

  it('allows devtools only in development', () => {
    expect(windowOptions('/p.cjs', true).webPreferences?.devTools).toBe(true);
    expect(windowOptions('/p.cjs', false).webPreferences?.devTools).toBe(false);
  });

  it('sets a strict CSP header on every response', () => {
    const cb = vi.fn();
    recorded.session!.headers!({ responseHeaders: { 'X-Other': ['1'] } }, cb);
    const headers = (cb.mock.calls[0]![0] as { responseHeaders: Record<string, string[]> }).responseHeaders;
    expect(headers['X-Other']).toEqual(['1']);
    const csp = headers['Content-Security-Policy']![0]!;
    expect(csp).toBe(contentSecurityPolicy(false));
    const d = directives(csp);
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    for (const [name, values] of d) {
      expect(values, name).not.toContain("'unsafe-eval'");
      expect(values, name).not.toContain("'unsafe-inline'");
      expect(values, name).not.toContain('*');
    }
  });

  it('relaxes only what the dev server needs in development', () => {
    const dev = directives(contentSecurityPolicy(true));
    expect(dev.get('script-src')).not.toContain("'unsafe-eval'");
    expect(dev.get('default-src')).toEqual(["'none'"]);
  });

  it('denies window.open, opening only allowlisted https links externally', () => {
    const open = recorded.contents!.windowOpen!;
    expect(open({ url: 'https://evil.example/x' })).toEqual({ action: 'deny' });
    expect(open({ url: 'http://github.com/x' })).toEqual({ action: 'deny' });
    expect(open({ url: 'https://github.com/Ma-Lab-Berkeley/CRATE' })).toEqual({ action: 'deny' });
    expect(recorded.openExternal).toEqual(['https://github.com/Ma-Lab-Berkeley/CRATE']);
  });

  it('blocks navigation away from the app and webview attachment', () => {
    const nav = recorded.contents!.handlers.get('will-navigate')!;
    const away = { preventDefault: vi.fn() };
    nav(away, 'https://evil.example/');
    expect(away.preventDefault).toHaveBeenCalled();
    const other = { preventDefault: vi.fn() };
    nav(other, 'file:///etc/passwd');
    expect(other.preventDefault).toHaveBeenCalled();
    const self = { preventDefault: vi.fn() };
    nav(self, `${APP_URL}#/runs`);
    expect(self.preventDefault).not.toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    recorded.contents!.handlers.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('blocks any frame (subframes too) from navigating away from the app page', () => {
    const frameNav = recorded.contents!.handlers.get('will-frame-navigate')!;
    expect(frameNav).toBeDefined();
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://crate-lab/other.html', 'javascript:alert(1)']) {
      const details = { url, isMainFrame: false, preventDefault: vi.fn() };
      frameNav(details);
      expect(details.preventDefault, url).toHaveBeenCalled();
    }
    const self = { url: `${APP_URL}#/runs`, isMainFrame: true, preventDefault: vi.fn() };
    frameNav(self);
    expect(self.preventDefault).not.toHaveBeenCalled();
  });

  it('gives the window the app icon when one is passed', () => {
    recorded.windowOptions.length = 0;
    createMainWindow({ preloadPath: '/p.cjs', appUrl: APP_URL, dev: false, icon: '/opt/crate-lab/out/renderer/icon.png' });
    expect((recorded.windowOptions[0] as { icon?: string }).icon).toBe('/opt/crate-lab/out/renderer/icon.png');
  });

  it('denies every permission request and check', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      const cb = vi.fn();
      recorded.session!.permissionRequest!({}, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(recorded.session!.permissionCheck!({}, p)).toBe(false);
    }
  });

  it('recognises only the app page as the app', () => {
    expect(isAppUrl(`${APP_URL}?x=1`, APP_URL)).toBe(true);
    expect(isAppUrl('app://crate-lab/other.html', APP_URL)).toBe(false);
    expect(isAppUrl('app://elsewhere/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('file:///opt/crate-lab/out/renderer/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP_URL)).toBe(false);
  });
});
