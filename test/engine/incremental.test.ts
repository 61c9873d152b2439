// End-to-end incremental learning on a small subset (tiny preset, 8×8 digits, 2 tasks × 2 classes), in process.
//
// Setting (docs/RECIPE.md, measured with seeds 10, 2 and 5): the second task trains at the full learning rate for 15
// epochs, which makes a learner without memory forget: its old classes, classified from their memory, fall to 0.30–0.45.
// With structured memory replayed and the memory anchor (weight 1000) the old classes stay at ≥ 0.94. The bounds below
// (≥ 0.75 with memory, ≤ 0.65 without, gap ≥ 0.2) leave room for run-to-run noise.
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../preload/api';
import { readLatestCheckpoint } from '../../main/store/checkpoints';
import { readKnowledge } from '../../main/store/runFiles';
import type { CurriculumRunner } from '../../main/engine/runner/curriculumRunner';
import { liveTensors, tempRoot, tinyRun } from './helpers';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const SETTING = {
  maxPerClass: 200,
  warmupEpochs: 10,
  epochs: 15,
  batchSize: 64,
  memDirections: 4,
  memExplore: 40,
  memPerDirection: 10,
  subspaceRank: 3,
  laterLrScale: 1,
  checkpointEvery: 50,
  // the tiny setting of docs/RECIPE.md's first table: MCR² warm-up, no later warm-up, no drift compensation, so that
  // what holds old classes here is the memory replay with its anchor alone
  warmupGamma: 1,
  warmupEps2: 0,
  invarianceWeight: 0,
  augShift: 0,
  laterWarmupEpochs: 0,
  driftCompensation: 0,
  loopEncoderLrScale: 1,
};

/** Every Float32Array reachable from the learner's state (not its data source), with where it was found. */
function typedArrays(obj: unknown, where: string, seen = new Set<unknown>(), out: { where: string; a: Float32Array }[] = []) {
  if (obj === null || typeof obj !== 'object' || seen.has(obj)) return out;
  seen.add(obj);
  if (obj instanceof Float32Array) {
    out.push({ where, a: obj });
    return out;
  }
  if (ArrayBuffer.isView(obj)) return out;
  const entries = obj instanceof Map ? [...obj.entries()] : Object.entries(obj as Record<string, unknown>);
  for (const [k, v] of entries) {
    if (k === 'd' && (where === 'runner' || where === 'runner.ctx')) continue; // the deps: data source (the user's dataset), model, hub
    typedArrays(v, `${where}.${String(k)}`, seen, out);
  }
  return out;
}

/** True when any aligned row of length S in `a` equals one of the raw images. */
function holdsRawImage(a: Float32Array, S: number, raw: Set<string>): boolean {
  if (a.length < S || a.length % S !== 0) return false;
  for (let i = 0; i < a.length; i += S) if (raw.has(Array.from(a.subarray(i, i + S)).join(','))) return true;
  return false;
}

async function runToEnd(recipe: object, root: string) {
  const { runner, events } = await tinyRun(root, recipe, { seed: 10 });
  const taskClassesOnStart: number[][] = [];
  const sub = (runner as unknown as { d: { hub: { subscribe: (l: (e: { type: string; record?: { event?: string } }) => void) => void } } }).d.hub;
  sub.subscribe((e) => {
    // the task's working set at its start: only the new classes' images
    if (e.type === 'knowledge' && e.record?.event === 'task-start' && runner.task) taskClassesOnStart.push([...new Set(runner.task.data.y)].sort());
  });
  await runner.start();
  return { runner, events, taskClassesOnStart };
}

const oldAcc = (r: TaskRecord) => (r.accMemory[0] + r.accMemory[1]) / 2;

describe('incremental learning with structured memory', () => {
  let withMemory: CurriculumRunner;
  let records: TaskRecord[] = [];

  it('keeps old classes (from memory) after a new task, keeps no raw images, leaks no tensors', async () => {
    const root = tempRoot('inc');
    roots.push(root);
    const before = liveTensors();
    const { runner, taskClassesOnStart } = await runToEnd({ ...SETTING, anchorWeight: 1000 }, root);
    withMemory = runner;
    expect(runner.status).toBe('finished');
    expect(taskClassesOnStart).toEqual([
      [0, 1],
      [2, 3],
    ]);
    records = readKnowledge(runner.runDir).filter((k): k is TaskRecord => k.kind === 'task');
    expect(records).toHaveLength(2);
    const [t1, t2] = records;
    expect(t1.accAllMemory).toBeGreaterThan(0.9);
    expect(oldAcc(t2)).toBeGreaterThanOrEqual(0.75);
    expect(t2.accAllMemory).toBeGreaterThan(0.7);
    expect(t2.memoryBytes).toBe(runner.memory.bytes());
    expect(t2.memoryBytes).toBe(4 * 4 * (40 * 16 + 40 + 16 + 16 * 3 + 3)); // 4 classes × float32 (40 vectors of 16, labels, mean, basis 16×3, σ)

    // nothing of the training images of finished classes is kept by the learner or in the checkpoint
    const data = (runner as unknown as { d: { data: { rawTrainImages(c: number): Float32Array; imageSize: number } } }).d.data;
    const S = data.imageSize;
    const raw = new Set<string>();
    for (const c of [0, 1, 2, 3]) {
      const x = data.rawTrainImages(c);
      for (let i = 0; i < x.length; i += S) raw.add(Array.from(x.subarray(i, i + S)).join(','));
    }
    expect(runner.task).toBeNull();
    const arrays = typedArrays(runner, 'runner');
    expect(arrays.length).toBeGreaterThan(4); // the memory vectors at least
    for (const { where, a } of arrays) expect(holdsRawImage(a, S, raw), where).toBe(false);
    for (const e of runner.memory.classes.values()) expect(e.z.length % 16).toBe(0); // features (F = 16), not images (64)
    const ck = readLatestCheckpoint(runner.runDir)!;
    for (const [name, t] of ck.payload.tensors) expect(holdsRawImage(t.data as Float32Array, S, raw), name).toBe(false);
    // the self-check would catch a raw image
    expect(holdsRawImage(data.rawTrainImages(0), S, raw)).toBe(true);

    runner.dispose();
    expect(liveTensors()).toBe(before);
  }, 300_000);

  it('while the same setting without memory forgets the old classes', async () => {
    const root = tempRoot('nomem');
    roots.push(root);
    const { runner } = await runToEnd({ ...SETTING, noMemory: true }, root);
    const base = readKnowledge(runner.runDir).filter((k): k is TaskRecord => k.kind === 'task');
    runner.dispose();
    expect(base).toHaveLength(2);
    expect(oldAcc(base[1])).toBeLessThanOrEqual(0.65);
    expect(oldAcc(records[1]) - oldAcc(base[1])).toBeGreaterThanOrEqual(0.2);
    expect(withMemory.status).toBe('finished');
  }, 300_000);
});
