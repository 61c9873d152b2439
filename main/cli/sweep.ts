// `train --seeds 1,2,3 …` and `resume SWEEP`: the members of a sweep driven one after another in this process, each
// reported as `train` reports a run (progress, task results, its summary), then the sweep's mean ± std: with --json a
// last line {"type":"sweep-summary", …}. Exit code 0 when every member finished (or the user stopped the sweep), 1
// when one failed.
import type { RunStatus } from '../../preload/api';
import type { CurriculumRunner } from '../engine/runner/curriculumRunner';
import { memberDone, runSweep, sweepSummary, type SweepSummary } from '../engine/sweep';
import type { SessionDeps } from '../engine/session';
import type { SweepJson } from '../store/sweepFiles';

const out = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');

/** Drives every member not done yet; `driveOne` is `train`'s own reporting of one run, returning its summary. */
export async function driveSweep(
  sweep: SweepJson,
  deps: SessionDeps,
  json: boolean | undefined,
  driveOne: (runner: CurriculumRunner) => Promise<{ status: string }>,
): Promise<SweepSummary> {
  const todo = sweep.members.filter((m) => !memberDone(m)).length;
  if (!json)
    process.stderr.write(
      todo === sweep.members.length
        ? `sweep ${sweep.id}: seeds ${sweep.seeds.join(', ')}, one run each\n`
        : `sweep ${sweep.id}: continuing, ${sweep.members.length - todo} of ${sweep.members.length} runs already finished\n`,
    );
  let stopped = false;
  let failed = false;
  await runSweep(deps, sweep, {
    train: async (runner, m, i) => {
      if (json) out({ type: 'sweep-member', group: sweep.id, index: i, seed: m.seed, runId: runner.runId });
      else process.stderr.write(`\nsweep ${sweep.id}: seed ${m.seed} (${i + 1} of ${sweep.members.length}), run ${runner.runId}\n`);
      const s = await driveOne(runner);
      const status = s.status as RunStatus;
      if (status === 'stopped') stopped = true;
      if (status === 'failed') failed = true;
      return { status, summary: status === 'finished' ? (s as unknown as Record<string, unknown>) : null };
    },
  });
  const summary = sweepSummary(sweep, stopped);
  if (json) out(summary);
  else printSweepSummary(summary);
  process.exitCode = failed ? 1 : 0;
  return summary;
}

const FIGURE_ORDER = ['last_accuracy', 'last_accuracy_paper', 'average_incremental_accuracy', 'average_incremental_accuracy_paper'];

function printSweepSummary(s: SweepSummary): void {
  const done = s.runs.filter((r) => r.status === 'finished').length;
  process.stdout.write(`\nsweep ${s.group}: ${done} of ${s.runs.length} runs finished${s.status === 'finished' ? '' : ` (${s.status}; \`resume ${s.group}\` continues it)`}\n`);
  if (!done) return;
  process.stdout.write(`figure${' '.repeat(38)}mean ± std (sample, n − 1)   ${s.runs.map((r) => `seed ${r.seed}`.padStart(10)).join('')}\n`);
  const names = [...FIGURE_ORDER.filter((n) => n in s.figures), ...Object.keys(s.figures).filter((n) => !FIGURE_ORDER.includes(n))];
  for (const name of names) {
    const f = s.figures[name];
    const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4));
    const per = s.runs.map((r) => {
      const v = f.values.find((x) => x.seed === r.seed);
      return (v ? fmt(v.value) : '-').padStart(10);
    });
    process.stdout.write(`${name.padEnd(44)}${`${fmt(f.mean)} ± ${f.std === null ? '-' : fmt(f.std)}`.padEnd(29)}${per.join('')}\n`);
  }
}
