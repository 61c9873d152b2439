// The decoder's pixel reconstruction term (LoopConfig.reconWeight): its value inside the decoder loss against a float64
// sum computed here, and the warm-up's reconstruction step (g learns, f stays).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { decode } from '../../../models/crate/decoder';
import { encode } from '../../../models/crate/encoder';
import { LoopState, decoderPixelStep, evaluateClosedLoop, reconstructionStep } from '../../../models/training/closedLoop';
import { resolveLoopConfig } from '../../../models/training/config';
import { noLeak, randomArray, useBackend } from '../crate/backends';

const cfg = resolveConfig('tiny');
const N = 16;
const labels = Int32Array.from({ length: N }, (_, i) => i % 2);

/** float64 mean((g(f(x)) − x)²) from the networks' outputs */
function pixelError64(state: LoopState, x: tf.Tensor4D): number {
  const xh = tf.tidy(() => decode(state.dec, cfg, encode(state.enc, cfg, x)));
  const a = xh.dataSync();
  const b = x.dataSync();
  xh.dispose();
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

describe('decoder reconstruction term', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('adds reconWeight · mean((g(f(X)) − X)²) to the decoder loss and nothing to the encoder objective', async () => {
    const x = tf.tensor4d(randomArray(N * 64, 21), [N, 1, 8, 8]);
    const plain = new LoopState(cfg, resolveLoopConfig({ reconWeight: 0 }), 9);
    const withRecon = new LoopState(cfg, resolveLoopConfig({ reconWeight: 7 }), 9); // same seed: same weights
    const a = await evaluateClosedLoop(plain, x, labels, 2);
    const b = await evaluateClosedLoop(withRecon, x, labels, 2);
    const expected = 7 * pixelError64(plain, x);
    expect(expected).toBeGreaterThan(0.01);
    expect(b.decoderLoss - a.decoderLoss).toBeCloseTo(expected, 3);
    expect(b.T).toBeCloseTo(a.T, 5);
    plain.dispose();
    withRecon.dispose();
    x.dispose();
  });

  it('the reconstruction step lowers the pixel error, moves only the decoder, and frees its tensors', async () => {
    const x = tf.tensor4d(randomArray(N * 64, 22), [N, 1, 8, 8]);
    const state = new LoopState(cfg, resolveLoopConfig({ reconWeight: 1, lrDecoder: 1e-2 }), 3);
    const enc0 = [...state.enc.values()].map((v) => v.dataSync().slice());
    const e0 = pixelError64(state, x);
    const first = await reconstructionStep(state, x); // creates Adam's moments
    expect(first).toBeCloseTo(e0, 4);
    await noLeak(async () => {
      for (let i = 0; i < 20; i++) await reconstructionStep(state, x);
    });
    expect(pixelError64(state, x)).toBeLessThan(0.8 * e0);
    [...state.enc.values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(enc0[i])));
    state.dispose();
    x.dispose();
  });
});

describe('decoder phase step (decoderPixelStep)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('returns the float64 pixel error over the images and the replayed (Z_mem, X_mem) pairs, and learns both', async () => {
    const x = tf.tensor4d(randomArray(N * 64, 31), [N, 1, 8, 8]);
    const m = 6;
    const xMem = tf.tensor4d(randomArray(m * 64, 32), [m, 1, 8, 8]);
    const state = new LoopState(cfg, resolveLoopConfig({ lrDecoder: 1e-2 }), 5);
    const zMem = tf.tidy(() => encode(state.enc, cfg, tf.tensor4d(randomArray(m * 64, 33), [m, 1, 8, 8]))); // features of other images
    // the memory pairs' own error, float64
    const memError64 = () => {
      const gh = tf.tidy(() => decode(state.dec, cfg, zMem));
      const a = gh.dataSync();
      const b = xMem.dataSync();
      gh.dispose();
      let s = 0;
      for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
      return s;
    };
    const enc0 = [...state.enc.values()].map((v) => v.dataSync().slice());
    const e0 = (pixelError64(state, x) * N * 64 + memError64()) / ((N + m) * 64);
    const mem0 = memError64();
    const first = await decoderPixelStep(state, x, { mem: { zMem, xMem } });
    expect(first).toBeCloseTo(e0, 4);
    await noLeak(async () => {
      for (let i = 0; i < 20; i++) await decoderPixelStep(state, x, { mem: { zMem, xMem } });
    });
    // both parts are learned: the images from their features, and the memory pairs the decoder is to keep drawing
    expect(memError64()).toBeLessThan(0.8 * mem0);
    expect(pixelError64(state, x)).toBeLessThan(0.8 * e0);
    [...state.enc.values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(enc0[i])));
    state.dispose();
    tf.dispose([x, xMem, zMem]);
  });

  it('with consistency c adds c·mean‖f(g(z)) − z‖² (float64) and learns it without moving the encoder', async () => {
    const x = tf.tensor4d(randomArray(N * 64, 36), [N, 1, 8, 8]);
    const state = new LoopState(cfg, resolveLoopConfig({ lrDecoder: 1e-2 }), 8);
    const F = cfg.featureDim;
    // float64 consistency of the current networks: mean over rows of Σ_f (f(g(f(x))) − f(x))²
    const cons64 = () => {
      const [z, back] = tf.tidy(() => {
        const zz = encode(state.enc, cfg, x);
        return [zz, encode(state.enc, cfg, decode(state.dec, cfg, zz))];
      });
      const a = z.dataSync();
      const b = back.dataSync();
      tf.dispose([z, back]);
      let s = 0;
      for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
      return s / (a.length / F);
    };
    const enc0 = [...state.enc.values()].map((v) => v.dataSync().slice());
    const expected = pixelError64(state, x) + 3 * cons64();
    const first = await decoderPixelStep(state, x, { consistency: 3 });
    expect(first).toBeCloseTo(expected, 4);
    const c0 = cons64();
    await noLeak(async () => {
      for (let i = 0; i < 20; i++) await decoderPixelStep(state, x, { weight: 0, consistency: 1 });
    });
    expect(cons64()).toBeLessThan(0.8 * c0); // the decoder learned to draw what re-encodes where it came from
    [...state.enc.values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(enc0[i])));
    state.dispose();
    x.dispose();
  });

  it('without memory it is the reconstruction objective alone', async () => {
    const x = tf.tensor4d(randomArray(N * 64, 34), [N, 1, 8, 8]);
    const state = new LoopState(cfg, resolveLoopConfig({}), 6);
    const twin = new LoopState(cfg, resolveLoopConfig({}), 6); // same seed, same weights, never stepped
    expect(await decoderPixelStep(state, x)).toBeCloseTo(pixelError64(twin, x), 4);
    expect(pixelError64(state, x)).toBeLessThan(pixelError64(twin, x)); // and the step moved g
    state.dispose();
    twin.dispose();
    x.dispose();
  });

  it('resetDecoderOptimizer forgets the decoder\'s Adam moments, keeps its rate, and leaves the encoder\'s', async () => {
    const x = tf.tensor4d(randomArray(N * 64, 35), [N, 1, 8, 8]);
    const state = new LoopState(cfg, resolveLoopConfig({}), 7);
    state.setLearningRates(3e-4, 5e-3);
    await decoderPixelStep(state, x);
    await evaluateClosedLoop(state, x, labels, 2); // no step: the encoder's optimiser stays empty
    const before = await state.getOptimizerState();
    expect(before.decoder.some((t) => t.name.endsWith('/m'))).toBe(true);
    state.resetDecoderOptimizer();
    const after = await state.getOptimizerState();
    expect(after.decoder.map((t) => t.name)).toEqual(['iter']);
    expect((state.decoderOptimizer as unknown as { learningRate: number }).learningRate).toBe(5e-3);
    expect(after.encoder.map((t) => t.name)).toEqual(before.encoder.map((t) => t.name));
    for (const t of [...before.encoder, ...before.decoder, ...after.encoder, ...after.decoder]) t.tensor.dispose();
    state.dispose();
    x.dispose();
  });
});
