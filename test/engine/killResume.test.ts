// Kill-and-resume: a CLI training run is SIGKILLed at random moments (during start-up, steps, checkpoint and log
// writes, task ends), resumed each time, and must end finished with a consistent store: no duplicated or missing
// steps in metrics.ndjson, one task record per task, a valid checkpoint, an index that agrees with the folders —
// and the same numbers as an uninterrupted run with the same seed.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricRecord, TaskRecord } from '../../preload/api';
import { readLatestCheckpoint } from '../../main/store/checkpoints';
import { readNdjson } from '../../main/store/ndjson';
import { RunIndex } from '../../main/store/runIndex';
import { knowledgeFile, metricsFile, readReconstructions, readSnapshot, readStatus } from '../../main/store/runFiles';
import { tempRoot } from './helpers';

const repo = path.resolve(__dirname, '../..');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const TRAIN_FLAGS = [
  '--preset', 'tiny', '--backend', 'wasm', '--seed', '4', '--tasks', '3', '--max-per-class', '100', '--warmup-epochs', '12',
  '--epochs', '6', '--batch', '50', '--mem-directions', '3', '--mem-explore', '15', '--mem-per-direction', '4', '--rank', '3',
  '--checkpoint-every', '3', '--keep', '2', '--no-baselines', '--json',
];

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs to the end; resolves with exit code and stdout lines. */
function runToEnd(args: string[]): Promise<{ code: number | null; lines: string[]; trainingMs: number }> {
  return new Promise((resolve) => {
    const p = cli(args);
    let out = '';
    let first = 0;
    p.stdout!.on('data', (d) => {
      out += d;
      first ||= Date.now();
    });
    p.stderr!.resume();
    p.on('close', (code) => resolve({ code, lines: out.split('\n').filter(Boolean), trainingMs: first ? Date.now() - first : 0 }));
  });
}

/** Starts, waits for the first stdout line (training under way) plus `delayMs`, then SIGKILLs. */
function runAndKill(args: string[], delayMs: number): Promise<{ killed: boolean; lines: string[] }> {
  return new Promise((resolve) => {
    const p = cli(args);
    let out = '';
    let timer: NodeJS.Timeout | null = null;
    p.stdout!.on('data', (d) => {
      out += d;
      if (!timer) timer = setTimeout(() => p.kill('SIGKILL'), delayMs);
    });
    p.stderr!.resume();
    p.on('close', (_code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', lines: out.split('\n').filter(Boolean) });
    });
  });
}

function runIdOf(lines: string[]): string | null {
  for (const l of lines) {
    try {
      const o = JSON.parse(l) as { runId?: string };
      if (o.runId) return o.runId;
    } catch {
      // a line cut by the kill
    }
  }
  return null;
}

function checkConsistent(root: string, runId: string, tasks: number): { steps: number[]; records: TaskRecord[] } {
  const dir = path.join(root, runId);
  const metrics = readNdjson<MetricRecord>(metricsFile(dir)).records;
  const knowledge = readNdjson<TaskRecord>(knowledgeFile(dir)).records;
  const steps = metrics.map((m) => m.step);
  const records = knowledge.filter((k) => k.kind === 'task');
  // records in task order, at most one per task
  expect(records.map((r) => r.task)).toEqual(records.map((_, i) => i));
  expect(records.length).toBeLessThanOrEqual(tasks);
  return { steps, records };
}

describe('kill and resume', () => {
  it('survives many SIGKILLs at random moments and ends with the same result as an uninterrupted run', async () => {
    // reference: the same run without interruption
    const refRoot = tempRoot('ref');
    roots.push(refRoot);
    const ref = await runToEnd(['train', '--runs-root', refRoot, ...TRAIN_FLAGS]);
    expect(ref.code).toBe(0);
    const refId = runIdOf(ref.lines)!;
    const refMetrics = readNdjson<MetricRecord>(metricsFile(path.join(refRoot, refId))).records;
    const refTasks = readNdjson<TaskRecord>(knowledgeFile(path.join(refRoot, refId))).records.filter((k) => k.kind === 'task');
    expect(refTasks).toHaveLength(3);

    const root = tempRoot('kill');
    roots.push(root);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let runId: string | null = null;
    let kills = 0;
    let finished = false;
    for (let attempt = 0; attempt < 25 && kills < 10 && !finished; attempt++) {
      const args = runId ? ['resume', runId, '--runs-root', root, '--backend', 'wasm', '--json'] : ['train', '--runs-root', root, ...TRAIN_FLAGS];
      // kill points spread over the training time of the uninterrupted run (it sets the machine's speed)
      const r = await runAndKill(args, Math.floor(rand() * (ref.trainingMs / 5)));
      runId ??= runIdOf(r.lines) ?? (fs.readdirSync(root).find((n) => /^\d{8}-/.test(n)) ?? null);
      if (r.killed) kills++;
      if (!runId) continue; // killed before the run folder existed: start over
      const st = readStatus(path.join(root, runId));
      finished = !r.killed && st?.status === 'finished';
      // after every kill the store reads back consistently and the index agrees with the folder
      checkConsistent(root, runId, 3);
      const listed = (await new RunIndex(root).list()).find((s) => s.id === runId);
      expect(listed, 'run listed').toBeDefined();
      if (r.killed) expect(['interrupted', 'created', 'finished']).toContain(listed!.status);
    }
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(runId).not.toBeNull();
    if (!finished) {
      const last = await runToEnd(['resume', runId!, '--runs-root', root, '--backend', 'wasm', '--json']);
      expect(last.code).toBe(0);
      const summary = JSON.parse(last.lines[last.lines.length - 1]) as { type: string; status: string };
      expect(summary.type).toBe('summary');
      expect(summary.status).toBe('finished');
    }
    const dir = path.join(root, runId!);
    const { steps, records } = checkConsistent(root, runId!, 3);
    expect(records).toHaveLength(3);
    // every step logged exactly once, in order
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    expect(steps.length).toBe(refMetrics.length);
    // same numbers as the uninterrupted run (same backend, same seed: deterministic up to float noise)
    const got = readNdjson<MetricRecord>(metricsFile(dir)).records;
    got.forEach((m, i) => expect(m.T).toBeCloseTo(refMetrics[i].T, 3));
    records.forEach((r, i) => expect(r.accAllPaper).toBeCloseTo(refTasks[i].accAllPaper, 2));
    expect(readLatestCheckpoint(dir)).not.toBeNull();
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // the pictures a reopened run shows are those of the last task end, whole
    expect(readSnapshot(dir)?.task).toBe(2);
    expect(readReconstructions(dir)?.task).toBe(2);
    const summary = (await new RunIndex(root).list()).find((s) => s.id === runId)!;
    expect(summary.status).toBe('finished');
    expect(summary.tasksDone).toBe(3);
  }, 600_000);
});
