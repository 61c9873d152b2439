import { describe, expect, it } from 'vitest';
import { runSettings } from '../../main/engine/runSettings';
import type { StartRunRequest } from '../../preload/api';

const plain: StartRunRequest = { data: 'builtin:digits', preset: 'mnist-s', backend: 'auto', classesPerTask: 2, seed: 10, quick: false };

describe('runSettings', () => {
  it('is empty for a plain run and lists what differs, request first, then model and recipe fields as given', () => {
    expect(runSettings(plain, {}, {})).toEqual([]);
    expect(runSettings({ ...plain, autonomous: true }, { subspaceRank: undefined }, { pool: undefined })).toEqual([]);
    expect(
      runSettings(
        { ...plain, quick: true, seed: 3, classesPerTask: 1, order: [9, 8], tasks: 2, autonomous: false, watchDir: '/w' },
        { subspaceRank: 3, noMemory: true, baselines: false, checkpointEvery: 5, keep: 2 },
        { featureDim: 256 },
      ),
    ).toEqual(['quick', 'seed 3', '1 classes/task', 'order 9,8', 'tasks 2', 'step by step', 'watch', 'featureDim 256', 'subspaceRank 3', 'noMemory', 'no baselines']);
  });
});
