// Shifted views for the invariance warm-up (main/engine/augment.ts) and the warm-up step that uses them.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchSeed, shiftImages } from '../../main/engine/augment';
import { CrateLoopModel } from '../../main/engine/crateLoopModel';
import { resolveRecipe } from '../../main/engine/recipe';
import { resolveConfig } from '../../models/crate/config';
import { fastBackend } from './helpers';

/** One 8×8 image with a single bright pixel at (row, col) on a −1 background. */
function dot(row: number, col: number): Float32Array {
  const x = new Float32Array(64).fill(-1);
  x[row * 8 + col] = 1;
  return x;
}

describe('shiftImages', () => {
  it('shift 0 returns an equal copy', () => {
    const x = Float32Array.from({ length: 2 * 3 * 4 * 4 }, (_, i) => Math.sin(i));
    const y = shiftImages(x, 2, [3, 4, 4], 0, 1);
    expect(Array.from(y)).toEqual(Array.from(x));
    expect(y).not.toBe(x);
  });

  it('moves the content of each image by one offset within ±shift, the same for every channel', () => {
    const n = 40;
    const x = new Float32Array(n * 2 * 64);
    for (let i = 0; i < n; i++) {
      x.set(dot(4, 3), i * 128); // channel 0
      x.set(dot(4, 3), i * 128 + 64); // channel 1
    }
    const y = shiftImages(x, n, [2, 8, 8], 2, 99);
    const offsets = new Set<string>();
    for (let i = 0; i < n; i++) {
      const lit = [0, 1].map((ch) => {
        const img = y.subarray(i * 128 + ch * 64, i * 128 + ch * 64 + 64);
        const at = Array.from(img).flatMap((v, k) => (v === 1 ? [k] : []));
        expect(at).toHaveLength(1); // an interior dot survives a shift of 2, background stays −1
        expect(Array.from(img).filter((v) => v !== 1 && v !== -1)).toHaveLength(0);
        return at[0];
      });
      expect(lit[1]).toBe(lit[0]);
      const dy = Math.floor(lit[0] / 8) - 4;
      const dx = (lit[0] % 8) - 3;
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      offsets.add(`${dx},${dy}`);
    }
    expect(offsets.size).toBeGreaterThan(8); // 40 draws over 25 offsets
  });

  it('fills from the nearest edge pixel', () => {
    // a horizontal ramp, column c holds c: after a shift by dx every row must read clamp(c − dx, 0, 7)
    const x = Float32Array.from({ length: 64 }, (_, k) => k % 8);
    for (const seed of [1, 2, 3, 4, 5]) {
      const y = shiftImages(x, 1, [1, 8, 8], 3, seed);
      const rows = Array.from({ length: 8 }, (_, r) => Array.from(y.subarray(r * 8, r * 8 + 8)));
      const fits = [-3, -2, -1, 0, 1, 2, 3].filter((dx) => rows.every((row) => row.every((v, c) => v === Math.min(7, Math.max(0, c - dx)))));
      expect(fits).toHaveLength(1);
    }
  });

  it('is a pure function of (images, seed), and rejects bad input with the problem named', () => {
    const x = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.cos(i * 0.3));
    expect(Array.from(shiftImages(x, 3, [1, 8, 8], 2, 7))).toEqual(Array.from(shiftImages(x, 3, [1, 8, 8], 2, 7)));
    expect(Array.from(shiftImages(x, 3, [1, 8, 8], 2, 7))).not.toEqual(Array.from(shiftImages(x, 3, [1, 8, 8], 2, 8)));
    expect(() => shiftImages(x, 4, [1, 8, 8], 2, 7)).toThrow(/at least 256 values for 4 images/);
    expect(() => shiftImages(x, 3, [1, 8, 8], 1.5, 7)).toThrow(/shift must be an integer/);
  });
});

describe('batchSeed', () => {
  it('depends on the pixels, the labels and the view, and on nothing else', () => {
    const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    const y = Int32Array.of(0, 1);
    const s = batchSeed(x, y, 0);
    expect(batchSeed(Float32Array.from(x), Int32Array.from(y), 0)).toBe(s);
    expect(batchSeed(x, y, 1)).not.toBe(s);
    expect(batchSeed(x, Int32Array.of(1, 0), 0)).not.toBe(s);
    const x2 = Float32Array.from(x);
    x2[0] += 0.01;
    expect(batchSeed(x2, y, 0)).not.toBe(s);
  });
});

describe('invariance warm-up step (invarianceWeight, augShift)', () => {
  it('needs a shift, and raises the agreement of the two views step by step without leaking tensors', async () => {
    await fastBackend();
    expect(() => resolveRecipe({ invarianceWeight: 10, augShift: 0 })).toThrow(/augShift/);
    const cfg = resolveConfig('tiny');
    const n = 32;
    const x = new Float32Array(n * 64);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (let i = 0; i < n; i++) {
      // two classes of blobs at different places, each sample with its own wobble
      const [r0, c0] = labels[i] === 0 ? [2, 2] : [5, 5];
      for (let k = 0; k < 64; k++) {
        const d2 = (Math.floor(k / 8) - r0) ** 2 + ((k % 8) - c0) ** 2;
        x[i * 64 + k] = Math.exp(-d2 / (1.5 + 0.05 * (i % 7))) * 2 - 1;
      }
    }
    const before = tf.memory().numTensors;
    const m = new CrateLoopModel(cfg, resolveRecipe({ invarianceWeight: 20, augShift: 1, warmupGamma: 0.5, lrEncoder: 3e-3 }), 3);
    const agree: number[] = [];
    for (let s = 0; s < 12; s++) agree.push((await m.warmupStep({ x, n, labels, k: 2 }, null)).pairTerm);
    for (const a of agree) expect(a).toBeGreaterThanOrEqual(-1.0001);
    for (const a of agree) expect(a).toBeLessThanOrEqual(1.0001);
    const first = (agree[0] + agree[1]) / 2;
    const last = (agree[10] + agree[11]) / 2;
    expect(last).toBeGreaterThan(first + 0.5 * (1 - first)); // closes over half of the gap to perfect agreement
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('distillation term of later warm-ups (distillWeight)', () => {
  it('keeps the features of the batch near their targets: less than half the drift of the same steps without it', async () => {
    await fastBackend();
    const cfg = resolveConfig('tiny');
    const n = 32;
    const x = Float32Array.from({ length: n * 64 }, (_, k) => Math.sin(k * 0.21 + Math.floor(k / 64)) * 0.9);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const drift = async (distillWeight: number): Promise<number> => {
      const before = tf.memory().numTensors;
      // γ = 0 (the default): ΔR is reported as T from outside the gradient tape
      const m = new CrateLoopModel(cfg, resolveRecipe({ invarianceWeight: 20, augShift: 1, distillWeight, lrEncoder: 3e-3, warmupGamma: 0 }), 3);
      const z0 = await m.encode(x, n);
      for (let s = 0; s < 8; s++) {
        const st = await m.warmupStep({ x, n, labels, k: 2, distillTarget: z0 }, null);
        expect(Number.isFinite(st.T) && st.T !== 0).toBe(true);
      }
      const z1 = await m.encode(x, n);
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
      let d = 0;
      for (let i = 0; i < z0.length; i++) d += (z1[i] - z0[i]) ** 2;
      return d / n;
    };
    const free = await drift(0);
    const held = await drift(1000);
    expect(free).toBeGreaterThan(1e-3); // the warm-up does move the features
    expect(held).toBeLessThan(0.5 * free);
  });
});

describe('invariance to the loop in later warm-ups (reconInvariance)', () => {
  it('makes f(x) and f(g(f(x))) agree more than the same steps without it, and only where the runner asks', async () => {
    await fastBackend();
    const cfg = resolveConfig('tiny');
    const n = 32;
    const x = Float32Array.from({ length: n * 64 }, (_, k) => Math.sin(k * 0.37 + 1.3 * Math.floor(k / 64)) * 0.9);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const agreement = async (m: CrateLoopModel): Promise<number> => {
      const z = await m.encode(x, n);
      const back = await m.encode(await m.decode(z, n), n);
      let s = 0;
      for (let i = 0; i < z.length; i++) s += z[i] * back[i];
      return s / n; // mean cosine: features are unit rows
    };
    const train = async (mu: number, reconView: boolean): Promise<{ a0: number; a1: number; z: Float32Array }> => {
      const before = tf.memory().numTensors;
      const m = new CrateLoopModel(cfg, resolveRecipe({ invarianceWeight: 20, augShift: 1, lrEncoder: 3e-3, warmupGamma: 0, reconInvariance: mu }), 3);
      const a0 = await agreement(m);
      for (let s = 0; s < 10; s++) await m.warmupStep({ x, n, labels, k: 2, reconView }, null);
      const out = { a0, a1: await agreement(m), z: await m.encode(x, n) };
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const off = await train(0, true);
    const on = await train(100, true);
    expect(on.a0).toBeCloseTo(off.a0, 6); // same seed, same start
    expect(on.a1 - on.a0).toBeGreaterThan(off.a1 - off.a0 + 0.05);
    // without reconView (the first task: the decoder has not learned to draw) the weight changes nothing
    const unasked = await train(100, false);
    expect(Array.from(unasked.z)).toEqual(Array.from(off.z));
  });
});

describe('warm-up anchor on decoded memory rows (warmupAnchorWeight)', () => {
  it('holds the anchored rows near their targets while the rest of the batch learns', async () => {
    await fastBackend();
    const cfg = resolveConfig('tiny');
    const n = 32;
    const from = 24; // rows 24..31 play the decoded memory
    // the anchored rows are other images than the rest (blobs vs stripes), as decoded old digits are to new ones
    const x = Float32Array.from({ length: n * 64 }, (_, k) => {
      const i = Math.floor(k / 64);
      const [r, c] = [Math.floor((k % 64) / 8), k % 8];
      return i < from ? Math.cos(c * 1.3 + 0.7 * i) * 0.9 : Math.exp(-((r - 2 - (i % 4)) ** 2 + (c - 4) ** 2) / 3) * 2 - 1;
    });
    const labels = Int32Array.from({ length: n }, (_, i) => (i < from ? i % 2 : 2));
    const drift = async (weight: number): Promise<{ held: number; free: number }> => {
      const before = tf.memory().numTensors;
      const m = new CrateLoopModel(cfg, resolveRecipe({ invarianceWeight: 20, augShift: 1, lrEncoder: 3e-3, warmupGamma: 0 }), 3);
      const z0 = await m.encode(x, n);
      const target = z0.slice(from * cfg.featureDim);
      for (let s = 0; s < 8; s++) await m.warmupStep({ x, n, labels, k: 3, anchor: { from, target, weight } }, null);
      const z1 = await m.encode(x, n);
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const F = cfg.featureDim;
      const d = (a: number, b: number) => {
        let s = 0;
        for (let i = a * F; i < b * F; i++) s += (z1[i] - z0[i]) ** 2;
        return s / (b - a);
      };
      return { held: d(from, n), free: d(0, from) };
    };
    const off = await drift(0);
    const on = await drift(1000);
    expect(off.held).toBeGreaterThan(1e-3); // without the anchor those rows move too
    expect(on.held).toBeLessThan(0.3 * off.held);
    // the anchored rows are held more than the rest of the batch, which the anchor slows only through shared weights
    expect(on.held / off.held).toBeLessThan(0.5 * (on.free / off.free));
  });
});
