import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { resolveConfig } from '../../models/crate/config';
import { CrateLoopModel } from '../../main/engine/crateLoopModel';
import { resolveRecipe } from '../../main/engine/recipe';
import { readLatestCheckpoint, writeCheckpoint } from '../../main/store/checkpoints';
import { fastBackend, liveTensors, tempRoot } from './helpers';

let root: string;
beforeAll(async () => {
  await fastBackend();
  root = tempRoot('ckpt');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function batch(seed: number, n: number, S: number) {
  const x = new Float32Array(n * S).map((_, i) => Math.sin(i * 0.37 + seed));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  return { x, n, labels, k: 2 };
}

describe('checkpoint round trip of the networks and both optimisers', () => {
  it('restores identical weights and Adam state, so the next step matches bit for bit, without leaking tensors', async () => {
    const cfg = resolveConfig('tiny');
    const recipe = resolveRecipe({ batchSize: 16 });
    const before = liveTensors();
    const a = new CrateLoopModel(cfg, recipe, 1);
    const S = a.imageSize;
    await a.warmupStep(batch(1, 16, S), null);
    await a.loopStep(batch(2, 16, S));
    await a.loopStep(batch(3, 16, S));
    const saved = await a.exportState();
    expect([...saved.keys()].some((k) => k.startsWith('opt/enc/') && k.endsWith('/m'))).toBe(true);
    expect([...saved.keys()].some((k) => k.startsWith('opt/dec/') && k.endsWith('/v'))).toBe(true);
    writeCheckpoint(root, { step: 3, tensors: saved, state: { note: 'x' } }, 2);

    const b = new CrateLoopModel(cfg, recipe, 999); // different init: everything must come from the checkpoint
    await b.importState(readLatestCheckpoint(root)!.payload.tensors);
    const restored = await b.exportState();
    expect([...restored.keys()].sort()).toEqual([...saved.keys()].sort());
    for (const [k, t] of saved) expect(Array.from(restored.get(k)!.data), k).toEqual(Array.from(t.data));

    const sa = await a.loopStep(batch(4, 16, S));
    const sb = await b.loopStep(batch(4, 16, S));
    expect(sb).toEqual(sa);
    const za = await a.encode(batch(5, 4, S).x, 4);
    const zb = await b.encode(batch(5, 4, S).x, 4);
    expect(Array.from(zb)).toEqual(Array.from(za));
    a.dispose();
    b.dispose();
    expect(liveTensors()).toBe(before);
  });
});

describe('memory replay step', () => {
  it('replays all or a subset of the memory rows, with and without the anchor, finite and leak-free', async () => {
    const cfg = resolveConfig('tiny');
    const recipe = resolveRecipe({ batchSize: 16 });
    const before = liveTensors();
    const m = new CrateLoopModel(cfg, recipe, 2);
    const S = m.imageSize;
    const F = m.featureDim;
    await m.warmupStep(batch(1, 16, S), null);
    const mem = { z: new Float32Array(12 * F).map((_, i) => Math.cos(i)), labels: Int32Array.from({ length: 12 }, (_, i) => i % 2), m: 12 };
    const xMem = await m.decode(mem.z, 12);
    const zAnchor = await m.encode(xMem, 12);
    const b = { ...batch(3, 16, S), labels: Int32Array.from({ length: 16 }, (_, i) => 2 + (i % 2)), k: 4 };
    for (const anchorWeight of [0, 100]) {
      m.setReplay({ ...mem, newClasses: [2, 3], anchorWeight, anchorTarget: anchorWeight ? zAnchor : null }, xMem);
      const all = await m.loopStep(b);
      const some = await m.loopStep({ ...b, memRows: Int32Array.from([0, 1, 4, 5]) });
      for (const s of [all, some]) expect(Object.values(s).every(Number.isFinite)).toBe(true);
    }
    // with memory the warm-up's ΔR includes the fixed memory rows
    const w = await m.warmupStep(b, mem);
    expect(Number.isFinite(w.deltaRZ)).toBe(true);
    m.dispose();
    expect(liveTensors()).toBe(before);
  });
});
