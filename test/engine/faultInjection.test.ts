// Fault injection at the command line (tiny preset): SIGKILL then an immediate resume, again and again (never refused);
// a live writer's lock refuses a second one and --force overrides it; a lock left by a process whose PID was reused is
// recovered; two resumes started together: exactly one trains and the log has no duplicate; every checkpoint corrupt:
// resume exits 3 and changes nothing, --restart learns again and keeps the corrupt ones aside; a killed export leaves
// no staging folder behind once the next export ran.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KnowledgeRecord, MetricRecord } from '../../preload/api';
import { listCheckpoints } from '../../main/store/checkpoints';
import { readNdjson } from '../../main/store/ndjson';
import { knowledgeFile, metricsFile } from '../../main/store/runFiles';
import { lockFile, processStartTime, type LockHolder } from '../../main/store/runLock';
import { tempRoot } from './helpers';

const repo = path.resolve(__dirname, '../..');
const root = tempRoot('faults');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// long enough (≈ 10 s of training on 2 busy cores) that two resumes started together overlap
const FLAGS = [
  '--preset', 'tiny', '--backend', 'wasm', '--seed', '5', '--tasks', '2', '--max-per-class', '80', '--warmup-epochs', '10',
  '--epochs', '6', '--batch', '40', '--mem-directions', '2', '--mem-explore', '10', '--mem-per-direction', '3', '--rank', '3',
  '--checkpoint-every', '2', '--keep', '3', '--no-baselines', '--json',
];
const COMMON = ['--runs-root', root, '--backend', 'wasm', '--json'];

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Outcome {
  code: number | null;
  killed: boolean;
  lines: string[];
  stderr: string;
}

/** Runs a command; with `killAfterMs` it is SIGKILLed that long after its first progress line. */
function run(args: string[], killAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const p = cli(args);
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | null = null;
    p.stdout!.on('data', (d) => {
      out += d;
      if (killAfterMs !== undefined && !timer && out.includes('"type":"progress"')) timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    });
    p.stderr!.on('data', (d) => (err += d));
    p.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, killed: signal === 'SIGKILL', lines: out.split('\n').filter(Boolean), stderr: err });
    });
  });
}

const trained = (o: Outcome): boolean => o.lines.some((l) => l.includes('"type":"progress"'));
const summaryOf = (o: Outcome): { type: string; status: string } | null => {
  try {
    return JSON.parse(o.lines[o.lines.length - 1]!) as { type: string; status: string };
  } catch {
    return null;
  }
};

function plantLock(runDir: string, h: Partial<LockHolder>): void {
  const full: LockHolder = { pid: process.pid, host: os.hostname(), start: processStartTime(process.pid), boot: null, since: new Date().toISOString(), command: 'a planted holder', token: 'planted', ...h };
  fs.writeFileSync(lockFile(runDir), JSON.stringify(full));
}

function steps(runDir: string): number[] {
  return readNdjson<MetricRecord>(metricsFile(runDir)).records.map((m) => m.step);
}

describe('fault injection at the command line', () => {
  it('SIGKILL + immediate resume, lock refusal and --force, PID reuse, two resumes at once: one writer, no duplicate step', async () => {
    const first = await run(['train', '--runs-root', root, ...FLAGS], 300);
    expect(first.killed).toBe(true);
    const runId = fs.readdirSync(root).find((n) => /^\d{8}-/.test(n))!;
    expect(runId).toBeDefined();
    const dir = path.join(root, runId);

    // 1. killed, then resumed at once: never refused as "still running", training goes on each time
    for (let i = 0; i < 3; i++) {
      const r = await run(['resume', runId, ...COMMON], 200 + 150 * i);
      expect(r.stderr).not.toMatch(/being written by/);
      expect(trained(r), r.stderr).toBe(true);
      expect(r.killed).toBe(true);
    }

    // 2. a live writer (this test process, as its lock records it) refuses a second; nothing is touched
    plantLock(dir, {});
    const before = fs.readFileSync(metricsFile(dir));
    const refused = await run(['resume', runId, ...COMMON]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is being written by process ${process.pid}`);
    expect(refused.stderr).toContain('(a planted holder)');
    expect(fs.readFileSync(metricsFile(dir)).equals(before)).toBe(true);
    // --force overrides it, with a warning
    const forced = await run(['resume', runId, ...COMMON, '--force'], 200);
    expect(forced.stderr).toMatch(/warning: --force: taking the run over from process \d+/);
    expect(trained(forced)).toBe(true);

    // 3. a lock whose PID now belongs to another process (this one, started at another time) is stale; and two resumes
    // started together race for it: exactly one trains, the other is refused naming the winner
    plantLock(dir, { start: '1' });
    const [a, b] = await Promise.all([run(['resume', runId, ...COMMON]), run(['resume', runId, ...COMMON])]);
    const winner = a.code === 0 ? a : b;
    const loser = winner === a ? b : a;
    expect(winner.code, winner.stderr).toBe(0);
    expect(summaryOf(winner)?.status).toBe('finished');
    expect(loser.code, loser.stderr).toBe(2);
    expect(loser.stderr).toMatch(/is being written by process \d+ on .*crate-lab resume/);
    expect(trained(loser)).toBe(false);
    const s = steps(dir);
    expect(s).toEqual(s.map((_, i) => i + 1)); // every step once, in order
    const knowledge = readNdjson<KnowledgeRecord>(knowledgeFile(dir)).records;
    expect(knowledge.filter((k) => k.kind === 'event' && k.event === 'finished')).toHaveLength(1);
    expect(fs.existsSync(lockFile(dir))).toBe(false); // released at the end
  }, 600_000);

  it('every checkpoint corrupt: resume exits 3 naming each and changes nothing; --restart learns again, keeping them aside', async () => {
    const t = await run(['train', '--runs-root', root, ...FLAGS, '--tasks', '1', '--epochs', '1', '--warmup-epochs', '2']);
    expect(t.code, t.stderr).toBe(0);
    const runId = (JSON.parse(t.lines[t.lines.length - 1]!) as { runId: string }).runId;
    const dir = path.join(root, runId);
    const cks = listCheckpoints(dir);
    expect(cks.length).toBeGreaterThan(1);
    for (const s of cks) {
      const w = path.join(dir, 'checkpoints', String(s), 'weights.bin');
      const b = fs.readFileSync(w);
      b[b.length >> 1] ^= 0xff;
      fs.writeFileSync(w, b);
    }
    const metricsBefore = fs.readFileSync(metricsFile(dir));
    const r = await run(['resume', runId, ...COMMON]);
    expect(r.code).toBe(3);
    for (const s of cks) expect(r.stderr).toContain(`step ${s} (${path.join(dir, 'checkpoints', String(s), 'weights.bin')}: checksum mismatch (file corrupt))`);
    expect(r.stderr).toMatch(/Nothing was changed\. Resume with --restart/);
    expect(JSON.parse(r.lines[r.lines.length - 1]!)).toMatchObject({ type: 'error', code: 'unreadable-checkpoints' });
    expect(listCheckpoints(dir)).toEqual(cks);
    expect(fs.readFileSync(metricsFile(dir)).equals(metricsBefore)).toBe(true);

    const again = await run(['resume', runId, ...COMMON, '--restart']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/restarted from the beginning on request \(--restart\)/);
    const aside = fs.readdirSync(path.join(dir, 'checkpoints')).filter((n) => n.startsWith('corrupt-')).sort();
    expect(aside).toEqual(cks.map((s) => `corrupt-${s}`).sort());
    const knowledge = readNdjson<KnowledgeRecord>(knowledgeFile(dir)).records;
    expect(knowledge.some((k) => k.kind === 'event' && k.event === 'resumed' && /on request \(--restart\)/.test(k.message))).toBe(true);

    // only the newest corrupt: resumed from the one before, the skipped one named and kept
    const now = listCheckpoints(dir);
    const newest = now[now.length - 1]!;
    const w = path.join(dir, 'checkpoints', String(newest), 'manifest.json');
    fs.writeFileSync(w, '{ torn');
    const skip = await run(['resume', runId, ...COMMON]);
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stderr).toContain(`skipped unreadable checkpoint(s) step ${newest} (${w}: missing or not valid JSON)`);
    expect(fs.existsSync(path.join(dir, 'checkpoints', `corrupt-${newest}`, 'manifest.json'))).toBe(true);
  }, 600_000);

  it('a killed export leaves a staging folder that the next export removes; the destination is whole', async () => {
    const runId = fs.readdirSync(root).filter((n) => /^\d{8}-/.test(n)).sort()[0]!;
    const exports = path.join(root, runId, 'exports');
    const p = cli(['export', runId, '--runs-root', root, '--what', 'encoder', '--format', 'onnx']);
    p.stdout!.resume();
    p.stderr!.resume();
    const staged = await new Promise<boolean>((resolve) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        const names = fs.existsSync(exports) ? fs.readdirSync(exports) : [];
        if (names.some((n) => n.endsWith('.tmp'))) {
          clearInterval(poll);
          p.kill('SIGKILL');
          resolve(true);
        } else if (Date.now() - t0 > 120_000 || p.exitCode !== null) {
          clearInterval(poll);
          resolve(false);
        }
      }, 5);
    });
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('close', r)));
    expect(staged).toBe(true);
    expect(fs.readdirSync(exports).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);
    expect(fs.existsSync(path.join(exports, 'encoder-onnx'))).toBe(false); // nothing half-published
    const again = await run(['export', runId, '--runs-root', root, '--what', 'encoder', '--format', 'onnx']);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readdirSync(exports).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(fs.existsSync(path.join(exports, 'encoder-onnx', 'encoder.onnx'))).toBe(true);
  }, 300_000);
});
