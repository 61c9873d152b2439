// Runs of the same settings, grouped for the run browser and `runs`: same data, preset and recorded settings apart
// from the seed. Runs made by one sweep share their settings by construction; runs started by hand with the same
// flags and other seeds land in the same group too, which is what "the same settings" means to the reader.
import type { RunGroup, RunSummary } from '../../preload/api';
import { aggregateFigures } from './groupStats';

const SEED_TOKEN = /^seed \d+$/;

/** The settings that define a group: a run's recorded settings without its seed, in a fixed order. */
export function groupSettings(r: RunSummary): string[] {
  return (r.settings ?? []).filter((s) => !SEED_TOKEN.test(s)).sort();
}

export function groupKey(r: RunSummary): string {
  return [r.data, r.preset, ...groupSettings(r)].join(' | ');
}

/**
 * Every group, the one of the newest run first; members newest first. Figures are those of the finished members
 * (mean, sample std and per-run values), so runs still training or stopped early do not pull the mean.
 */
export function groupRuns(runs: readonly RunSummary[]): RunGroup[] {
  const byKey = new Map<string, RunSummary[]>();
  for (const r of runs) {
    const k = groupKey(r);
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  const groups: RunGroup[] = [];
  for (const [key, members] of byKey) {
    members.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    const finished = members.filter((r) => r.status === 'finished');
    groups.push({
      key,
      data: members[0].data,
      preset: members[0].preset,
      settings: groupSettings(members[0]),
      sweeps: [...new Set(members.map((r) => r.sweep).filter((s): s is string => !!s))],
      runIds: members.map((r) => r.id),
      finishedIds: finished.map((r) => r.id),
      seeds: members
        .map((r) => r.seed ?? NaN)
        .filter((s) => Number.isFinite(s))
        .sort((a, b) => a - b),
      // oldest first inside a figure: the order the seeds were run in
      figures: aggregateFigures([...finished].reverse().map((r) => ({ runId: r.id, seed: r.seed ?? NaN, figures: r.figures ?? {} }))),
    });
  }
  const newest = (g: RunGroup): string => runs.find((r) => r.id === g.runIds[0])?.createdAt ?? '';
  return groups.sort((a, b) => (newest(a) < newest(b) ? 1 : newest(a) > newest(b) ? -1 : 0));
}
