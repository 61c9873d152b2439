// Seed sweeps from the CLI: `train --seeds` runs the settings once per seed and ends with a sweep-summary whose means
// and standard deviations are those of the runs' own summaries; a SIGKILLed sweep continues with the run it was in;
// `runs` shows the group, `report SWEEP` writes its page, `export RUN --what view` writes the 3D view as data; and
// --order-seed draws one class order that every member shares.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../../main/export/npy';
import { readRunJson, readSnapshot } from '../../main/store/runFiles';
import { readSweep, type SweepJson } from '../../main/store/sweepFiles';
import { decodeWireTensor } from '../../renderer/src/lib/wireTensor';
import { tempRoot } from './helpers';

const repo = path.resolve(__dirname, '../..');
const root = tempRoot('sweep');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// seconds per run on the tiny preset; baselines on, so the summary carries every kind of figure
const FLAGS = [
  '--runs-root', root, '--preset', 'tiny', '--backend', 'wasm', '--tasks', '2', '--max-per-class', '30', '--warmup-epochs', '2',
  '--epochs', '1', '--batch', '30', '--mem-directions', '2', '--mem-explore', '8', '--mem-per-direction', '2', '--rank', '2',
  '--feature-dim', '12', '--order-seed', '5',
];

type Json = Record<string, unknown>;
type Fig = { mean: number; std: number | null; n: number; values: { runId: string; seed: number; value: number }[] };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
  const lines = r.stdout.split('\n').filter(Boolean);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, get objs() { return lines.map((l) => JSON.parse(l) as Json); } };
}

/** The test's own arithmetic: mean and sample std (n − 1) of every number of the summaries, baselines included. */
function expectedFigures(summaries: Json[]): Record<string, { mean: number; std: number; values: number[] }> {
  const flat = summaries.map((s) => {
    const f: Record<string, number> = {};
    for (const [k, v] of Object.entries(s)) {
      if (typeof v === 'number') f[k] = v;
      if (k === 'baselines') for (const [b, x] of Object.entries(v as Record<string, number>)) f[`baselines.${b}`] = x;
    }
    return f;
  });
  const out: Record<string, { mean: number; std: number; values: number[] }> = {};
  for (const k of Object.keys(flat[0])) {
    const xs = flat.map((f) => f[k]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    out[k] = { mean: m, std: Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)), values: xs };
  }
  return out;
}

function checkSweepSummary(sweep: Json, summaries: Json[], seeds: number[], baselines = true): void {
  expect(sweep.type).toBe('sweep-summary');
  expect(sweep.status).toBe('finished');
  expect(sweep.std).toMatch(/n − 1/);
  const figures = sweep.figures as Record<string, Fig>;
  const want = expectedFigures(summaries);
  // every figure of the summaries, the four headline accuracies and the baselines among them
  expect(Object.keys(figures).sort()).toEqual(Object.keys(want).sort());
  for (const k of ['last_accuracy', 'last_accuracy_paper', 'average_incremental_accuracy', 'average_incremental_accuracy_paper', ...(baselines ? ['baselines.frozenMemory', 'baselines.noMemoryLastMemory'] : [])])
    expect(figures[k], k).toBeDefined();
  for (const [k, w] of Object.entries(want)) {
    expect(figures[k].mean, k).toBeCloseTo(w.mean, 10);
    expect(figures[k].std!, k).toBeCloseTo(w.std, 10);
    expect(figures[k].n).toBe(3);
    expect(figures[k].values.map((v) => v.seed)).toEqual(seeds);
    expect(figures[k].values.map((v) => v.value)).toEqual(w.values);
    expect(figures[k].values.map((v) => v.runId)).toEqual(summaries.map((s) => s.runId));
  }
}

describe('train --seeds', () => {
  let firstRuns: string[] = [];
  let group = '';

  it('runs the settings once per seed and prints a sweep-summary of the runs’ own summaries', () => {
    const r = cli(['train', ...FLAGS, '--seeds', '1,2,3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summaries = r.objs.filter((o) => o.type === 'summary');
    expect(summaries.map((s) => s.status)).toEqual(['finished', 'finished', 'finished']);
    const last = r.objs[r.objs.length - 1];
    checkSweepSummary(last, summaries, [1, 2, 3]);
    group = last.group as string;
    firstRuns = summaries.map((s) => s.runId as string);

    // each run records its seed, the order seed and its sweep; the order seed drew one order they all share
    const runs = firstRuns.map((id) => readRunJson(path.join(root, id))!);
    expect(runs.map((j) => j.seed)).toEqual([1, 2, 3]);
    expect(runs.map((j) => j.orderSeed)).toEqual([5, 5, 5]);
    expect(runs.map((j) => j.sweep)).toEqual([group, group, group]);
    expect(runs[1].tasks).toEqual(runs[0].tasks);
    expect(runs[2].tasks).toEqual(runs[0].tasks);
    expect(runs[0].tasks.flat()).not.toEqual([0, 1, 2, 3]); // not the natural order
    expect(runs[0].settings).toContain('order seed 5');
    // the seeds differ in what they learn (a sweep of one run three times would show no spread)
    expect(new Set(summaries.map((s) => JSON.stringify(s.accuracy_matrix))).size).toBeGreaterThan(1);

    // `runs` shows the group of the three runs with the same means (its figures are the last task records')
    const listed = cli(['runs', '--runs-root', root, '--json']);
    expect(listed.code).toBe(0);
    const g = listed.objs.find((o) => o.type === 'group' && (o.runIds as string[]).length === 3) as { runIds: string[]; sweeps: string[]; figures: Record<string, Fig>; settings: string[] };
    expect([...g.runIds].sort()).toEqual([...firstRuns].sort());
    expect(g.sweeps).toEqual([group]);
    expect(g.settings.some((s) => s.startsWith('seed '))).toBe(false);
    const sf = last.figures as Record<string, Fig>;
    expect(g.figures['accAllMemory'].mean).toBeCloseTo(sf['last_accuracy'].mean, 10);
    expect(g.figures['avgIncrementalPaper'].std!).toBeCloseTo(sf['average_incremental_accuracy_paper'].std!, 10);
    expect(g.figures['baselines.frozenMemory'].mean).toBeCloseTo(sf['baselines.frozenMemory'].mean, 10);
    const text = cli(['runs', '--runs-root', root]).stdout;
    expect(text).toMatch(/groups \(runs of the same settings/);
    expect(text).toContain(group);

    // report SWEEP: one page with mean ± std and every seed's value
    const rep = cli(['report', group, '--runs-root', root, '--json']);
    expect(rep.code, rep.stderr).toBe(0);
    const html = fs.readFileSync((rep.objs[0] as { file: string }).file, 'utf8');
    const la = sf['last_accuracy'];
    expect(html).toContain(`${la.mean.toFixed(4)} ± ${la.std!.toFixed(4)}`);
    for (const v of la.values) expect(html).toContain(`<td>${v.value.toFixed(4)}</td>`);
    expect(html).toContain('seed 3');
  }, 300_000);

  it('gives the same summary again without training when the sweep is complete (same command or resume SWEEP)', () => {
    const again = cli(['resume', group, '--runs-root', root, '--backend', 'wasm', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.objs.filter((o) => o.type === 'sweep-member' || o.type === 'progress')).toEqual([]);
    const s = again.objs[again.objs.length - 1] as { runs: { runId: string }[] };
    expect(s.runs.map((x) => x.runId)).toEqual(firstRuns);
    expect(fs.readdirSync(root).filter((n) => /^\d{8}-/.test(n))).toHaveLength(3);
  }, 120_000);

  it('exports the 3D view of a run as CSV and .npy: one row per snapshot point, its label, coordinates from the axes', () => {
    const id = firstRuns[0];
    const out = path.join(root, 'view-out');
    const r = cli(['export', id, '--runs-root', root, '--what', 'view', '--features', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const snap = readSnapshot(path.join(root, id))!;
    const csv = fs.readFileSync(path.join(out, 'view.csv'), 'utf8').trim().split('\n');
    const head = csv[0].split(',');
    expect(head.slice(0, 9)).toEqual(['point', 'x', 'y', 'z', 'class', 'class_name', 'task', 'view_task', 'selected']);
    const rows = csv.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(snap.labels.length);
    expect(rows.map((c) => Number(c[4]))).toEqual(snap.labels);
    const run = readRunJson(path.join(root, id))!;
    rows.forEach((c) => expect(c[5]).toBe(run.data.classNames[Number(c[4])]));
    // the class's task: the one whose classes include it
    rows.forEach((c) => expect(run.tasks[Number(c[6]) - 1]).toContain(Number(c[4])));
    const f = decodeWireTensor(snap.features).data;
    const d = snap.features.shape[1];
    expect(head).toHaveLength(9 + d);
    rows.forEach((c, i) => expect(Number(c[9 + 3])).toBeCloseTo(f[i * d + 3], 6));
    // x, y, z = (f − center) · axesᵀ
    const axes = decodeNpy(fs.readFileSync(path.join(out, 'view-axes.npy')));
    const center = decodeNpy(fs.readFileSync(path.join(out, 'view-center.npy')));
    expect(axes.shape).toEqual([3, d]);
    expect(center.shape).toEqual([d]);
    for (const i of [0, 7, rows.length - 1])
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (f[i * d + j] - center.data[j]) * axes.data[k * d + j];
        expect(Number(rows[i][1 + k])).toBeCloseTo(s, 4);
      }
    // only the latest task end's snapshot is kept, and the message says so
    const other = cli(['export', id, '--runs-root', root, '--what', 'view', '--task', '1']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/stores the feature snapshot of its latest task end only \(task 2\); the snapshot of task 1 was not kept/);
  }, 120_000);

  it('refuses --seed beside --seeds and a bad seed list, exit 2 without a stack', () => {
    for (const [args, msg] of [
      [['--seeds', '1,2', '--seed', '3'], /--seed and --seeds exclude each other/],
      [['--seeds', '1,x'], /--seeds: 'x' is not a whole number/],
      [['--seeds', '2,2'], /seed 2 appears twice/],
    ] as [string[], RegExp][]) {
      const r = cli(['train', ...FLAGS, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);
});

describe('a killed sweep', () => {
  it('continues with the run it was in when the same command runs again', async () => {
    const killRoot = tempRoot('sweep-kill');
    const flags = ['train', ...FLAGS.map((f) => (f === root ? killRoot : f)), '--seeds', '4,5,6', '--checkpoint-every', '2', '--no-baselines', '--json'];
    // SIGKILL once the second member is training (its first progress or knowledge line)
    const first = await new Promise<{ lines: Json[]; killed: boolean }>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...flags], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let buf = '';
      const lines: Json[] = [];
      let members = 0;
      p.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const o = JSON.parse(buf.slice(0, i)) as Json;
          buf = buf.slice(i + 1);
          lines.push(o);
          if (o.type === 'sweep-member') members++;
          if (members === 2 && (o.type === 'progress' || o.type === 'knowledge') && p.exitCode === null) p.kill('SIGKILL');
        }
      });
      p.stderr!.resume();
      p.on('close', (_c, signal) => resolve({ lines, killed: signal === 'SIGKILL' }));
    });
    try {
      expect(first.killed).toBe(true);
      const member2 = first.lines.filter((o) => o.type === 'sweep-member')[1].runId as string;
      const firstSummary = first.lines.find((o) => o.type === 'summary')!;
      const id = (first.lines.find((o) => o.type === 'sweep-member')!.group as string) ?? '';
      const before = readSweep(killRoot, id) as SweepJson;
      expect(before.members.map((m) => m.status)).toEqual(['finished', 'running', 'pending']);
      expect(before.members[1].runId).toBe(member2);

      const second = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...flags], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
      expect(second.status, second.stderr).toBe(0);
      const objs = second.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
      // the finished member is kept, the killed one resumed in its own folder, the third one made
      const members = objs.filter((o) => o.type === 'sweep-member');
      expect(members.map((m) => m.index)).toEqual([1, 2]);
      expect(members[0].runId).toBe(member2);
      expect(objs.some((o) => o.type === 'knowledge' && (o.record as { event: string }).event === 'resumed')).toBe(true);
      const summaries = [firstSummary, ...objs.filter((o) => o.type === 'summary')];
      expect(summaries.map((s) => s.status)).toEqual(['finished', 'finished', 'finished']);
      checkSweepSummary(objs[objs.length - 1], summaries, [4, 5, 6], false);
      expect(fs.readdirSync(killRoot).filter((n) => /^\d{8}-/.test(n))).toHaveLength(3);
      expect(readSweep(killRoot, id)!.members.map((m) => m.status)).toEqual(['finished', 'finished', 'finished']);
    } finally {
      fs.rmSync(killRoot, { recursive: true, force: true });
    }
  }, 300_000);
});
