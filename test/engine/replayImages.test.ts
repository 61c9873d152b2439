// Two recipe routes of issue 14, checked on a tiny run by watching what the runner hands the model:
//  - replayImages: later warm-ups learn on the decoded memory X_mem as images of the old classes (rows of X_mem with
//    the old classes' local labels appended to the batch), with no memory vectors in the rate terms;
//  - driftCompensation 4: one affine drift map fitted on the new images and the decoded memory, applied on entering
//    the decoder phase, so the decoder learns the refreshed codes (and the task end does not compensate twice).
import * as fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TrainBatch } from '../../main/engine/loopModel';
import { tempRoot, tinyRun, TINY_RECIPE } from './helpers';

// Every affine drift map the run fits (driftCompensation 3/4), seen by wrapping fitDriftMap: how many probes it had.
const driftFits = vi.hoisted(() => ({ record: null as ((n: number) => void) | null }));
vi.mock('../../main/engine/driftMap', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../main/engine/driftMap')>();
  return {
    ...m,
    fitDriftMap: (...args: Parameters<typeof m.fitDriftMap>) => {
      driftFits.record?.(args[2]);
      return m.fitDriftMap(...args);
    },
  };
});

const root = tempRoot('replay-images');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type Spy = { task: number; n: number; labels: number[]; mem: boolean; x: Float32Array; xMem: Float32Array | null };

async function watchedRun(recipe: Record<string, unknown>) {
  const { runner } = await tinyRun(root, { laterWarmupEpochs: 1, ...recipe }, { tasks: 2 });
  const r = runner as unknown as { d: { model: { warmupStep: (b: TrainBatch, m: unknown) => Promise<unknown> } }; pos: { task: number }; task: { xMem: Float32Array | null } | null };
  const calls: Spy[] = [];
  const inner = r.d.model.warmupStep.bind(r.d.model);
  r.d.model.warmupStep = (b, m) => {
    calls.push({ task: r.pos.task, n: b.n, labels: Array.from(b.labels), mem: m !== null, x: b.x, xMem: r.task?.xMem ?? null });
    return inner(b, m);
  };
  return { runner, calls };
}

describe('later tasks replay decoded memory', () => {
  it('as images in the warm-up batches with --replay-images, as vectors in the rate terms without', async () => {
    const B = TINY_RECIPE.batchSize!;
    const on = await watchedRun({ replayImages: true });
    await on.runner.start();
    expect(on.runner.status, on.runner.lastMessage).toBe('finished');
    const later = on.calls.filter((c) => c.task === 1);
    expect(later.length).toBeGreaterThan(0);
    const S = 64; // tiny: 8×8 grey
    for (const c of later) {
      expect(c.mem).toBe(false);
      expect(c.n).toBeGreaterThan(B); // new images + decoded memory rows
      const extra = c.labels.slice(B);
      expect(extra.length).toBe(c.n - B);
      expect(new Set(extra)).toEqual(new Set([0, 1])); // the old classes' local labels
      // each appended row is a row of X_mem
      const xm = c.xMem!;
      const m = xm.length / S;
      for (let i = B; i < c.n; i += 7) {
        const row = c.x.subarray(i * S, (i + 1) * S);
        let found = false;
        for (let j = 0; j < m && !found; j++) found = row.every((v, k) => v === xm[j * S + k]);
        expect(found).toBe(true);
      }
    }
    const off = await watchedRun({});
    await off.runner.start();
    for (const c of off.calls.filter((k) => k.task === 1)) {
      expect(c.mem).toBe(true);
      expect(c.n).toBe(B);
    }
  }, 180_000);

  it('drift compensation 4 fits one map on new images and decoded memory, once, before the decoder phase', async () => {
    const { runner } = await watchedRun({ driftCompensation: 4, decoderEpochs: 1, decoderBatch: 40 });
    const fits: { n: number; phase: string }[] = [];
    driftFits.record = (n) => fits.push({ n, phase: runner.pos.phase });
    await runner.start();
    expect(runner.status, runner.lastMessage).toBe('finished');
    const newImages = 2 * TINY_RECIPE.maxPerClass!;
    const memRows = 2 * TINY_RECIPE.memDirections! * TINY_RECIPE.memPerDirection!;
    expect(fits).toEqual([{ n: newImages + memRows, phase: 'loop' }]); // on leaving the loop, before the decoder phase
  }, 180_000);
});
