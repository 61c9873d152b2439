import type {
  LabApi,
  LabError,
  LabEvent,
  LabMethod,
  Result,
  WsMessage,
  WsRequest,
} from '../../../preload/api';
import { Emitter, type ConnectionState, type Host } from './host';

/**
 * Web mode: the same LabApi over one WebSocket to `crate-lab serve` (protocol: WsRequest/WsMessage in
 * preload/api.ts). The page URL carries `?token=…`, which the server requires on the socket too.
 *
 * The socket reconnects with backoff; requests made while it is down wait for it (up to a limit)
 * instead of failing at once, so a server restart during a run is a short "reconnecting" notice.
 */

export const WS_PATH = '/ws';
const REQUEST_WAIT_MS = 15_000; // how long a request waits for a connection before failing
const REPLY_TIMEOUT_MS = 120_000; // inspectData on a big folder can take a while

export function webSocketUrl(loc: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
}

type Pending = { resolve: (r: Result<unknown>) => void; timer: ReturnType<typeof setTimeout> };

function failure(code: LabError['code'], message: string, hint?: string): Result<never> {
  return { ok: false, error: { code, message, ...(hint ? { hint } : {}) } };
}

export class WebSocketHost implements Host {
  readonly kind = 'web' as const;
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private waiting: (() => void)[] = [];
  private events = new Emitter<LabEvent>();
  private conn = new Emitter<ConnectionState>();
  private state: ConnectionState = 'connecting';
  private backoff = 500;
  private closedByUser = false;

  constructor(
    private readonly url: string,
    private readonly makeSocket: (url: string) => WebSocket = (u) => new WebSocket(u),
  ) {
    this.connect();
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    this.conn.emit(s);
  }

  private connect(): void {
    let ws: WebSocket;
    try {
      ws = this.makeSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 500;
      this.setState('open');
      const w = this.waiting;
      this.waiting = [];
      for (const f of w) f();
    };
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      // replies to in-flight requests are lost with the socket: answer them now
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve(
          failure('engine', 'The connection to the lab server closed before it answered.', 'Check that `crate-lab serve` is still running, then retry.'),
        );
        this.pending.delete(id);
      }
      if (this.closedByUser) this.setState('closed');
      else this.scheduleReconnect();
    };
    ws.onerror = () => {
      /* onclose follows and handles it */
    };
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const delay = this.backoff;
    this.backoff = Math.min(5000, this.backoff * 2);
    setTimeout(() => {
      if (!this.closedByUser) this.connect();
    }, delay);
  }

  private onMessage(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let msg: WsMessage;
    try {
      msg = JSON.parse(raw) as WsMessage;
    } catch {
      console.warn('lab server sent a message that is not JSON; ignored');
      return;
    }
    if (msg.kind === 'event') this.events.emit(msg.event);
    else if (msg.kind === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      p.resolve(msg.result);
    }
  }

  private whenOpen(): Promise<boolean> {
    if (this.ws && this.ws.readyState === 1) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((f) => f !== done);
        resolve(false);
      }, REQUEST_WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiting.push(done);
    });
  }

  private async call<T>(method: LabMethod, args: unknown[]): Promise<Result<T>> {
    const open = await this.whenOpen();
    if (!open || !this.ws) {
      return failure('engine', 'The lab server cannot be reached.', 'Start it with `npm run lab -- serve` and open the URL it prints (with its token).');
    }
    const id = this.nextId++;
    const req: WsRequest = { id, method, args };
    return new Promise<Result<T>>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(failure('engine', `The lab server did not answer '${method}' within ${REPLY_TIMEOUT_MS / 1000} s.`, 'The engine may be busy or stuck; check the server console.'));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (r: Result<unknown>) => void, timer });
      try {
        this.ws!.send(JSON.stringify(req));
      } catch {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(failure('engine', 'Sending to the lab server failed.', 'The connection dropped; the page reconnects by itself, retry in a moment.'));
      }
    });
  }

  system: LabApi['system'] = () => this.call('system', []);
  presets: LabApi['presets'] = () => this.call('presets', []);
  inspectData: LabApi['inspectData'] = (spec) => this.call('inspectData', [spec]);
  listRuns: LabApi['listRuns'] = () => this.call('listRuns', []);
  getRun: LabApi['getRun'] = (id) => this.call('getRun', [id]);
  deleteRun: LabApi['deleteRun'] = (id) => this.call('deleteRun', [id]);
  startRun: LabApi['startRun'] = (req) => this.call('startRun', [req]);
  listGroups: LabApi['listGroups'] = () => this.call('listGroups', []);
  startSweep: LabApi['startSweep'] = (req) => this.call('startSweep', [req]);
  resumeRun: LabApi['resumeRun'] = (id) => this.call('resumeRun', [id]);
  control: LabApi['control'] = (req) => this.call('control', [req]);
  exportRun: LabApi['exportRun'] = (req) => this.call('exportRun', [req]);
  pickPath: LabApi['pickPath'] = async () =>
    failure('unavailable', 'A native file picker exists only in the desktop app.', 'Type the dataset path into the field instead.');
  onEvent: LabApi['onEvent'] = (listener) => this.events.on(listener);

  onConnection(listener: (s: ConnectionState) => void): () => void {
    listener(this.state);
    return this.conn.on(listener);
  }
  connectionState(): ConnectionState {
    return this.state;
  }
  close(): void {
    this.closedByUser = true;
    this.ws?.close();
  }
}
