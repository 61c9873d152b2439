// A sweep: the same settings once per seed, one run after another, recorded in <runsRoot>/sweeps/<id>.json
// (main/store/sweepFiles.ts). Used by `train --seeds` and `resume SWEEP` in the CLI and by the window's setup screen
// (LabService.startSweep). Running a sweep again continues it: finished members are kept, the member that was
// training when the process died is resumed from its last checkpoint, the rest are created in turn.
import type { FigureStats, RunStatus } from '../../preload/api';
import { aggregateFigures, numericFigures } from '../store/groupStats';
import { readRunJson, readStatus, runDirOf } from '../store/runFiles';
import { writeSweep, type SweepJson, type SweepMember } from '../store/sweepFiles';
import type { CurriculumRunner } from './runner/curriculumRunner';
import { createRun, openRun, type SessionDeps } from './session';
import { UsageError } from './sessionErrors';

export interface MemberOutcome {
  status: RunStatus;
  /** the member's summary (as `train --json` prints it); null when it did not finish */
  summary: Record<string, unknown> | null;
}

export interface SweepHooks {
  /** a member's runner is ready (created or reopened): train it to its end and say how it ended */
  train(runner: CurriculumRunner, member: SweepMember, index: number): Promise<MemberOutcome>;
  /** asked before each member: false ends the sweep there (the user stopped it) */
  shouldContinue?(): boolean;
}

/** Opens the member's run where it stopped, or creates it when it has none yet (or its folder was deleted). */
export async function memberRunner(deps: SessionDeps, sweep: SweepJson, m: SweepMember): Promise<CurriculumRunner> {
  if (m.runId && readRunJson(runDirOf(deps.runsRoot, m.runId))) return openRun(deps, m.runId);
  const runner = await createRun(deps, {
    req: { ...sweep.run.req, seed: m.seed },
    recipe: sweep.run.recipe,
    model: sweep.run.model,
    sweep: sweep.id,
  });
  m.runId = runner.runId;
  m.status = 'created';
  writeSweep(deps.runsRoot, sweep);
  return runner;
}

/** Whether a member is done for good: finished with its summary recorded. */
export const memberDone = (m: SweepMember): boolean => m.status === 'finished' && !!m.summary;

/**
 * Runs the sweep's members that are not done, in seed order, recording each one's run and outcome in the sweep file
 * as soon as it is known. A member that fails does not stop the others; a member that is stopped ends the sweep.
 */
export async function runSweep(deps: SessionDeps, sweep: SweepJson, hooks: SweepHooks): Promise<SweepJson> {
  writeSweep(deps.runsRoot, sweep);
  for (let i = 0; i < sweep.members.length; i++) {
    const m = sweep.members[i];
    if (memberDone(m)) continue;
    if (hooks.shouldContinue && !hooks.shouldContinue()) break;
    const runner = await memberRunner(deps, sweep, m);
    m.status = 'running';
    writeSweep(deps.runsRoot, sweep);
    const out = await hooks.train(runner, m, i);
    m.status = out.status;
    if (out.summary) m.summary = out.summary;
    else delete m.summary;
    writeSweep(deps.runsRoot, sweep);
    if (out.status === 'stopped' || out.status === 'paused') break;
  }
  return sweep;
}

/** A member's status as its run folder tells it now (a member marked running whose process died reads 'interrupted'). */
export function memberStatus(runsRoot: string, m: SweepMember): SweepMember['status'] {
  if (!m.runId) return m.status;
  const st = readStatus(runDirOf(runsRoot, m.runId));
  if (!st) return m.status;
  return m.status === 'running' && st.status !== 'finished' && st.status !== 'failed' ? 'interrupted' : st.status;
}

export interface SweepSummary {
  type: 'sweep-summary';
  group: string;
  /** 'finished' when every member finished; else how far it got */
  status: 'finished' | 'stopped' | 'incomplete';
  seeds: number[];
  runs: { seed: number; runId: string | null; status: SweepMember['status'] }[];
  /** how `std` is computed */
  std: 'sample standard deviation (n − 1)';
  /** every numeric field of the finished members' summaries (baselines as `baselines.<name>`): mean, std, per-seed values */
  figures: Record<string, FigureStats>;
}

/** The sweep's figures over its finished members, from the summaries they printed. */
export function sweepSummary(sweep: SweepJson, stopped = false): SweepSummary {
  const done = sweep.members.filter(memberDone);
  const figures = aggregateFigures(done.map((m) => ({ runId: m.runId!, seed: m.seed, figures: numericFigures(m.summary!) })));
  return {
    type: 'sweep-summary',
    group: sweep.id,
    status: done.length === sweep.members.length ? 'finished' : stopped ? 'stopped' : 'incomplete',
    seeds: sweep.seeds,
    runs: sweep.members.map((m) => ({ seed: m.seed, runId: m.runId, status: m.status })),
    std: 'sample standard deviation (n − 1)',
    figures,
  };
}

/** A sweep's request checked before any run starts (every member shares it). */
export function validateSweepSeeds(seeds: readonly number[]): void {
  if (!Array.isArray(seeds) || seeds.length === 0) throw new UsageError('a sweep needs at least one seed');
  for (const s of seeds) if (!Number.isInteger(s) || s < 0 || s > 2 ** 31 - 1) throw new UsageError(`sweep seed ${String(s)} is not a whole number from 0 to 2147483647`);
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new UsageError(`sweep seed ${dup} appears twice`);
}
