// CLI: exit codes (0 ok, 2 bad input/usage, 1 failure) and --json lines, run in child processes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RECIPE, QUICK_OVERRIDES } from '../../main/engine/recipe';
import { tempRoot } from './helpers';

const repo = path.resolve(__dirname, '../..');
const root = tempRoot('cli');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

describe('crate-lab train / runs / eval / resume', () => {
  it('trains a tiny curriculum with --json: JSON lines ending with a summary, exit 0; runs and eval see it', () => {
    const r = cli([
      'train', '--runs-root', root, '--preset', 'tiny', '--backend', 'wasm', '--tasks', '2', '--max-per-class', '60',
      '--warmup-epochs', '3', '--epochs', '1', '--batch', '40', '--mem-directions', '2', '--mem-explore', '10', '--mem-per-direction', '3',
      '--rank', '3', '--feature-dim', '12', '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const objs = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.every((o) => typeof o.type === 'string')).toBe(true);
    expect(objs.some((o) => o.type === 'progress')).toBe(true);
    expect(objs.filter((o) => o.type === 'task-result')).toHaveLength(2);
    const s = objs[objs.length - 1] as {
      type: string; status: string; accuracy_matrix: number[][]; accuracy_matrix_paper: number[][]; last_accuracy: number;
      last_accuracy_paper: number; average_incremental_accuracy: number; elapsed_seconds: number; samples_per_second: number;
      backend: string; baselines: Record<string, number>; runId: string;
    };
    expect(s.type).toBe('summary');
    expect(s.status).toBe('finished');
    expect(s.accuracy_matrix.map((row) => row.length)).toEqual([2, 4]);
    expect(s.accuracy_matrix_paper.map((row) => row.length)).toEqual([2, 4]);
    for (const v of [s.last_accuracy, s.last_accuracy_paper, s.average_incremental_accuracy]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(s.last_accuracy).toBeCloseTo(s.accuracy_matrix[1].reduce((a, b) => a + b, 0) / 4, 1); // balanced test split
    expect(s.elapsed_seconds).toBeGreaterThan(0);
    expect(s.samples_per_second).toBeGreaterThan(0);
    expect(s.backend).toBe('wasm');
    const runJson = JSON.parse(fs.readFileSync(path.join(root, s.runId, 'run.json'), 'utf8')) as { config: { model: { featureDim: number } } };
    expect(runJson.config.model.featureDim).toBe(12); // --feature-dim overrides the preset's 16, and eval/resume below read it back
    for (const k of ['rawPixelLast', 'randomEncoderLast', 'noMemoryLastMemory', 'frozenMemory', 'frozenPaper', 'frozenLda', 'frozenNcm', 'frozenLdaAvg', 'frozenNcmAvg'])
      expect(s.baselines[k], k).toBeGreaterThanOrEqual(0);
    // the loop-fidelity figures of the last task, as knowledge.ndjson records them
    const lf = (objs.filter((o) => o.type === 'task-result').pop() as { record: { loopFidelity: Record<string, number> } }).record.loopFidelity;
    const sum = s as unknown as Record<string, number>;
    expect(sum.reconstruction_accuracy).toBe(lf.reconstructionAll);
    expect(sum.decoded_memory_accuracy).toBe(lf.decodedMemoryAll);
    expect(sum.decoded_memory_pixel_accuracy).toBe(lf.decodedMemoryPixelAll);
    for (const k of ['reconstruction_accuracy', 'decoded_memory_accuracy', 'decoded_memory_pixel_accuracy']) expect(sum[k], k).toBeGreaterThanOrEqual(0);
    // the elapsed time split into task ends (evaluation, fidelity, baselines) and learning, from the task records
    const recs = objs.filter((o) => o.type === 'task-result').map((o) => (o as { record: { evaluationSeconds: number; peakRssBytes: number } }).record);
    expect(recs.every((r) => r.evaluationSeconds > 0)).toBe(true);
    expect(sum.evaluation_seconds).toBeCloseTo(recs[0].evaluationSeconds + recs[1].evaluationSeconds, 6);
    expect(sum.evaluation_seconds! + sum.training_seconds!).toBeCloseTo(s.elapsed_seconds, 6);
    expect(sum.training_seconds).toBeGreaterThan(0);
    // peak memory: of the process, so it never falls between task ends, and the summary's is at least the last record's
    expect(recs[1].peakRssBytes).toBeGreaterThanOrEqual(recs[0].peakRssBytes);
    expect(sum.peak_rss_bytes).toBeGreaterThanOrEqual(recs[1].peakRssBytes);
    expect(sum.peak_rss_bytes).toBeGreaterThan(50 * 2 ** 20);

    const runs = cli(['runs', '--runs-root', root, '--json']);
    expect(runs.code).toBe(0);
    const lines = runs.lines.map((l) => JSON.parse(l) as { type: string; id: string; status: string; tasksDone: number; lastAccuracy: number; settings: string[]; runIds?: string[] });
    // one line per run, then one per group of runs of the same settings (here the run alone)
    const listed = lines.filter((l) => l.type === 'run');
    expect(listed).toHaveLength(1);
    expect(lines.filter((l) => l.type === 'group').map((g) => g.runIds)).toEqual([[s.runId]]);
    expect(listed[0]).toMatchObject({ id: s.runId, status: 'finished', tasksDone: 2 });
    // what this run was asked to do beyond a plain `train`, as the flags set it (the table lists them too)
    expect([...listed[0].settings].sort()).toEqual(
      ['tasks 2', 'featureDim 12', 'warmupEpochs 3', 'epochs 1', 'batchSize 40', 'maxPerClass 60', 'memDirections 2', 'memExplore 10', 'memPerDirection 3', 'subspaceRank 3'].sort(),
    );
    expect(cli(['runs', '--runs-root', root]).stdout).toContain('(tasks 2, featureDim 12,');
    expect(listed[0].lastAccuracy).toBeCloseTo(s.last_accuracy, 6);

    const ev = cli(['eval', s.runId, '--runs-root', root, '--backend', 'wasm', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    const e = JSON.parse(ev.lines[0]) as { seen: number[]; accAllPaper: number };
    expect(e.seen).toEqual([0, 1, 2, 3]);
    expect(e.accAllPaper).toBeCloseTo(s.last_accuracy_paper, 6);

    const again = cli(['resume', s.runId, '--runs-root', root, '--backend', 'wasm', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.lines[again.lines.length - 1]).status).toBe('finished');
  }, 300_000);

  it('exits 2 with a readable message on bad input', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--runs-root', root, '--preset', 'nope', '--backend', 'cpu'], /unknown preset 'nope'/],
      [['train', '--runs-root', root, '--data', 'idx:/no/such/dir', '--preset', 'tiny', '--backend', 'cpu'], /no such file or folder/],
      [['train', '--runs-root', root, '--preset', 'tiny', '--backend', 'cpu', '--order', '0,0'], /appears twice/],
      [['train', '--runs-root', root, '--classes-per-task', 'x'], /--classes-per-task.*integer/],
      [['resume', 'no-such-run', '--runs-root', root, '--backend', 'cpu'], /no run 'no-such-run'/],
      [['eval', 'no-such-run', '--runs-root', root, '--backend', 'cpu'], /no run 'no-such-run'/],
      [['train', '--bogus-flag'], /unknown option/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, 120_000);

  it('exits 1 when training fails (non-finite input diverges three times)', () => {
    // lr 1e30 makes the weights overflow: the divergence guard restores and halves three times, then gives up
    const r = cli([
      'train', '--runs-root', root, '--preset', 'tiny', '--backend', 'wasm', '--tasks', '1', '--max-per-class', '40',
      '--warmup-epochs', '2', '--epochs', '1', '--batch', '40', '--lr', '1e30', '--rank', '2', '--no-baselines', '--json',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; status: string; message: string };
    expect(s.type).toBe('summary');
    expect(s.status).toBe('failed');
    expect(s.message).toMatch(/diverged.*gave up after 3/);
    const knowledge = r.lines.map((l) => JSON.parse(l)).filter((o) => o.type === 'knowledge' && o.record.event === 'divergence');
    expect(knowledge).toHaveLength(3);
  }, 120_000);

  it('prints help for each command', () => {
    for (const c of ['train', 'resume', 'eval', 'runs']) {
      const r = cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: crate-lab/);
      // train's recipe flags say what a run uses without them, read from the recipe itself
      if (c === 'train') {
        const flat = r.stdout.replace(/\s+/g, ' ');
        expect(flat).toContain(`first (default ${DEFAULT_RECIPE.laterLrScale})`);
        expect(flat).toContain(`closed-loop epochs per task (default ${DEFAULT_RECIPE.epochs}; --quick ${QUICK_OVERRIDES.epochs})`);
      }
    }
  }, 120_000);
});
