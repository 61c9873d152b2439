import type { LabApi } from '../../../preload/api';
import { ElectronHost } from './electronHost';
import type { Host } from './host';
import { MemoryHost } from './memoryHost';
import { WebSocketHost, webSocketUrl } from './webSocketHost';

declare global {
  interface Window {
    crateLab?: LabApi;
    /** the simulated lab, reachable from the console and scripts in `?host=memory` mode */
    __memoryHost?: MemoryHost;
  }
}

/**
 * Chosen once at start-up: the preload's bridge when it exists (Electron), otherwise the WebSocket of
 * `crate-lab serve`. `?host=memory` runs the UI against the simulated lab (no server needed).
 */
export function pickHost(win: Window): Host {
  if (win.crateLab) return new ElectronHost(win.crateLab);
  const params = new URLSearchParams(win.location.search);
  if (params.get('host') === 'memory') {
    const host = new MemoryHost({ snapshotPoints: Number(params.get('points') ?? 1000) || 1000, tickMs: Number(params.get('tick') ?? 100) || 100 });
    win.__memoryHost = host;
    return host;
  }
  return new WebSocketHost(webSocketUrl(win.location));
}
