// The run's writer lock: one holder, named in the refusal; stale locks (dead holder, reused PID, torn file, zombie)
// recovered; --force takes over with a warning; several processes racing for one lock: exactly one wins.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock, holderLiveness, liveHolder, lockFile, processStartTime, readHolder, RunLockedError, type LockHolder } from '../../main/store/runLock';

const repo = path.resolve(__dirname, '../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-lock-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const runDir = (): string => {
  const d = path.join(root, `run${n++}`);
  fs.mkdirSync(d);
  return d;
};

/** A lock file as another process would have written it. */
function plant(dir: string, h: Partial<LockHolder>): void {
  const full: LockHolder = { pid: 1, host: os.hostname(), start: null, boot: null, since: '2026-01-01T00:00:00Z', command: 'crate-lab resume x', token: 'planted', ...h };
  fs.writeFileSync(lockFile(dir), JSON.stringify(full));
}

/** A PID that no process has (the largest ones are not handed out on a quiet machine). */
function deadPid(): number {
  for (let p = 4_194_000; p > 4_000_000; p--) {
    try {
      process.kill(p, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return p;
    }
  }
  throw new Error('no free pid found');
}

describe('run writer lock', () => {
  it('holds pid, host and start time; a second writer is refused with a message naming the holder; release frees it', () => {
    const dir = runDir();
    const lock = acquireRunLock(dir, { command: 'crate-lab resume A' });
    const h = readHolder(lockFile(dir)) as LockHolder;
    expect(h.pid).toBe(process.pid);
    expect(h.host).toBe(os.hostname());
    if (process.platform === 'linux') expect(h.start).toMatch(/^\d+$/);
    expect(liveHolder(dir)?.holder.token).toBe(h.token);
    let err: unknown = null;
    try {
      acquireRunLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunLockedError);
    expect((err as Error).message).toContain(`process ${process.pid} on ${os.hostname()} (crate-lab resume A)`);
    expect((err as Error).message).toMatch(/stop it first.*--force/);
    lock.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
    acquireRunLock(dir).release(); // free again
  });

  it('recovers the lock of a dead process, of a reused PID (same pid, other start time), a torn file and another boot', () => {
    const dead = runDir();
    plant(dead, { pid: deadPid() });
    expect(liveHolder(dead)).toBeNull();
    acquireRunLock(dead).release();

    // PID reuse: the recorded pid is alive (this very process) but started at another time
    const reused = runDir();
    plant(reused, { pid: process.pid, start: '1' });
    expect(holderLiveness(readHolder(lockFile(reused)) as LockHolder)).toBe(process.platform === 'linux' ? 'dead' : 'alive');
    if (process.platform === 'linux') acquireRunLock(reused).release();

    // same pid and start time: alive, refused
    const same = runDir();
    plant(same, { pid: process.pid, start: processStartTime(process.pid) });
    expect(() => acquireRunLock(same)).toThrow(RunLockedError);

    // a writer killed between creating the file and writing it: unparsable and older than a moment
    const torn = runDir();
    fs.writeFileSync(lockFile(torn), '{"pid":');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile(torn), old, old);
    acquireRunLock(torn).release();

    if (fs.existsSync('/proc/sys/kernel/random/boot_id')) {
      const reboot = runDir();
      plant(reboot, { pid: process.pid, start: processStartTime(process.pid), boot: 'an-earlier-boot' });
      expect(liveHolder(reboot)).toBeNull();
    }
  });

  it('treats a killed but not yet reaped process (zombie) as dead', async () => {
    if (process.platform !== 'linux') return;
    // a child that exits at once while nobody reaps it: detached + no wait keeps it a zombie until the parent waits
    const child = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    const pid = child.pid!;
    const start = processStartTime(pid);
    const deadline = Date.now() + 5000;
    let state = '';
    while (Date.now() < deadline) {
      state = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]! : 'gone';
      if (state === 'Z' || state === 'gone') break;
      spawnSync('sleep', ['0.05']); // block the event loop: node reaps the child only from it
    }
    const dir = runDir();
    plant(dir, { pid, start });
    expect(['Z', 'gone']).toContain(state);
    expect(liveHolder(dir)).toBeNull();
    await new Promise((r) => child.once('exit', r));
  });

  it('--force takes the lock from a live holder and says so', () => {
    const dir = runDir();
    plant(dir, { pid: process.pid, start: processStartTime(process.pid), token: 'other' });
    const warnings: string[] = [];
    const lock = acquireRunLock(dir, { force: true, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/--force: taking the run over from process \d+ .*corrupted/);
    expect((readHolder(lockFile(dir)) as LockHolder).token).toBe(lock.holder.token);
    lock.release();
  });

  it('a lock held on another host is not judged from here: refused, with --force named', () => {
    const dir = runDir();
    plant(dir, { pid: process.pid, host: 'some-other-machine' });
    expect(() => acquireRunLock(dir)).toThrow(/on some-other-machine .*this one cannot check.*--force/);
  });

  it('release removes only its own lock', () => {
    const dir = runDir();
    const lock = acquireRunLock(dir);
    plant(dir, { pid: process.pid, token: 'someone-else' }); // e.g. taken over with --force meanwhile
    lock.release();
    expect((readHolder(lockFile(dir)) as LockHolder).token).toBe('someone-else');
  });

  it('four processes racing for one stale lock: exactly one gets it', async () => {
    const dir = runDir();
    plant(dir, { pid: deadPid() });
    const script = `
      import { acquireRunLock } from ${JSON.stringify(path.join(repo, 'main/store/runLock.ts'))};
      const go = Number(process.argv[1]);
      while (Date.now() < go) {}
      try { acquireRunLock(${JSON.stringify(dir)}); console.log('won'); setTimeout(() => {}, 1500); }
      catch (e) { console.log(e.name === 'RunLockedError' ? 'refused' : 'error ' + e.message); }`;
    const go = Date.now() + 2500; // all four past start-up before any tries
    const outs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<string>((resolve) => {
            const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, String(go)], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
            let o = '';
            p.stdout.on('data', (d) => (o += d));
            p.on('close', () => resolve(o.trim()));
          }),
      ),
    );
    expect(outs.filter((o) => o === 'won')).toHaveLength(1);
    expect(outs.filter((o) => o === 'refused')).toHaveLength(3);
    expect(fs.existsSync(lockFile(dir))).toBe(false); // the winner released it on exit
  });
});
