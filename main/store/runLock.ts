// One writer per run: <run>/writer.lock, created atomically (O_CREAT|O_EXCL) by whoever trains the run (a CLI
// `train`/`resume`, the engine of a window or of web mode) and removed when it stops.
//
// The file says who holds it: pid, host, the process's start time and the boot id. A holder is alive only when all of
// them still match: a PID alone lies right after a SIGKILL (a zombie not yet reaped still answers kill(pid, 0)) and
// forever once the PID is reused by another process. A lock whose holder is gone is stale and is taken over; taking
// over happens under a second exclusive file (writer.lock.break) and only if the lock still holds what was judged
// stale, so two processes recovering the same stale lock cannot both win.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_NAME = 'writer.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** process start time as the OS tells it (/proc/<pid>/stat field 22 on Linux, `ps -o lstart=` elsewhere); null if unknown */
  start: string | null;
  /** Linux boot id: a lock from before a reboot is stale whatever its PID */
  boot: string | null;
  since: string;
  /** what the holder is doing, for the refusal message (e.g. "crate-lab resume 2026…") */
  command: string;
  /** random, so a release removes only its own lock */
  token: string;
}

export type Liveness = 'alive' | 'dead' | 'elsewhere';

/** A second writer was refused; `holder` says who has the run. */
export class RunLockedError extends Error {
  readonly code = 'conflict';
  constructor(
    readonly runDir: string,
    readonly holder: LockHolder,
    readonly liveness: Liveness,
  ) {
    super(
      `run ${path.basename(runDir)} is being written by ${describeHolder(holder)}` +
        (liveness === 'elsewhere'
          ? `, which may be running on that machine (this one cannot check); if you are sure it is not, resume with --force`
          : `; stop it first (or, if you know that process is not training this run, resume with --force)`),
    );
    this.name = 'RunLockedError';
  }
}

export function describeHolder(h: LockHolder): string {
  return `process ${h.pid} on ${h.host}${h.command ? ` (${h.command})` : ''}, since ${h.since}`;
}

// ---------------------------------------------------------------------------------------------
// process identity

const procStat = (pid: number): string | null => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
};

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
}

const hasProc = (): boolean => fs.existsSync('/proc/self/stat');

/** When a process started, in the OS's own units; null when this platform cannot say. */
export function processStartTime(pid: number): string | null {
  if (hasProc()) {
    const s = procStat(pid);
    return s ? (statFields(s)[19] ?? null) : null; // field 22 (starttime); fields here start at field 3
  }
  if (process.platform === 'win32') return null;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    return out || null;
  } catch {
    return null;
  }
}

export function bootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

let self: Omit<LockHolder, 'since' | 'command' | 'token'> | null = null;
function me(): Omit<LockHolder, 'since' | 'command' | 'token'> {
  self ??= { pid: process.pid, host: os.hostname(), start: processStartTime(process.pid), boot: bootId() };
  return self;
}

/** Is the process that wrote `h` still the one running under its PID? */
export function holderLiveness(h: LockHolder): Liveness {
  const here = me();
  if (h.host !== here.host) return 'elsewhere';
  if (h.boot && here.boot && h.boot !== here.boot) return 'dead';
  if (!Number.isInteger(h.pid) || h.pid <= 0) return 'dead';
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  if (hasProc()) {
    const s = procStat(h.pid);
    if (!s) return 'dead';
    const f = statFields(s);
    if (f[0] === 'Z' || f[0] === 'X') return 'dead'; // killed, not yet reaped by its parent
    if (h.start !== null && f[19] !== h.start) return 'dead'; // the PID now belongs to another process
    return 'alive';
  }
  const start = processStartTime(h.pid);
  if (h.start !== null && start !== null && start !== h.start) return 'dead';
  return 'alive';
}

// ---------------------------------------------------------------------------------------------
// the lock

const held = new Set<RunLock>();
let exitHook = false;

/** A held lock; release() is idempotent and also runs when the process exits normally. */
export class RunLock {
  private released = false;
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    held.add(this);
    if (!exitHook) {
      exitHook = true;
      // normal exits and process.exit(): a SIGKILL leaves the file behind, and the next writer recovers it
      process.on('exit', () => {
        for (const l of [...held]) l.release();
      });
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    const now = readHolder(this.file);
    if (now && now !== 'unreadable' && now.token === this.holder.token) fs.rmSync(this.file, { force: true });
  }
}

export function lockFile(runDir: string): string {
  return path.join(runDir, LOCK_NAME);
}

/** The holder recorded in a lock file; null when there is none, 'unreadable' while it is being written or torn. */
export function readHolder(file: string): LockHolder | null | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** The live holder of a run's lock, or null when nobody holds it (no lock, or a stale one). */
export function liveHolder(runDir: string): { holder: LockHolder; liveness: Liveness } | null {
  const h = readHolder(lockFile(runDir));
  if (!h || h === 'unreadable') return null;
  const liveness = holderLiveness(h);
  return liveness === 'dead' ? null : { holder: h, liveness };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** A lock file this old that still does not parse was left by a writer killed between create and write. */
const TORN_LOCK_MS = 2000;
/** The break file is held for milliseconds; one this old belongs to a process that died holding it. */
const STALE_BREAK_MS = 5000;

export interface AcquireOptions {
  /** take the lock even from a holder that looks alive (a person who knows better); `warn` is told */
  force?: boolean;
  /** what the holder is doing, stored in the lock for a refused second writer */
  command?: string;
  warn?: (message: string) => void;
}

/** Take the run's writer lock or throw RunLockedError naming the holder. Synchronous: nothing interleaves. */
export function acquireRunLock(runDir: string, opts: AcquireOptions = {}): RunLock {
  const file = lockFile(runDir);
  const holder: LockHolder = {
    ...me(),
    since: new Date().toISOString(),
    command: (opts.command ?? defaultCommand()).slice(0, 200),
    token: randomBytes(12).toString('hex'),
  };
  const text = JSON.stringify(holder);
  for (let attempt = 0; attempt < 200; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const seen = readHolder(file);
      if (seen === null) continue; // released between our open and our read
      if (seen === 'unreadable') {
        if (ageMs(file) < TORN_LOCK_MS) {
          sleepSync(20); // its writer is between open and write
          continue;
        }
        breakLock(file, null);
        continue;
      }
      const liveness = holderLiveness(seen);
      if (liveness !== 'dead') {
        if (!opts.force) throw new RunLockedError(runDir, seen, liveness);
        opts.warn?.(`warning: --force: taking the run over from ${describeHolder(seen)}; if that process is still training it, the run's files will be corrupted`);
      }
      breakLock(file, seen.token);
      continue;
    }
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return new RunLock(file, holder);
  }
  throw new Error(`${file}: could not take the run's writer lock (it keeps changing hands)`);
}

/** Remove the lock if it still holds what was judged stale (`token`, or unparsable when null), under writer.lock.break. */
function breakLock(file: string, token: string | null): void {
  const breaker = `${file}.break`;
  let fd: number;
  try {
    fd = fs.openSync(breaker, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (ageMs(breaker) > STALE_BREAK_MS) fs.rmSync(breaker, { force: true });
    else sleepSync(10);
    return;
  }
  try {
    fs.writeSync(fd, String(process.pid));
    fs.closeSync(fd);
    const now = readHolder(file);
    const same = token === null ? now === 'unreadable' : now !== null && now !== 'unreadable' && now.token === token;
    if (same) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

function defaultCommand(): string {
  const script = process.argv[1] ?? '';
  if (/cli[/\\]index\.[tj]s$/.test(script)) return `crate-lab ${process.argv.slice(2).join(' ')}`;
  if (/engine[/\\]entry\.[tj]s$|entry-[\w-]+\.js$/.test(script) || process.env['CRATE_ENGINE_OPTIONS']) return 'the engine of a CRATE Lab window or web server';
  return `${path.basename(script || 'node')} ${process.argv.slice(2).join(' ')}`.trim();
}
