// Figures across seeds: the numbers of one run's summary (or last task record) flattened to name → value, and their
// mean, standard deviation and per-seed values over a group of runs. Generic on purpose: whatever numeric field or
// baseline a summary gains later is aggregated without a change here.
import type { FigureStats } from '../../preload/api';

/**
 * Every finite number of `obj`, one level of nesting deep: `last_accuracy`, `baselines.frozenMemory`,
 * `loopFidelity.reconstructionAll`. Arrays (accuracy matrices, per-class lists), strings and booleans are skipped;
 * so are the names in `skip` (e.g. a task index, which is not a figure).
 */
export function numericFigures(obj: object, skip: readonly string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (skip.includes(k)) continue;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) out[k] = v;
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) if (typeof v2 === 'number' && Number.isFinite(v2)) out[`${k}.${k2}`] = v2;
    }
  }
  return out;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (divides by n − 1, as numpy's std(ddof=1) and pandas' std); null for fewer than two values. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

export interface RunFigures {
  runId: string;
  seed: number;
  figures: Record<string, number>;
}

/**
 * Per figure name: mean, sample std and every run's value, in the order of `runs`. A figure some runs lack (a
 * baseline switched off in one of them) is aggregated over the runs that have it, and its `n` says how many.
 */
export function aggregateFigures(runs: readonly RunFigures[]): Record<string, FigureStats> {
  const names: string[] = [];
  for (const r of runs) for (const k of Object.keys(r.figures)) if (!names.includes(k)) names.push(k);
  const out: Record<string, FigureStats> = {};
  for (const name of names) {
    const values = runs.filter((r) => name in r.figures).map((r) => ({ runId: r.runId, seed: r.seed, value: r.figures[name] }));
    const xs = values.map((v) => v.value);
    out[name] = { mean: mean(xs), std: sampleStd(xs), n: xs.length, values };
  }
  return out;
}
