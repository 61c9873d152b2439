/**
 * The app window and its security settings (Electron security checklist items 3, 4, 7, 13, 14, 15, 17).
 *
 * The options and handlers are exported as plain functions so test/main/window.test.ts can assert them
 * with a mocked 'electron'.
 */
import { BrowserWindow, shell, type BrowserWindowConstructorOptions, type Session, type WebContents } from 'electron';
import { contentSecurityPolicy } from '../shared/csp';

/** Security preferences that no override may change; applied last (VS Code's windows.ts does the same). */
export const SECURE_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
} as const);

/** https hosts the app may hand to the system browser (documentation links); anything else is dropped. */
export const EXTERNAL_ALLOWLIST: readonly string[] = Object.freeze(['github.com', 'arxiv.org', 'ma-lab-berkeley.github.io']);

export function windowOptions(
  preloadPath: string,
  dev: boolean,
  overrides: BrowserWindowConstructorOptions = {},
): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false, // shown on ready-to-show, so the user never sees a blank frame
    title: 'CRATE Lab',
    backgroundColor: '#101418',
    ...overrides,
    webPreferences: {
      ...overrides.webPreferences,
      preload: preloadPath,
      devTools: dev,
      ...SECURE_WEB_PREFERENCES,
    },
  };
}

/** Same-document check: only the app's own page (same origin and path) counts as the app. */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const a = new URL(appUrl);
    return u.protocol === a.protocol && u.host === a.host && u.pathname === a.pathname;
  } catch {
    return false;
  }
}

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && EXTERNAL_ALLOWLIST.some((h) => u.hostname === h || u.hostname.endsWith(`.${h}`));
  } catch {
    return false;
  }
}

/** Denies new windows and navigation away from the app; allowlisted https links open in the system browser. */
export function hardenWebContents(contents: WebContents, appUrl: string): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  // any frame, not only the top one (will-navigate sees the main frame only): no frame may leave the app's page
  contents.on('will-frame-navigate', (details) => {
    if (!isAppUrl(details.url, appUrl)) details.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Denies every permission request and check, and sets the CSP header on every response. */
export function hardenSession(ses: Session, dev: boolean): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  const csp = contentSecurityPolicy(dev);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
}

export interface MainWindowOptions {
  preloadPath: string;
  /** http URL of the Vite dev server in development, app://crate-lab/index.html (main/shell/appProtocol.ts) otherwise. */
  appUrl: string;
  dev: boolean;
  /** the window icon (Linux and Windows; macOS takes the bundle's) */
  icon?: string;
}

export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow(windowOptions(opts.preloadPath, opts.dev, opts.icon ? { icon: opts.icon } : {}));
  hardenSession(win.webContents.session, opts.dev);
  hardenWebContents(win.webContents, opts.appUrl);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(opts.appUrl);
  return win;
}
