/**
 * The engine process: creates the LabService and serves the host's requests.
 *
 * Started by EngineHost either as an Electron utilityProcess (messages through process.parentPort) or as a
 * Node child process (process.send / process.on('message')). $CRATE_ENGINE_OPTIONS carries the EngineOptions as JSON.
 */
import type { LabMethod, Result } from '../../preload/api';
import { LAB_METHODS } from '../../preload/api';
import { ENGINE_OPTIONS_ENV, type EngineInbound, type EngineOptions, type EngineOutbound } from './host';
import { createLabService, type LabService } from './labService';

/** Electron's utilityProcess side of the channel; typed here so this file needs no electron types. */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

interface Transport {
  send(msg: EngineOutbound): void;
  onMessage(listener: (msg: EngineInbound) => void): void;
}

function pickTransport(): Transport {
  const parentPort = (process as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (msg) => parentPort.postMessage(msg),
      onMessage: (l) => parentPort.on('message', (e) => l(e.data as EngineInbound)),
    };
  }
  if (!process.send) {
    process.stderr.write('The engine must be started by the engine host (no IPC channel).\n');
    process.exit(2);
  }
  // The host is gone: nobody can read our results, so stop instead of training into the void.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (msg) => {
      if (process.connected) process.send!(msg);
    },
    onMessage: (l) => process.on('message', (m) => l(m as EngineInbound)),
  };
}

function parseOptions(raw: string | undefined): EngineOptions {
  const parsed = JSON.parse(raw ?? '{}') as Partial<EngineOptions>;
  if (typeof parsed.runsRoot !== 'string' || !parsed.runsRoot) throw new Error('engine started without a runs root');
  const dataRoots = Array.isArray(parsed.dataRoots) ? parsed.dataRoots.filter((r): r is string => typeof r === 'string' && r !== '') : [];
  return { runsRoot: parsed.runsRoot, backend: parsed.backend ?? 'auto', host: parsed.host ?? 'cli', dataRoots };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function handle(service: LabService, method: LabMethod, args: unknown[]): Promise<Result<unknown>> {
  if (!LAB_METHODS.includes(method) || method === 'pickPath') {
    return { ok: false, error: { code: 'bad-request', message: `The engine has no method "${String(method)}".` } };
  }
  try {
    const fn = service[method] as (...a: unknown[]) => Promise<Result<unknown>>;
    return await fn.apply(service, args);
  } catch (e) {
    // The service should return errors as values; a throw is a bug, reported without its stack.
    return { ok: false, error: { code: 'internal', message: `${method} failed: ${messageOf(e)}` } };
  }
}

async function main(): Promise<void> {
  const transport = pickTransport();
  let service: LabService | null = null;
  const early: EngineInbound[] = [];
  let onInbound = (msg: EngineInbound): void => {
    early.push(msg);
  };
  transport.onMessage((msg) => onInbound(msg));

  try {
    service = await createLabService(parseOptions(process.env[ENGINE_OPTIONS_ENV]));
  } catch (e) {
    transport.send({ kind: 'fatal', message: messageOf(e) });
    // Give the IPC channel a moment to deliver the reason before leaving.
    setTimeout(() => process.exit(3), 100);
    return;
  }
  const svc = service;
  svc.subscribe((event) => transport.send({ kind: 'event', event }));

  onInbound = (msg) => {
    switch (msg.kind) {
      case 'request':
        void handle(svc, msg.method, Array.isArray(msg.args) ? msg.args : []).then((result) =>
          transport.send({ kind: 'reply', id: msg.id, result }),
        );
        break;
      case 'ping':
        transport.send({ kind: 'pong', id: msg.id, pid: process.pid });
        break;
      case 'allow':
        if (typeof msg.path === 'string' && msg.path) svc.allowPath(msg.path);
        break;
      case 'shutdown':
        void svc.close().finally(() => process.exit(0));
        break;
    }
  };
  transport.send({ kind: 'ready', pid: process.pid });
  for (const msg of early.splice(0)) onInbound(msg);
}

void main();
