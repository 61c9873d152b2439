// Recipe fields of the spread warm-up and drift compensation (docs/RECIPE.md): validation, and the memory shift
// that drift compensation applies to an old class's stored statistics and vectors.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CrateLoopModel } from '../../main/engine/crateLoopModel';
import { MemoryBank } from '../../main/engine/memoryBank';
import { QUICK_OVERRIDES, resolveRecipe } from '../../main/engine/recipe';
import { resolveConfig } from '../../models/crate/config';
import { codingRate } from '../../models/losses/rateReduction';
import { fastBackend } from './helpers';

describe('recipe: warm-up γ and drift compensation', () => {
  it('defaults: the invariance warm-up (γ = 0, ε² 1), later warm-ups at 0.03×, drift compensation 2; --quick only shrinks the schedule', () => {
    const full = resolveRecipe({});
    expect(full.warmupGamma).toBe(0);
    expect(full.warmupEps2).toBe(1);
    expect(full.invarianceWeight).toBe(50);
    expect(full.augShift).toBe(2);
    expect(full.laterWarmupEpochs).toBe(3);
    expect(full.laterLrScale).toBe(0.03);
    expect(full.driftCompensation).toBe(2);
    expect(full.anchorToMemory).toBe(false);
    const quick = resolveRecipe({}, true);
    for (const k of ['warmupGamma', 'warmupEps2', 'invarianceWeight', 'augShift', 'laterWarmupEpochs', 'laterLrScale', 'driftCompensation'] as const)
      expect(quick[k]).toBe(full[k]);
    expect(quick.maxPerClass).toBe(QUICK_OVERRIDES.maxPerClass);
    expect(quick.epochs).toBeLessThan(full.epochs);
    expect(resolveRecipe({ warmupEps2: 0 }, true).warmupEps2).toBe(0); // a flag still overrides --quick
  });

  it('rejects out-of-range or mistyped values with the field named', () => {
    expect(() => resolveRecipe({ driftCompensation: 5 })).toThrow(/driftCompensation/);
    expect(resolveRecipe({ driftCompensation: 4 }).driftCompensation).toBe(4); // the affine map on new images and decoded memory
    expect(() => resolveRecipe({ driftCompensation: 1.5 })).toThrow(/integer/);
    expect(() => resolveRecipe({ warmupGamma: -0.5 })).toThrow(/warmupGamma/);
    expect(() => resolveRecipe({ anchorToMemory: 1 as unknown as boolean })).toThrow(/anchorToMemory/);
  });
});

describe('MemoryBank.shift', () => {
  it('translates the mean and every stored vector by delta, leaves the basis, and refits the vector subspace', () => {
    const F = 4;
    const n = 12;
    const feats = new Float32Array(n * F);
    for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) feats[i * F + j] = Math.sin(1 + i * 1.7 + j * 0.9);
    const bank = new MemoryBank(F);
    const e = bank.addClass(3, feats, n, { directions: 2, explore: 6, perDirection: 3, rank: 2 }, 5);
    const mean0 = Float32Array.from(e.mean);
    const z0 = Float32Array.from(e.z);
    const basis0 = Float32Array.from(e.basis);
    const before = bank.vectorFit(3, 2);
    const delta = Float32Array.from([0.5, -0.25, 0, 1]);
    bank.shift(3, delta);
    const after = bank.classes.get(3)!;
    for (let j = 0; j < F; j++) expect(after.mean[j]).toBeCloseTo(mean0[j] + delta[j], 6);
    for (let i = 0; i < z0.length; i++) expect(after.z[i]).toBeCloseTo(z0[i] + delta[i % F], 6);
    expect(Array.from(after.basis)).toEqual(Array.from(basis0));
    const refit = bank.vectorFit(3, 2);
    expect(refit).not.toBe(before);
    for (let j = 0; j < F; j++) expect(refit.means[0][j]).toBeCloseTo(before.means[0][j] + delta[j], 5);
    expect(() => bank.shift(7, delta)).toThrow(/no class 7/);
  });
});

describe('spread warm-up step (warmupGamma, warmupEps2)', () => {
  const setup = async () => {
    await fastBackend();
    const cfg = resolveConfig('tiny');
    const [C, H, W] = cfg.imageShape;
    const n = 16;
    const x = Float32Array.from({ length: n * C * H * W }, (_, i) => Math.sin(i * 0.37) * 0.9);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    return { cfg, batch: { x, n, labels, k: 2 } };
  };

  it('with γ = 1 and ε² as the run (forced onto the spread path) equals the MCR² warm-up step, without leaks', async () => {
    const { cfg, batch } = await setup();
    const before = tf.memory().numTensors;
    const a = new CrateLoopModel(cfg, resolveRecipe({ warmupGamma: 1, warmupEps2: 0, invarianceWeight: 0 }), 4);
    const b = new CrateLoopModel(cfg, resolveRecipe({ warmupGamma: 1, warmupEps2: 0.5, invarianceWeight: 0 }), 4); // eps2 default 0.5
    const sa = await a.warmupStep(batch, null);
    const sb = await b.warmupStep(batch, null);
    expect(sb.lossEncoder).toBeCloseTo(sa.lossEncoder, 4);
    expect(sb.deltaRZ).toBeCloseTo(sa.deltaRZ, 4);
    const za = await a.encode(batch.x, batch.n);
    const zb = await b.encode(batch.x, batch.n);
    let maxDiff = 0;
    for (let i = 0; i < za.length; i++) maxDiff = Math.max(maxDiff, Math.abs(za[i] - zb[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with γ = 0 maximises the coding rate of all features: loss = −R(Z) at the step', async () => {
    const { cfg, batch } = await setup();
    const m = new CrateLoopModel(cfg, resolveRecipe({ warmupGamma: 0, warmupEps2: 0, invarianceWeight: 0 }), 4);
    const z0 = await m.encode(batch.x, batch.n);
    const r = tf.tidy(() => codingRate(tf.tensor2d(z0, [batch.n, cfg.featureDim]), 0.5));
    const expected = -(await r.data())[0];
    r.dispose();
    const s = await m.warmupStep(batch, null);
    expect(s.lossEncoder).toBeCloseTo(expected, 3);
    expect(s.deltaRZ).not.toBeCloseTo(-s.lossEncoder, 3); // ΔR is reported, but not what γ = 0 optimises
    m.dispose();
  });
});
