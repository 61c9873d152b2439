/**
 * Web mode: one HTTP server on one port serving the built renderer and, at /ws, the LabApi over WebSocket
 * (WsRequest / WsMessage in preload/api.ts). For a GPU box without a screen and for the end-to-end tests.
 *
 * Every HTTP and WebSocket request needs the random token (query `?token=` on first load, then a cookie, or
 * a header): 401 without one, 403 with a wrong one. WebSockets from other Origins are refused (403). Each
 * argument is validated with the same schemas as Electron IPC; a malformed message gets a typed
 * 'bad-request' reply and never takes the server down.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { WebSocket, WebSocketServer } from 'ws';
import type { LabEvent, LabMethod, Result, WsMessage } from '../../preload/api';
import { contentSecurityPolicy } from '../shared/csp';
import { validateArgs, wsRequestSchema } from '../shared/apiSchemas';
import { allowedHostHeaders, allowedOrigins, createToken, requestToken, tokenCookieName, tokensEqual } from './auth';
import { serveStatic } from './staticFiles';

/** What the server needs from the engine side (EngineHost fits). */
export interface LabBackend {
  request(method: LabMethod, args: unknown[]): Promise<Result<unknown>>;
  onEvent(listener: (e: LabEvent) => void): () => void;
}

export interface ServerOptions {
  backend: LabBackend;
  /** The electron-vite renderer build (out/renderer). */
  rendererDir: string;
  host?: string; // default 127.0.0.1
  port?: number; // 0 = any free port
  token?: string; // default: 24 random bytes
}

export interface LabServer {
  readonly url: string; // with the token, ready to open
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

export const WS_PATH = '/ws';
/** The largest request frame handled; a larger one gets a typed 'too-large' reply. */
export const MAX_MESSAGE_BYTES = 1 << 20;
/** Beyond this the socket itself is closed (1009): a frame is buffered whole before it can be answered. */
const MAX_FRAME_BYTES = 32 << 20;
// Large frames (snapshots, reconstructions) are skipped for a client that is this far behind.
const MAX_BUFFERED_BYTES = 16 << 20;

function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(false),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The token is in the page URL: never send it to anyone in a Referer.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra });
  res.end(`${text}\n`);
}

/** 'ok', or the HTTP status to refuse with. */
function authorize(req: IncomingMessage, url: URL, token: string, cookieName: string): 'ok' | 401 | 403 {
  const given = requestToken(req, url, cookieName);
  if (!given) return 401;
  return tokensEqual(given.token, token) ? 'ok' : 403;
}

function reply(ws: WebSocket, id: number, result: Result<unknown>): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const msg: WsMessage = { kind: 'reply', id, result };
  ws.send(JSON.stringify(msg));
}

const badRequest = (message: string): Result<never> => ({ ok: false, error: { code: 'bad-request', message } });

/** The reply to a frame over MAX_MESSAGE_BYTES; its id is taken from the frame's start when it is there. */
export function tooLarge(raw: string, bytes: number): { id: number; result: Result<never> } {
  const m = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(raw.slice(0, 64));
  return {
    id: m ? Number(m[1]) : -1,
    result: {
      ok: false,
      error: { code: 'too-large', message: `The message is ${bytes} bytes; requests may be at most ${MAX_MESSAGE_BYTES} bytes.`, hint: 'Send smaller arguments (paths, not data).' },
    },
  };
}

/** Handles one WebSocket frame; every path ends in exactly one reply. */
export async function handleWsMessage(backend: LabBackend, raw: string): Promise<{ id: number; result: Result<unknown> }> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { id: -1, result: badRequest('The message is not valid JSON; expected {"id", "method", "args"}.') };
  }
  const frame = wsRequestSchema.safeParse(data);
  const id = typeof (data as { id?: unknown })?.id === 'number' ? (data as { id: number }).id : -1;
  if (!frame.success) {
    const issue = frame.error.issues[0];
    const where = issue?.path.length ? `field "${issue.path.join('.')}"` : 'message';
    return { id, result: badRequest(`Malformed request: ${where}: ${issue?.message ?? 'invalid'}; expected {"id", "method", "args"}.`) };
  }
  const { method, args } = frame.data;
  const valid = validateArgs(method, args);
  if (!valid.ok) return { id, result: valid };
  if (method === 'pickPath') {
    return {
      id,
      result: { ok: false, error: { code: 'unavailable', message: 'A native file picker exists only in the desktop app.', hint: 'Type the path instead.' } },
    };
  }
  try {
    return { id, result: await backend.request(method as LabMethod, valid.value) };
  } catch (e) {
    return { id, result: { ok: false, error: { code: 'internal', message: `${method} failed: ${(e as Error).message}` } } };
  }
}

export async function startServer(opts: ServerOptions): Promise<LabServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? createToken();
  const rendererDir = resolve(opts.rendererDir);
  const builtIndex = join(rendererDir, 'index.html');
  let origins = new Set<string>();
  let cookieName = tokenCookieName(0); // set once the port is known, before the first request

  let hostHeaders = new Set<string>();
  const hostProblem = (req: IncomingMessage): string | null => {
    const h = (req.headers.host ?? '').toLowerCase();
    return hostHeaders.has(h) ? null : h;
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://server.invalid'); // throws only into the catch below
      const badHost = hostProblem(req);
      if (badHost !== null)
        return plain(res, 403, `Forbidden: this lab server does not answer to the host name '${badHost}' (DNS rebinding protection); open the URL it printed at start.`);
      const auth = authorize(req, url, token, cookieName);
      if (auth === 401) return plain(res, 401, 'Unauthorized: this lab server needs the token from the URL it printed at start.');
      if (auth === 403) return plain(res, 403, 'Forbidden: wrong token.');
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
      if (!existsSync(builtIndex)) {
        return plain(res, 503, `The renderer is not built (no ${builtIndex}). Run \`npm run build\` and reload.`);
      }
      const headers = securityHeaders();
      // Later requests (assets, the WebSocket) carry the token as a cookie, so the page URL alone suffices.
      if (url.searchParams.has('token')) {
        headers['Set-Cookie'] = `${cookieName}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
      }
      await serveStatic(rendererDir, url.pathname, res, headers);
    })().catch(() => {
      if (!res.headersSent) plain(res, 500, 'Internal error.');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const refuse = (socket: Duplex, status: 401 | 403 | 404, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://server.invalid');
    } catch {
      return refuse(socket, 404, 'Not Found');
    }
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (hostProblem(req) !== null) return refuse(socket, 403, 'Forbidden');
    const origin = req.headers.origin;
    // Browsers always send Origin on WebSockets; a missing one is a non-browser client, which still needs the token.
    if (origin !== undefined && !origins.has(origin)) return refuse(socket, 403, 'Forbidden');
    const auth = authorize(req, url, token, cookieName);
    if (auth !== 'ok') return refuse(socket, auth, auth === 401 ? 'Unauthorized' : 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return reply(ws, -1, badRequest('Binary frames are not part of the protocol; send JSON text.'));
      const bytes = Array.isArray(data) ? data.reduce((a, b) => a + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      if (bytes > MAX_MESSAGE_BYTES) {
        const head = Buffer.isBuffer(data) ? data.subarray(0, 64).toString() : '';
        const { id, result } = tooLarge(head, bytes);
        return reply(ws, id, result);
      }
      void handleWsMessage(opts.backend, data.toString()).then(({ id, result }) => reply(ws, id, result));
    });
  });

  const unsubscribe = opts.backend.onEvent((event) => {
    const heavy = event.type === 'snapshot' || event.type === 'reconstructions';
    const text = JSON.stringify({ kind: 'event', event } satisfies WsMessage);
    for (const ws of wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (heavy && ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      ws.send(text);
    }
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', rej);
      res();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  origins = allowedOrigins(host, port);
  hostHeaders = allowedHostHeaders(host, port);
  cookieName = tokenCookieName(port);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;

  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    origin,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      const closed = new Promise<void>((res) => server.close(() => res()));
      server.closeAllConnections();
      await closed;
    },
  };
}
