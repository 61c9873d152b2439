// Figures across seeds: flattening a summary to its numbers, the sample standard deviation, aggregation over runs that
// lack a figure, and grouping runs by their settings without the seed.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../preload/api';
import { aggregateFigures, numericFigures, sampleStd } from '../../main/store/groupStats';
import { groupKey, groupRuns } from '../../main/store/runGroups';

describe('groupStats', () => {
  it('flattens the numbers of a summary one level deep, skipping arrays, strings and non-finite values', () => {
    const f = numericFigures({ type: 'summary', last_accuracy: 0.5, accuracy_matrix: [[1]], memory_bytes: null, bad: NaN, baselines: { frozenMemory: 0.25, note: 'x' }, task: 3 }, ['task']);
    expect(f).toEqual({ last_accuracy: 0.5, 'baselines.frozenMemory': 0.25 });
  });

  it('uses the n − 1 standard deviation (numpy std(ddof=1)), none for one value', () => {
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935299395, 12);
    expect(sampleStd([0.7])).toBeNull();
  });

  it('aggregates each figure over the runs that have it, keeping every run’s value in order', () => {
    const a = aggregateFigures([
      { runId: 'a', seed: 1, figures: { acc: 0.5, 'baselines.x': 0.1 } },
      { runId: 'b', seed: 2, figures: { acc: 0.7 } },
      { runId: 'c', seed: 3, figures: { acc: 0.9, 'baselines.x': 0.3 } },
    ]);
    expect(a.acc.mean).toBeCloseTo(0.7, 12);
    expect(a.acc.std!).toBeCloseTo(0.2, 12);
    expect(a.acc.values.map((v) => [v.runId, v.seed])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    expect(a['baselines.x']).toMatchObject({ n: 2 });
    expect(a['baselines.x'].mean).toBeCloseTo(0.2, 12);
  });

  it('groups runs whose settings differ only in the seed; figures come from finished runs only', () => {
    const run = (id: string, seed: number, status: RunSummary['status'], acc: number, extra: string[] = []): RunSummary => ({
      id, name: id, status, data: 'builtin:digits', preset: 'tiny', backend: 'wasm', createdAt: `2026-12-0${seed}T00:00:00Z`, updatedAt: '', tasksDone: 2,
      tasksTotal: 2, classesSeen: 4, lastAccuracy: acc, lastAccuracyPaper: acc, settings: [...(seed === 10 ? [] : [`seed ${seed}`]), 'quick', ...extra], seed, figures: { accAllMemory: acc },
    });
    const runs = [run('r1', 1, 'finished', 0.6), run('r2', 2, 'finished', 0.8), run('r3', 3, 'stopped', 0.1), run('r4', 4, 'finished', 0.5, ['epochs 3'])];
    expect(groupKey(runs[0])).toBe(groupKey(runs[1]));
    expect(groupKey(runs[0])).not.toBe(groupKey(runs[3]));
    const groups = groupRuns(runs);
    expect(groups.map((g) => g.runIds)).toEqual([['r4'], ['r3', 'r2', 'r1']]);
    const g = groups[1];
    expect(g.finishedIds).toEqual(['r2', 'r1']);
    expect(g.settings).toEqual(['quick']);
    expect(g.figures.accAllMemory.mean).toBeCloseTo(0.7, 12);
    expect(g.figures.accAllMemory.values.map((v) => v.seed)).toEqual([1, 2]);
  });
});
