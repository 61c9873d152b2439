/**
 * Electron main: windows, dialogs and IPC only. Training runs in the engine utilityProcess, so this file
 * never imports TF.js or models/ (STYLE.md rule 7): a busy or crashed engine cannot freeze the window.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, utilityProcess } from 'electron';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL, appResponse } from './appProtocol';
import { CHANNELS, type BackendChoice, type LabMethod, type Result } from '../../preload/api';
import enginePath from '../engine/entry?modulePath';
import { EngineHost, engineEnv, type EngineLauncher, type EngineOutbound } from '../engine/host';
import { registerLabHandlers, type LabHandlers } from './ipcHandlers';
import { createMainWindow, hardenWebContents, isAppUrl } from './window';

const here = fileURLToPath(new URL('.', import.meta.url));
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const dev = !app.isPackaged && Boolean(devServerUrl);
// the built renderer is served from app://crate-lab/ (main/shell/appProtocol.ts), never from file://
const rendererDir = join(here, '../renderer');
const appUrl = dev && devServerUrl ? devServerUrl : APP_URL;
const preloadPath = join(here, '../preload/index.cjs');
const iconPath = join(rendererDir, 'icon.png');

// must happen before 'ready'
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);

function runsRoot(): string {
  const fromEnv = process.env['CRATE_LAB_RUNS'];
  if (fromEnv) return resolve(fromEnv);
  return app.isPackaged ? join(app.getPath('userData'), 'runs') : resolve('runs');
}

function backendChoice(): BackendChoice {
  const b = process.env['CRATE_LAB_BACKEND'];
  return b === 'webgpu' || b === 'tensorflow' || b === 'wasm' || b === 'cpu' ? b : 'auto';
}

/** The engine as an Electron utilityProcess (a Node child process with Chromium's process model). */
function utilityLauncher(entry: string): EngineLauncher {
  return (opts) => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'CRATE Lab engine', stdio: 'inherit', env: engineEnv(opts) });
    let exited = false;
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => {
        if (!exited) child.postMessage(msg);
      },
      onMessage: (listener) => child.on('message', (m: unknown) => listener(m as EngineOutbound)),
      onExit: (listener) =>
        child.once('exit', (code) => {
          exited = true;
          listener(code, null);
        }),
      kill: () => {
        if (!exited) child.kill();
      },
    };
  };
}

/**
 * The native picker. What the person picks here is what the window may then read (data, `from`) and export into for
 * this session: the engine's API is otherwise confined to the runs root (main/engine/pathPolicy.ts).
 */
async function pickPath(host: EngineHost, kind: 'folder' | 'file'): Promise<Result<string | null>> {
  const win = BrowserWindow.getFocusedWindow();
  const options = { properties: [kind === 'folder' ? ('openDirectory' as const) : ('openFile' as const)] };
  const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const p = picked.canceled ? null : (picked.filePaths[0] ?? null);
  if (p) host.allowPath(p);
  return { ok: true, value: p };
}

function engineHandlers(host: EngineHost): LabHandlers {
  const forward =
    (method: LabMethod) =>
    (...args: unknown[]) =>
      host.request(method, args);
  return {
    system: forward('system'),
    presets: forward('presets'),
    inspectData: forward('inspectData'),
    listRuns: forward('listRuns'),
    getRun: forward('getRun'),
    deleteRun: forward('deleteRun'),
    startRun: forward('startRun'),
    listGroups: forward('listGroups'),
    startSweep: forward('startSweep'),
    resumeRun: forward('resumeRun'),
    control: forward('control'),
    exportRun: forward('exportRun'),
    pickPath: (kind: 'folder' | 'file') => pickPath(host, kind),
  } as LabHandlers;
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  protocol.handle(APP_SCHEME, async (request) => {
    const r = await appResponse(rendererDir, request.url);
    return new Response(typeof r.body === 'string' ? r.body : Buffer.from(r.body), { status: r.status, headers: r.headers });
  });

  // Any web contents created later (a devtools page, a stray frame) gets the same navigation rules.
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, appUrl));

  const host = new EngineHost({ runsRoot: runsRoot(), backend: backendChoice(), host: 'electron', launcher: utilityLauncher(enginePath) });
  host.onEvent((event) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(CHANNELS.event, event);
    }
  });
  registerLabHandlers(ipcMain, engineHandlers(host), (url) => isAppUrl(url, appUrl));
  host.start().catch((e: Error) => console.error(`CRATE Lab: the engine did not start: ${e.message}`));

  const open = (): void => {
    createMainWindow({ preloadPath, appUrl, dev, icon: iconPath });
  };
  open();
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => void host.close());
}

void main();
