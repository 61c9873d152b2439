/**
 * A run without memory (the no-memory baseline's re-run, or `--no-memory`) still gets the recipe's drift compensation
 * from the new images, which needs no replay — with the decoder phase on as well as off. (The decoder phase's memory
 * refresh once marked the task's memory as refreshed even where it had nothing to refresh, and the baseline lost its
 * compensation when the phase became the default.)
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRoot, tinyRun } from './helpers';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

/** The stored mean of class 0 (learned in task 1) after task 2 of a run without memory whose encoder moves. */
async function oldMean(decoderEpochs: number, driftCompensation: number): Promise<Float32Array> {
  const root = tempRoot('nomem-drift');
  roots.push(root);
  const { runner } = await tinyRun(root, { noMemory: true, laterLrScale: 1, laterWarmupEpochs: 2, decoderEpochs, driftCompensation }, { seed: 5 });
  await runner.start();
  expect(runner.status).toBe('finished');
  const mean = Float32Array.from(runner.memory.classes.get(0)!.mean);
  runner.dispose();
  return mean;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('a run without memory', () => {
  for (const decoderEpochs of [0, 2]) {
    it(`moves old classes' statistics by the new images' drift (decoder phase ${decoderEpochs ? 'on' : 'off'})`, async () => {
      // the same run with and without compensation learns the same (nothing is replayed): only the stored statistics differ
      const kept = await oldMean(decoderEpochs, 0);
      const moved = await oldMean(decoderEpochs, 2);
      expect(maxAbsDiff(kept, moved)).toBeGreaterThan(1e-3);
    }, 300_000);
  }
});
