import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../../preload/api';
import { buildCurriculum, parseOrder } from '../../main/engine/curriculum';
import { EventHub, fromWire, toWire } from '../../main/engine/events';
import { FolderWatcher } from '../../main/engine/folderWatcher';
import { DEFAULT_RECIPE, QUICK_OVERRIDES, resolveRecipe } from '../../main/engine/recipe';
import { EngineRng } from '../../main/engine/rng';

describe('curriculum', () => {
  it('splits classes into tasks of classesPerTask in natural order', () => {
    expect(buildCurriculum({ numClasses: 10, classesPerTask: 2 })).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(buildCurriculum({ numClasses: 5, classesPerTask: 2 })).toEqual([[0, 1], [2, 3], [4]]);
  });
  it('follows --order and --tasks', () => {
    expect(buildCurriculum({ numClasses: 6, classesPerTask: 3, order: [5, 0, 3, 1, 2, 4] })).toEqual([
      [5, 0, 3],
      [1, 2, 4],
    ]);
    expect(buildCurriculum({ numClasses: 10, classesPerTask: 2, tasks: 2 })).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(buildCurriculum({ numClasses: 10, classesPerTask: 4, order: [9, 8] })).toEqual([[9, 8]]);
  });
  it('rejects bad orders with readable messages', () => {
    expect(() => buildCurriculum({ numClasses: 3, classesPerTask: 1, order: [0, 0] })).toThrow(/appears twice/);
    expect(() => buildCurriculum({ numClasses: 3, classesPerTask: 1, order: [3] })).toThrow(/not a class index.*0\.\.2/);
    expect(() => buildCurriculum({ numClasses: 3, classesPerTask: 0 })).toThrow(/positive integer/);
    expect(() => buildCurriculum({ numClasses: 3, classesPerTask: 1, tasks: 0 })).toThrow(/--tasks/);
    expect(parseOrder('3, 1 2')).toEqual([3, 1, 2]);
    expect(() => parseOrder('1,a')).toThrow(/--order/);
  });
});

describe('recipe', () => {
  it('applies quick overrides under explicit flags and rejects unknown keys and bad values', () => {
    const q = resolveRecipe({ epochs: 7 }, true);
    expect(q.epochs).toBe(7);
    expect(q.warmupEpochs).toBe(QUICK_OVERRIDES.warmupEpochs);
    expect(resolveRecipe({}).epochs).toBe(DEFAULT_RECIPE.epochs);
    expect(() => resolveRecipe({ nope: 1 } as never)).toThrow(/unknown key 'nope'/);
    expect(() => resolveRecipe({ epochs: 1.5 })).toThrow(/integer/);
    expect(() => resolveRecipe({ eps2: 0 })).toThrow(/> 0/);
    expect(() => resolveRecipe({ beta1: 1 })).toThrow(/betas/);
    expect(() => resolveRecipe({ epochs: 0, warmupEpochs: 0 })).toThrow(/nothing would be learned/);
  });

  it('caps a subspace rank that is not given at a quarter of the feature size, and keeps one that is', () => {
    expect(resolveRecipe({}, false, 128).subspaceRank).toBe(DEFAULT_RECIPE.subspaceRank); // mnist-s: 15 ≤ 32
    expect(resolveRecipe({}, true, 16).subspaceRank).toBe(4); // tiny: 15 of 16 dimensions would cover everything
    expect(resolveRecipe({ subspaceRank: 10 }, false, 16).subspaceRank).toBe(10); // asked for: kept
    expect(resolveRecipe({}, false, 2).subspaceRank).toBe(1);
    expect(resolveRecipe({}).subspaceRank).toBe(DEFAULT_RECIPE.subspaceRank); // no model given: the recipe's
  });
});

describe('rng', () => {
  it('is reproducible from its state and permutations are permutations', () => {
    const a = new EngineRng(5);
    a.next();
    const b = EngineRng.fromState(a.state);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
    const p = new EngineRng(1).permutation(100);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('event hub', () => {
  it('throttles progress but passes every other event, flushing progress before a status change', async () => {
    const hub = new EventHub(1000);
    const got: LabEvent[] = [];
    hub.subscribe((e) => got.push(e));
    const progress = (step: number): LabEvent => ({
      type: 'progress', runId: 'r', status: 'running', task: 0, tasksTotal: 1, step, taskStep: step, taskSteps: 10,
      lossEncoder: 0, lossDecoder: 0, T: 0, samplesPerSec: 0, etaSec: null, backend: 'cpu', adapter: null,
    });
    for (let i = 1; i <= 50; i++) hub.emit(progress(i));
    hub.emit({ type: 'run-status', runId: 'r', status: 'finished' });
    const steps = got.filter((e) => e.type === 'progress').map((e) => (e as { step: number }).step);
    expect(steps).toEqual([1, 50]);
    expect(got[got.length - 1].type).toBe('run-status');
    hub.close();
  });
  it('round-trips wire tensors', () => {
    const a = new Float32Array([1.5, -2, 3e-8]);
    expect(Array.from(fromWire(toWire(a, [3])))).toEqual(Array.from(a));
  });
});

describe('folder watcher', () => {
  it('reports a new class folder only once it has files that stopped changing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-watch-'));
    try {
      fs.mkdirSync(path.join(dir, 'a'));
      fs.writeFileSync(path.join(dir, 'a', '1.png'), 'x');
      const w = new FolderWatcher(dir, new Set(['a']), 2000);
      expect(w.poll(0)).toEqual([]);
      fs.mkdirSync(path.join(dir, 'b'));
      expect(w.poll(100)).toEqual([]); // empty
      fs.writeFileSync(path.join(dir, 'b', '1.png'), 'x');
      expect(w.poll(200)).toEqual([]); // first seen
      expect(w.poll(1500)).toEqual([]); // not yet stable for 2 s
      fs.writeFileSync(path.join(dir, 'b', '2.png'), 'xy'); // still copying
      expect(w.poll(2300)).toEqual([]);
      expect(w.poll(3000)).toEqual([]);
      expect(w.poll(4400)).toEqual(['b']);
      expect(w.poll(9000)).toEqual([]); // reported once
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
