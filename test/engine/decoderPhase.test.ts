// The decoder phase (recipe decoderEpochs): after each task's loop the decoder alone learns to draw the task's images,
// replaying (Z_mem, X_mem) pairs for old classes. It must not move the encoder, must lower the decoder's pixel error,
// must add its steps to the task's step count, and must resume from a checkpoint taken inside it exactly.
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readLatestCheckpoint } from '../../main/store/checkpoints';
import { readNdjson } from '../../main/store/ndjson';
import { metricsFile } from '../../main/store/runFiles';
import type { MetricRecord } from '../../preload/api';
import { openRun } from '../../main/engine/session';
import { resolveRecipe, resolveStoredRecipe } from '../../main/engine/recipe';
import { tempRoot, tinyRun, TINY_RECIPE } from './helpers';

const root = tempRoot('decoder-phase');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const PHASE = { decoderEpochs: 3, decoderBatch: 20, checkpointEvery: 4 };

function weights(runDir: string, prefix: string): Map<string, Float32Array> {
  const ck = readLatestCheckpoint(runDir)!;
  const out = new Map<string, Float32Array>();
  for (const [k, t] of ck.payload.tensors) if (k.startsWith(prefix)) out.set(k, t.data as Float32Array);
  return out;
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let d = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  }
  return d;
}

/** Steps of the decoder phase in metrics.ndjson; they, and only they, have no rate-reduction objective (T = 0, encoder 0). */
function decoderSteps(runDir: string, task: number): MetricRecord[] {
  const steps = readNdjson<MetricRecord>(metricsFile(runDir)).records.filter((r) => r.type === 'step' && r.task === task);
  const marked = steps.filter((r) => r.phase === 'decoder');
  expect(steps.filter((r) => r.T === 0 && r.lossEncoder === 0)).toEqual(marked);
  expect(steps.every((r) => r.phase === 'decoder' || r.phase === 'warmup' || r.phase === 'loop')).toBe(true);
  return marked;
}

describe('decoder phase', () => {
  it('moves only the decoder, lowers its pixel error, and counts its steps in the task', async () => {
    const { runner: plain } = await tinyRun(root, {}, { tasks: 1 });
    await plain.start();
    const { runner: withPhase, events } = await tinyRun(root, PHASE, { tasks: 1 });
    await withPhase.start();
    expect(withPhase.status, withPhase.lastMessage).toBe('finished');
    // the phase runs after the loop: the first task's encoder is the one the plain run ends with, bit for bit
    expect(maxDiff(weights(withPhase.runDir, 'enc/'), weights(plain.runDir, 'enc/'))).toBe(0);
    expect(maxDiff(weights(withPhase.runDir, 'dec/'), weights(plain.runDir, 'dec/'))).toBeGreaterThan(1e-3);
    // 3 epochs of ⌊n / 20⌋ steps, each reporting the pixel error, which falls over the phase
    const n = 2 * TINY_RECIPE.maxPerClass!; // the task's images: two classes, each capped at maxPerClass
    const steps = decoderSteps(withPhase.runDir, 0);
    expect(steps).toHaveLength(3 * Math.floor(n / 20));
    const head = steps.slice(0, 3).reduce((a, r) => a + r.lossDecoder, 0);
    const tail = steps.slice(-3).reduce((a, r) => a + r.lossDecoder, 0);
    expect(tail).toBeLessThan(0.9 * head);
    const last = events.filter((e) => e.type === 'progress').pop() as { taskStep: number; taskSteps: number };
    expect(last.taskStep).toBe(last.taskSteps); // the progress bar's total includes the phase
  }, 180_000);

  it('replays old classes in later tasks and resumes exactly from a checkpoint inside the phase', async () => {
    const { runner: straight } = await tinyRun(root, PHASE, { tasks: 2 });
    await straight.start();
    expect(straight.status, straight.lastMessage).toBe('finished');
    expect(decoderSteps(straight.runDir, 1).length).toBeGreaterThan(0);

    const { runner: first, deps } = await tinyRun(root, PHASE, { tasks: 2 });
    let stopped = false;
    deps.hub.subscribe((e) => {
      // stop in the middle of the second task's decoder phase (its steps are the last 3·⌊n/20⌋ of the task)
      if (!stopped && e.type === 'progress' && e.task === 1 && e.taskSteps - e.taskStep === 5) {
        stopped = true;
        first.control.stop();
      }
    });
    await first.start();
    expect(stopped).toBe(true);
    expect(first.status).toBe('stopped');
    expect(first.pos.phase).toBe('decoder');
    const again = await openRun(deps, first.runId);
    await again.start();
    expect(again.status, again.lastMessage).toBe('finished');
    // same batches, same memory rows, same Adam moments: the resumed run ends where the uninterrupted one did
    expect(maxDiff(weights(again.runDir, 'dec/'), weights(straight.runDir, 'dec/'))).toBeLessThan(1e-6);
    expect(maxDiff(weights(again.runDir, 'enc/'), weights(straight.runDir, 'enc/'))).toBeLessThan(1e-6);
  }, 300_000);

  it('runs laterDecoderEpochs in later tasks, caps their memory rows at decoderMemRows, and learns with the consistency term', async () => {
    const { runner } = await tinyRun(root, { ...PHASE, decoderEpochs: 2, laterDecoderEpochs: 1, decoderMemRows: 12, decoderConsistency: 0.1 }, { tasks: 2 });
    const r = runner as unknown as { d: { model: { decoderStep: (b: { memRows?: Int32Array; n: number }, rate: number) => Promise<{ lossDecoder: number }> } }; pos: { task: number } };
    const rows: { task: number; mem: number; loss: number }[] = [];
    const inner = r.d.model.decoderStep.bind(r.d.model);
    r.d.model.decoderStep = async (b, rate) => {
      const s = await inner(b, rate);
      rows.push({ task: r.pos.task, mem: b.memRows?.length ?? -1, loss: s.lossDecoder });
      return s;
    };
    await runner.start();
    expect(runner.status, runner.lastMessage).toBe('finished');
    const n = 2 * TINY_RECIPE.maxPerClass!;
    expect(decoderSteps(runner.runDir, 0)).toHaveLength(2 * Math.floor(n / 20));
    expect(decoderSteps(runner.runDir, 1)).toHaveLength(1 * Math.floor(n / 20));
    // task 2: 12 of the old classes' 40 memory rows per step, 6 of each class (balanced: 10 per class would be 20)
    const later = rows.filter((x) => x.task === 1);
    expect(later.length).toBe(Math.floor(n / 20));
    expect(later.every((x) => x.mem === 12)).toBe(true);
    // pixels + 0.1·‖f(g(z)) − z‖² falls over the first task's phase
    const first = rows.filter((x) => x.task === 0);
    expect(first.slice(-3).reduce((a, x) => a + x.loss, 0)).toBeLessThan(0.9 * first.slice(0, 3).reduce((a, x) => a + x.loss, 0));
  }, 180_000);

  it('validates its fields and leaves recorded runs without the phase', () => {
    expect(resolveRecipe({}).decoderEpochs).toBe(20); // on by default since issue 14
    expect(resolveRecipe({}, true).decoderEpochs).toBe(30);
    expect(resolveStoredRecipe({}).decoderEpochs).toBe(0); // a run recorded before the phase existed keeps running without it
    expect(resolveStoredRecipe({}).decoderMemRows).toBe(0);
    expect(() => resolveRecipe({ decoderBatch: 0 })).toThrow(/decoderBatch/);
    expect(() => resolveRecipe({ decoderEpochs: 1.5 })).toThrow(/decoderEpochs/);
    expect(() => resolveRecipe({ decoderLr: 0 })).toThrow(/decoderLr/);
  });
});
