import type { FigureStats, RunGroup } from '../../../preload/api';
import { fmtNum } from './format';

/**
 * How the run browser names, orders, formats and compares the figures of run groups (preload/api.ts RunGroup, whose
 * figures are the numbers of each run's last task record, aggregated in main/store/runGroups.ts).
 */

/** The headline figures, shown beside each group; every other figure follows in the group's details. */
export const HEADLINE: readonly [string, string][] = [
  ['accAllMemory', 'last · memory'],
  ['accAllPaper', 'last · paper'],
  ['avgIncrementalMemory', 'avg incr. · memory'],
  ['avgIncrementalPaper', 'avg incr. · paper'],
];

const LABELS: Record<string, string> = Object.fromEntries(HEADLINE);

export function figureLabel(name: string): string {
  return LABELS[name] ?? name;
}

/** Accuracies (fractions) print as percentages, everything else as a number. */
export function isFraction(name: string): boolean {
  return /^(acc|avgIncremental|baselines\.|loopFidelity\.)/.test(name);
}

/** `scale`: the magnitude that sets the decimals (a spread prints with its mean's). */
export function fmtFigure(name: string, v: number | null | undefined, scale = v ?? 0): string {
  if (v === null || v === undefined) return '—';
  return isFraction(name) ? `${(v * 100).toFixed(1)}` : fmtNum(v, Math.abs(scale) >= 100 ? 0 : 3);
}

/** "72.4 ± 3.1" (percent points for accuracies); a lone run has no spread. */
export function fmtMeanStd(name: string, f: FigureStats | undefined): string {
  if (!f) return '—';
  return `${fmtFigure(name, f.mean)}${f.std === null ? '' : ` ± ${fmtFigure(name, f.std, f.mean)}`}`;
}

/** Every figure name of the groups, headline ones first, then in order of appearance. */
export function figureNames(groups: readonly RunGroup[]): string[] {
  const names: string[] = HEADLINE.map(([n]) => n).filter((n) => groups.some((g) => n in g.figures));
  for (const g of groups) for (const n of Object.keys(g.figures)) if (!names.includes(n)) names.push(n);
  return names;
}

export interface FigureComparison {
  name: string;
  a: FigureStats | undefined;
  b: FigureStats | undefined;
  /** mean of A minus mean of B */
  diff: number | null;
  /**
   * whether |diff| exceeds the seeds' spread, taken as the sum of the two sample standard deviations — a rule of thumb
   * (two error bars of one std that do not overlap), not a significance test; null when a side has fewer than two runs
   */
  exceeds: boolean | null;
}

export function compareGroups(a: RunGroup, b: RunGroup): FigureComparison[] {
  return figureNames([a, b]).map((name) => {
    const fa = a.figures[name];
    const fb = b.figures[name];
    const diff = fa && fb ? fa.mean - fb.mean : null;
    const exceeds = diff === null || fa!.std === null || fb!.std === null ? null : Math.abs(diff) > fa!.std + fb!.std;
    return { name, a: fa, b: fb, diff, exceeds };
  });
}
