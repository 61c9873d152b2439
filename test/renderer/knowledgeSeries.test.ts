import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../preload/api';
import { accuracyCurves, accuracyMatrix, baselineRows, layerSeries, loopFidelityCurves, perClassOverTasks } from '../../renderer/src/lib/knowledgeSeries';

const rec = (task: number, seen: number[], accMemory: number[], extra: Partial<TaskRecord> = {}): TaskRecord => ({
  kind: 'task',
  task,
  classes: [],
  seen,
  accMemory,
  accPaper: accMemory.map((a) => a + 0.01),
  accAllMemory: 0.5 + task / 10,
  accAllPaper: 0.6 + task / 10,
  avgIncrementalMemory: 0.7,
  avgIncrementalPaper: 0.8,
  forgetting: accMemory.map((_, i) => i / 10),
  drift: [],
  rank: seen.map((c) => c + 1),
  codingRate: [],
  subspaceCos: [],
  layerCompression: [1, 2],
  layerSparsity: [0.3],
  memoryBytes: 0,
  elapsed: 0,
  ...extra,
});

describe('knowledge series', () => {
  it('accuracy matrix aligns each record by class, not by position, with gaps for unseen classes', () => {
    // the second task lists classes in a different order than the first
    const m = accuracyMatrix([rec(1, [3, 0, 1, 2], [0.3, 0.0, 0.1, 0.2]), rec(0, [0, 1], [0.9, 0.8])], 'memory');
    expect(m.classes).toEqual([0, 1, 2, 3]);
    expect(m.rows.map((r) => r.task)).toEqual([0, 1]);
    expect(m.rows[0].cells).toEqual([0.9, 0.8, null, null]);
    expect(m.rows[1].cells).toEqual([0.0, 0.1, 0.2, 0.3]);
    const p = accuracyMatrix([rec(0, [0, 1], [0.9, 0.8])], 'paper');
    expect(p.rows[0].cells[0]).toBeCloseTo(0.91, 10);
  });

  it('accuracy curves are in percent with 1-based task numbers', () => {
    const c = accuracyCurves([rec(0, [0], [1]), rec(1, [0, 1], [1, 1])]);
    expect(c[0]).toEqual([1, 2]);
    expect(c[1]).toEqual([70, 70]);
    expect(c[2]).toEqual([80, 80]);
    expect(c[3]![1]).toBeCloseTo(60, 10);
    expect(c[4]![0]).toBeCloseTo(60, 10);
  });

  it('per-class series start with null before the class is seen', () => {
    const { classes, data } = perClassOverTasks([rec(0, [0, 1], [1, 1]), rec(1, [0, 1, 2], [1, 1, 1])], 'rank');
    expect(classes).toEqual([0, 1, 2]);
    expect(data[3]).toEqual([null, 3]);
    expect(data[1]).toEqual([1, 1]);
  });

  it('layer series pad a shorter list with NaN', () => {
    const [x, comp, sp] = layerSeries(rec(0, [0], [1]));
    expect(x).toEqual([1, 2]);
    expect(comp).toEqual([1, 2]);
    expect(sp[0]).toBe(0.3);
    expect(Number.isNaN(sp[1])).toBe(true);
    expect(layerSeries(undefined)).toEqual([[], [], []]);
  });

  it('baseline rows: the latest task\'s lab figures first, then each recorded baseline with lab − baseline in points', () => {
    expect(baselineRows([])).toEqual([]);
    const first = rec(0, [0, 1], [1, 1], { baselines: { frozenMemory: 0.4 } });
    const last = rec(1, [0, 1, 2], [0.9, 0.8, 0.7], { baselines: { accMemoryReplayed: 0.3, frozenMemory: 0.62, rawPixelLast: 0.7, noMemoryLastMemory: Number.NaN } });
    const rows = baselineRows([last, first]); // out of order: the latest task counts
    // lab rows, then baselines, then the lab's other readings of its memory; NaN left out
    expect(rows.map((r) => r.key)).toEqual(['labMemory', 'labPaper', 'frozenMemory', 'rawPixelLast', 'accMemoryReplayed']);
    expect(rows.map((r) => r.kind)).toEqual(['lab', 'lab', 'baseline', 'baseline', 'variant']);
    expect(rows[4].labMinus).toBeNull(); // a variant of the lab is not a competitor
    expect(rows[0].value).toBeCloseTo(0.6); // accAllMemory of task 1
    expect(rows[0].labMinus).toBeNull();
    expect(rows[2].labMinus).toBeCloseTo(-2, 6); // 0.60 − 0.62 = −2 points
    expect(rows[3].labMinus).toBeCloseTo(-10, 6);
    expect(baselineRows([first]).find((r) => r.key === 'frozenMemory')!.labMinus).toBeCloseTo(10, 6);
  });

  it('loop fidelity curves: percent per task, null where a task was recorded before the measurement', () => {
    const lf = { reconstruction: [], decodedMemory: [], decodedMemoryPixel: [], reconstructionAll: 0.9, decodedMemoryAll: 0.5, decodedMemoryPixelAll: 0.25 };
    const old = rec(0, [0, 1], [1, 1]);
    const now = rec(1, [0, 1, 2], [0.9, 0.8, 0.7], { loopFidelity: lf });
    const [x, r, d, p] = loopFidelityCurves([now, old]);
    expect(x).toEqual([1, 2]);
    expect(r).toEqual([null, 90]);
    expect(d).toEqual([null, 50]);
    expect(p).toEqual([null, 25]);
  });
});
