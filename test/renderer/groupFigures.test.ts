// Comparing two groups figure by figure: the difference of the means and whether it exceeds the seeds' spread.
import { describe, expect, it } from 'vitest';
import type { FigureStats, RunGroup } from '../../preload/api';
import { compareGroups, figureNames, fmtMeanStd } from '../../renderer/src/lib/groupFigures';

const stats = (values: number[]): FigureStats => {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, x) => a + (x - m) ** 2, 0) / (values.length - 1)) : null;
  return { mean: m, std, n: values.length, values: values.map((value, i) => ({ runId: `r${i}`, seed: i, value })) };
};
const group = (figures: Record<string, number[]>): RunGroup => ({
  key: 'k', data: 'builtin:digits', preset: 'tiny', settings: [], sweeps: [], runIds: [], finishedIds: [], seeds: [],
  figures: Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, stats(v)])),
});

describe('group figures', () => {
  it('orders headline figures first and formats accuracies as percent with their spread', () => {
    const g = group({ 'baselines.frozenMemory': [0.5, 0.6], accAllPaper: [0.7, 0.9], memoryBytes: [1440] });
    expect(figureNames([g])).toEqual(['accAllPaper', 'baselines.frozenMemory', 'memoryBytes']);
    expect(fmtMeanStd('accAllPaper', g.figures.accAllPaper)).toBe('80.0 ± 14.1');
    expect(fmtMeanStd('memoryBytes', g.figures.memoryBytes)).toBe('1440');
  });

  it('says a difference exceeds the spread only when it is larger than the two stds together', () => {
    const a = group({ accAllMemory: [0.8, 0.82, 0.84], accAllPaper: [0.5, 0.7, 0.9], elapsed: [3] });
    const b = group({ accAllMemory: [0.6, 0.61, 0.62], accAllPaper: [0.55, 0.6, 0.65], elapsed: [2, 4] });
    const c = Object.fromEntries(compareGroups(a, b).map((x) => [x.name, x]));
    expect(c.accAllMemory.diff).toBeCloseTo(0.21, 12);
    expect(c.accAllMemory.exceeds).toBe(true);
    expect(c.accAllPaper.diff).toBeCloseTo(0.1, 12);
    expect(c.accAllPaper.exceeds).toBe(false); // 0.1 < 0.2 + 0.05
    expect(c.elapsed.exceeds).toBeNull(); // one run on side A: no spread to compare with
  });
});
