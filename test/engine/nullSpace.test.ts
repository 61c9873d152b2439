// Null-space learning of later tasks (recipe nullSpaceEnergy, loopEncoderLrScale; docs/RECIPE.md): the model's warm-up
// and loop steps under setNullSpace leave old images' features where they were while new images' move, the basis
// travels with the memory through a checkpoint, and the recipe rejects what it cannot use.
import { describe, expect, it } from 'vitest';
import { CrateLoopModel } from '../../main/engine/crateLoopModel';
import { MemoryBank } from '../../main/engine/memoryBank';
import { DEFAULT_RECIPE, resolveRecipe, resolveStoredRecipe } from '../../main/engine/recipe';
import { resolveConfig } from '../../models/crate/config';
import { fastBackend } from './helpers';

function images(n: number, size: number, seed: number): Float32Array {
  return noise(n * size, seed).map((v) => v * 0.9);
}

/** uniform values in [−1, 1) from a small LCG: generic rows (sines of a linear index span only two dimensions) */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('null-space learning in CrateLoopModel', () => {
  it('warm-up and loop steps move new images’ features and keep old images’ features (basis at energy 1)', async () => {
    await fastBackend();
    const cfg = resolveConfig('tiny', { pool: 'flat' });
    const size = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
    const recipe = resolveRecipe({ invarianceWeight: 50, augShift: 1, lrEncoder: 1e-2, nullSpaceEnergy: 1 });
    const model = new CrateLoopModel(cfg, recipe, 3);
    const nOld = 12;
    const xOld = images(nOld, size, 0);
    const xNew = images(16, size, 2);
    const zOld0 = await model.encode(xOld, nOld);
    const zNew0 = await model.encode(xNew, 16);
    const { a, dim } = await model.headInputs(xOld, nOld);
    expect(dim).toBe(cfg.dim * 4); // tiny: 4 tokens side by side
    const bank = new MemoryBank(cfg.featureDim);
    bank.addClass(0, zOld0.slice(0, 6 * cfg.featureDim), 6, { directions: 2, explore: 4, perDirection: 2, rank: 2 }, 1);
    bank.addClass(1, zOld0.slice(6 * cfg.featureDim), 6, { directions: 2, explore: 4, perDirection: 2, rank: 2 }, 2);
    const basis = bank.extendActivations(a, nOld, dim, 1);
    expect(basis.k).toBe(nOld); // 12 generic rows in 64 dimensions span 12
    model.setNullSpace(basis);
    const mem = bank.rows([0, 1]);
    const labels = Int32Array.from({ length: 16 }, (_, i) => 2 + (i % 2));
    const batch = { x: xNew, n: 16, labels, k: 4 };
    model.setReplay(
      { z: mem.z, labels: mem.labels, m: mem.m, newClasses: [2, 3], anchorWeight: 10, anchorTarget: await model.encode(await model.decode(mem.z, mem.m), mem.m) },
      await model.decode(mem.z, mem.m),
    );
    for (let i = 0; i < 2; i++) await model.warmupStep(batch, { z: mem.z, labels: mem.labels, m: mem.m });
    for (let i = 0; i < 2; i++) await model.loopStep(batch);
    expect(maxDiff(await model.encode(xOld, nOld), zOld0)).toBeLessThan(1e-4);
    expect(maxDiff(await model.encode(xNew, 16), zNew0)).toBeGreaterThan(1e-3);
    model.setReplay(null, null);
    model.setNullSpace(null);
    // without the constraint the same steps move the old images too (the test above could fail)
    await model.warmupStep(batch, { z: mem.z, labels: mem.labels, m: mem.m });
    expect(maxDiff(await model.encode(xOld, nOld), zOld0)).toBeGreaterThan(1e-3);
    model.dispose();
  });
});

describe('loopEncoderLrScale', () => {
  it('0 keeps the encoder fixed in the loop while the decoder learns; the warm-up still moves the encoder', async () => {
    await fastBackend();
    const cfg = resolveConfig('tiny');
    const size = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
    const model = new CrateLoopModel(cfg, resolveRecipe({ loopEncoderLrScale: 0, invarianceWeight: 0, lrEncoder: 1e-2, lrDecoder: 1e-2 }), 5);
    const x = images(16, size, 7);
    const batch = { x, n: 16, labels: Int32Array.from({ length: 16 }, (_, i) => i % 2), k: 2 };
    const z0 = await model.encode(x, 16);
    const g0 = await model.decode(z0, 16);
    await model.loopStep(batch);
    expect(maxDiff(await model.encode(x, 16), z0)).toBe(0);
    expect(maxDiff(await model.decode(z0, 16), g0)).toBeGreaterThan(1e-4);
    await model.warmupStep(batch, null);
    expect(maxDiff(await model.encode(x, 16), z0)).toBeGreaterThan(1e-4);
    model.dispose();
  });
});

describe('MemoryBank activation basis', () => {
  it('grows task by task, counts in the memory size, and survives toTensors/fromTensors', () => {
    const F = 4;
    const dim = 10;
    const bank = new MemoryBank(F);
    const feats = Float32Array.from({ length: 8 * F }, (_, i) => Math.sin(i * 1.3));
    bank.addClass(0, feats, 8, { directions: 2, explore: 4, perDirection: 2, rank: 2 }, 1);
    const bytes0 = bank.bytes();
    const a1 = noise(3 * dim, 1);
    const b1 = bank.extendActivations(a1, 3, dim, 1);
    expect(b1.k).toBe(3);
    expect(bank.bytes()).toBe(bytes0 + dim * 3 * 4);
    const a2 = noise(2 * dim, 2);
    expect(bank.extendActivations(a2, 2, dim, 1).k).toBe(5);
    const back = MemoryBank.fromTensors('mem', F, bank.toTensors('mem'), [0]);
    expect(back.activations?.k).toBe(5);
    expect(back.activations?.dim).toBe(dim);
    expect(Array.from(back.activations!.U)).toEqual(Array.from(bank.activations!.U));
    expect(back.classes.get(0)?.m).toBe(bank.classes.get(0)?.m);
  });
});

describe('recipe: null space and the loop encoder rate', () => {
  it('defaults (null space off, the loop\'s encoder at 0.3× its warm-up rate), and rejects values it cannot use', () => {
    const r = resolveRecipe({});
    expect(r.nullSpaceEnergy).toBe(0);
    expect(r.loopEncoderLrScale).toBe(0.3);
    expect(resolveRecipe({}, true).loopEncoderLrScale).toBe(0.3);
    expect(r.laterWarmupGamma).toBe(-1);
    expect(resolveRecipe({ nullSpaceEnergy: 0.97 }).nullSpaceEnergy).toBe(0.97);
    expect(() => resolveRecipe({ nullSpaceEnergy: 1.5 })).toThrow(/nullSpaceEnergy/);
    expect(() => resolveRecipe({ laterWarmupGamma: -0.5 })).toThrow(/laterWarmupGamma/);
    expect(resolveRecipe({ laterWarmupGamma: 1 }).laterWarmupGamma).toBe(1);
    expect(() => resolveRecipe({ loopEncoderLrScale: -1 })).toThrow(/loopEncoderLrScale/);
  });

  it('a run recorded before these fields existed resumes with the behaviour it had, not with today\'s defaults', () => {
    const old: Record<string, unknown> = { ...DEFAULT_RECIPE };
    for (const k of ['loopEncoderLrScale', 'nullSpaceEnergy', 'reconWeight', 'laterWarmupGamma']) delete old[k];
    const r = resolveStoredRecipe(old);
    expect(r.loopEncoderLrScale).toBe(1);
    expect(r.nullSpaceEnergy).toBe(0);
    expect(r.reconWeight).toBe(0);
    // a recorded value wins
    expect(resolveStoredRecipe({ ...old, loopEncoderLrScale: 0.3 }).loopEncoderLrScale).toBe(0.3);
    expect(resolveStoredRecipe({ ...DEFAULT_RECIPE }).loopEncoderLrScale).toBe(DEFAULT_RECIPE.loopEncoderLrScale);
  });
});
