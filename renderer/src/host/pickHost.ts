import type { LabApi } from '../../../preload/api';
import { ElectronHost } from './electronHost';
import type { Host } from './host';
import { WebSocketHost, webSocketUrl } from './webSocketHost';

declare global {
  interface Window {
    crateLab?: LabApi;
  }
}

/**
 * Chosen once at start-up: the preload's bridge when it exists (Electron), otherwise the WebSocket of
 * `crate-lab serve`. There is no third, simulated lab: without a server the page says so (NotConnected) and waits
 * for one; the tests' fake (test/renderer/fakes/memoryHost.ts) is handed to the store directly.
 */
export function pickHost(win: Window): Host {
  if (win.crateLab) return new ElectronHost(win.crateLab);
  return new WebSocketHost(webSocketUrl(win.location));
}
