/**
 * EngineHost: starts the engine process, forwards requests and events, restarts it when it dies.
 *
 * The engine (TF.js, data decoding, training) never runs in the event loop of whoever hosts it: a crashed GPU
 * driver or an out-of-memory engine costs one restart, never the window or the web server. Under Electron the
 * engine is a utilityProcess (main/shell/index.ts injects that launcher, so this file never imports electron); under
 * the CLI, web mode and tests it is a Node child process running main/engine/entry.ts through tsx.
 *
 * Errors are values: a request whose engine died returns { ok: false, error: { code: 'engine' } }.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendChoice, LabEvent, LabEventType, LabMethod, Result } from '../../preload/api';

// ---------------------------------------------------------------------------------------------
// Wire protocol between host and engine (plain JSON over child_process IPC or Electron's parentPort)
// ---------------------------------------------------------------------------------------------

export interface EngineOptions {
  runsRoot: string;
  backend: BackendChoice;
  host: 'electron' | 'web' | 'cli';
  /** folders the API may read data from besides the runs root (main/engine/pathPolicy.ts) */
  dataRoots?: string[];
}

/** Host → engine. `allow` is the host's own (a path the person picked): no LabApi request can send it. */
export type EngineInbound =
  | { kind: 'request'; id: number; method: LabMethod; args: unknown[] }
  | { kind: 'allow'; path: string }
  | { kind: 'ping'; id: number }
  | { kind: 'shutdown' };

/** Engine → host. */
export type EngineOutbound =
  | { kind: 'ready'; pid: number }
  | { kind: 'fatal'; message: string }
  | { kind: 'reply'; id: number; result: Result<unknown> }
  | { kind: 'pong'; id: number; pid: number }
  | { kind: 'event'; event: LabEvent };

// ---------------------------------------------------------------------------------------------
// Launchers: how an engine process is started (child_process here, utilityProcess in main/shell/index.ts)
// ---------------------------------------------------------------------------------------------

export interface EngineProcess {
  readonly pid: number | undefined;
  send(msg: EngineInbound): void;
  onMessage(listener: (msg: EngineOutbound) => void): void;
  /** Called once when the process is gone; `code`/`signal` as far as the platform tells. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type EngineLauncher = (opts: EngineOptions) => EngineProcess;

/**
 * The engine reads its options from this environment variable: child_process.fork and Electron's
 * utilityProcess.fork both pass `env` the same way, while their argv layouts differ.
 */
export const ENGINE_OPTIONS_ENV = 'CRATE_ENGINE_OPTIONS';

export function engineEnv(opts: EngineOptions): NodeJS.ProcessEnv {
  return { ...process.env, [ENGINE_OPTIONS_ENV]: JSON.stringify(opts) };
}

/** The engine entry as TypeScript source, for running from a checkout (CLI, web mode, tests). */
export const ENGINE_ENTRY_SOURCE = fileURLToPath(new URL('./entry.ts', import.meta.url));

/** Starts `entry` as a Node child process; `.ts` entries run through tsx. */
export function forkLauncher(entry: string = ENGINE_ENTRY_SOURCE): EngineLauncher {
  return (opts) => {
    const child = fork(entry, [], {
      env: engineEnv(opts),
      execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
      // The engine's own stdout goes to our stderr so that `--json` output on stdout stays machine-readable.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      serialization: 'json',
    });
    child.stdout?.pipe(process.stderr);
    let exited = false;
    return {
      get pid() {
        return child.pid;
      },
      send(msg) {
        if (!exited && child.connected) child.send(msg);
      },
      onMessage(listener) {
        child.on('message', (m) => listener(m as EngineOutbound));
      },
      onExit(listener) {
        child.once('exit', (code, signal) => {
          exited = true;
          listener(code, signal);
        });
      },
      kill() {
        if (!exited) child.kill('SIGKILL');
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Event throttling
// ---------------------------------------------------------------------------------------------

/** Minimum milliseconds between two events of a type; the newest event in a window wins. */
export const DEFAULT_THROTTLE_MS: Readonly<Partial<Record<LabEventType, number>>> = Object.freeze({
  progress: 100, // ≤ 10/s keeps charts smooth without flooding IPC
  snapshot: 2000, // feature clouds are up to 5000×F floats
  reconstructions: 3000, // image grids are the largest payloads
});

/**
 * Per-type rate limiter that keeps the latest event: the first event in a quiet period goes out at once,
 * later ones within the interval replace each other and the last one goes out when the interval ends.
 */
export class EventThrottle {
  private readonly last = new Map<LabEventType, number>();
  private readonly pending = new Map<LabEventType, LabEvent>();
  private readonly timers = new Map<LabEventType, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly emit: (e: LabEvent) => void,
    private readonly intervals: Readonly<Partial<Record<LabEventType, number>>> = DEFAULT_THROTTLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  push(e: LabEvent): void {
    // A status change or an activity must not be overtaken by a stale progress event still waiting in the throttle
    // (a progress event ends an activity in the window).
    if (e.type === 'run-status' || e.type === 'activity') this.flush();
    const interval = this.intervals[e.type];
    if (!interval) {
      this.emit(e);
      return;
    }
    const t = this.now();
    const since = t - (this.last.get(e.type) ?? -Infinity);
    if (since >= interval && !this.timers.has(e.type)) {
      this.last.set(e.type, t);
      this.emit(e);
      return;
    }
    this.pending.set(e.type, e);
    if (!this.timers.has(e.type)) {
      const timer = setTimeout(() => this.release(e.type), Math.max(0, interval - since));
      timer.unref?.();
      this.timers.set(e.type, timer);
    }
  }

  private release(type: LabEventType): void {
    this.timers.delete(type);
    const e = this.pending.get(type);
    if (!e) return;
    this.pending.delete(type);
    this.last.set(type, this.now());
    this.emit(e);
  }

  /** Emits every pending event now. */
  flush(): void {
    for (const type of [...this.timers.keys()]) {
      clearTimeout(this.timers.get(type));
      this.release(type);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

export interface EngineHostOptions extends EngineOptions {
  launcher?: EngineLauncher;
  throttleMs?: Readonly<Partial<Record<LabEventType, number>>>;
  /** First restart delay; doubles for each crash in quick succession, up to 10 s. */
  restartDelayMs?: number;
}

type Pending = { resolve: (r: Result<unknown>) => void };

const engineError = (message: string, hint?: string): Result<never> => ({
  ok: false,
  error: hint ? { code: 'engine', message, hint } : { code: 'engine', message },
});

export class EngineHost {
  private proc: EngineProcess | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly throttle: EventThrottle;
  private readonly launcher: EngineLauncher;
  private nextId = 1;
  private closed = false;
  /** Set when the engine refused to start for a reason a restart cannot fix (e.g. a forced backend is missing). */
  private fatal: string | null = null;
  private restartDelay: number;
  private lastStart = 0;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  /** Rejects the pending restart's ready promise, so nobody waits forever on an engine that will not come. */
  private cancelRestart: ((e: Error) => void) | null = null;
  private started = false;

  constructor(private readonly opts: EngineHostOptions) {
    this.launcher = opts.launcher ?? forkLauncher();
    this.restartDelay = opts.restartDelayMs ?? 500;
    this.throttle = new EventThrottle((e) => this.dispatch(e), opts.throttleMs ?? DEFAULT_THROTTLE_MS);
  }

  /** The engine's process id (for diagnostics and tests); undefined before start or while restarting. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the engine and resolves once it is ready (rejects if it failed to start). */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('engine host is closed'));
    if (!this.ready) this.ready = this.spawn();
    return this.ready;
  }

  onEvent(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Sends a request to the engine. Never rejects: engine failures come back as `code: 'engine'` results. */
  async request(method: LabMethod, args: unknown[]): Promise<Result<unknown>> {
    if (this.closed) return engineError('The engine is shut down.');
    if (this.fatal) return engineError(this.fatal);
    try {
      await this.start();
    } catch (e) {
      return engineError(`The engine failed to start: ${(e as Error).message}`);
    }
    const proc = this.proc;
    if (!proc) return engineError('The engine is restarting; try again in a moment.');
    const id = this.nextId++;
    return new Promise<Result<unknown>>((resolve) => {
      this.pending.set(id, { resolve });
      proc.send({ kind: 'request', id, method, args });
    });
  }

  /**
   * Let the API read (and export into) a path the person picked in the native dialog. Kept in the options, so an
   * engine restarted after a crash knows it too.
   */
  allowPath(p: string): void {
    const roots = (this.opts.dataRoots ??= []);
    if (!roots.includes(p)) roots.push(p);
    this.proc?.send({ kind: 'allow', path: p });
  }

  /** Round trip to the engine process itself (no service call); resolves with its pid. */
  async ping(): Promise<number> {
    await this.start();
    const proc = this.proc;
    if (!proc) throw new Error('engine is restarting');
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (r.ok ? resolve(r.value as number) : reject(new Error(r.error.message))),
      });
      proc.send({ kind: 'ping', id });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.cancelRestart?.(new Error('engine host is closed'));
    this.throttle.dispose();
    const proc = this.proc;
    this.proc = null;
    this.failPending('The engine was shut down.');
    if (!proc) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill();
        resolve();
      }, 5000);
      timer.unref?.();
      proc.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      proc.send({ kind: 'shutdown' });
    });
  }

  private dispatch(e: LabEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // One broken listener (a closed window, a dead socket) must not starve the others.
      }
    }
  }

  private failPending(message: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.resolve(engineError(message, 'The engine restarts on its own; repeat the action.'));
  }

  private spawn(): Promise<void> {
    this.lastStart = Date.now();
    const { launcher: _l, throttleMs: _t, restartDelayMs: _r, ...engineOpts } = this.opts;
    const proc = this.launcher(engineOpts);
    this.proc = proc;
    return new Promise<void>((resolve, reject) => {
      let isReady = false;
      proc.onMessage((msg) => {
        switch (msg.kind) {
          case 'ready':
            isReady = true;
            resolve();
            this.throttle.push(
              this.started
                ? { type: 'engine', state: 'restarted', message: 'The engine was restarted and is ready.' }
                : { type: 'engine', state: 'started', message: `The engine is ready (pid ${msg.pid}).` },
            );
            this.started = true;
            break;
          case 'fatal':
            this.fatal = msg.message;
            break;
          case 'reply': {
            const p = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            p?.resolve(msg.result);
            break;
          }
          case 'pong': {
            const p = this.pending.get(msg.id);
            this.pending.delete(msg.id);
            p?.resolve({ ok: true, value: msg.pid });
            break;
          }
          case 'event':
            this.throttle.push(msg.event);
            break;
        }
      });
      proc.onExit((code, signal) => {
        if (this.proc === proc) this.proc = null;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (!isReady) reject(new Error(this.fatal ?? `the engine process ended during start-up (${how})`));
        if (this.closed) return;
        this.failPending(`The engine process stopped (${how}) while handling this request.`);
        if (this.fatal) {
          this.ready = Promise.reject(new Error(this.fatal));
          this.ready.catch(() => {});
          this.throttle.push({ type: 'engine', state: 'crashed', message: `The engine could not start: ${this.fatal}` });
          return;
        }
        this.throttle.push({ type: 'engine', state: 'crashed', message: `The engine process stopped (${how}); restarting it.` });
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    // Crash loops back off; an engine that ran for a while restarts quickly again.
    const ranFor = Date.now() - this.lastStart;
    const delay = ranFor > 30_000 ? (this.opts.restartDelayMs ?? 500) : this.restartDelay;
    this.restartDelay = Math.min(10_000, delay * 2);
    let release: () => void = () => {};
    let fail: (e: Error) => void = () => {};
    // Requests made while waiting queue on this promise instead of failing.
    this.ready = new Promise<void>((res, rej) => {
      release = res;
      fail = rej;
    });
    this.ready.catch(() => {});
    this.cancelRestart = fail;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.cancelRestart = null;
      if (this.closed) return fail(new Error('engine host is closed'));
      this.spawn().then(release, fail);
    }, delay);
  }
}
