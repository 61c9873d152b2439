import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { decode } from '../../../models/crate/decoder';
import { encode } from '../../../models/crate/encoder';
import { closedLoopObjective } from '../../../models/losses/rateReduction';
import {
  LoopState,
  closedLoopStep,
  evaluateClosedLoop,
  mcr2Step,
  type ReplayMemory,
} from '../../../models/training/closedLoop';
import { resolveLoopConfig } from '../../../models/training/config';
import { TEST_BACKENDS, maxAbsDiff, noLeak, randomArray, useBackend } from '../crate/backends';

const cfg = resolveConfig('tiny');
const K = 4;
const N = 32;
const labels = Int32Array.from({ length: N }, (_, i) => i % K);

function images(n: number, seed: number): tf.Tensor4D {
  return tf.tensor4d(randomArray(n * 64, seed), [n, 1, 8, 8]);
}

async function paramsOf(m: Map<string, tf.Variable>): Promise<Float32Array[]> {
  return Promise.all([...m.values()].map(async (v) => (await v.data()) as Float32Array));
}

describe.each(TEST_BACKENDS)('closed-loop training on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('on a fixed batch the encoder step raises T and the decoder step lowers it, each moving only its own weights', async () => {
    const state = new LoopState(cfg, resolveLoopConfig({ lrEncoder: 1e-3, lrDecoder: 1e-3 }), 3);
    const x = images(N, 1);
    const t0 = await evaluateClosedLoop(state, x, labels, K);
    const dec0 = await paramsOf(state.dec);
    const s1 = await closedLoopStep(state, x, labels, K, { phases: 'encoder' });
    expect(s1.T).toBeCloseTo(t0.T, 4); // reported T is the pre-update value
    expect(Number.isNaN(s1.lossDecoder)).toBe(true);
    const t1 = await evaluateClosedLoop(state, x, labels, K);
    expect(t1.T).toBeGreaterThan(t0.T);
    expect(maxAbsDiff((await paramsOf(state.dec)).flatMap((a) => [...a]), dec0.flatMap((a) => [...a]))).toBe(0);
    const enc1 = await paramsOf(state.enc);
    const s2 = await closedLoopStep(state, x, labels, K, { phases: 'decoder' });
    expect(s2.lossDecoder).toBeCloseTo(t1.decoderLoss, 4);
    const t2 = await evaluateClosedLoop(state, x, labels, K);
    expect(t2.T).toBeLessThan(t1.T);
    expect(maxAbsDiff((await paramsOf(state.enc)).flatMap((a) => [...a]), enc1.flatMap((a) => [...a]))).toBe(0);
    state.dispose();
    x.dispose();
  });

  it('a full step reports consistent, finite terms and leaks nothing across steps (with and without memory)', async () => {
    const state = new LoopState(cfg, resolveLoopConfig(), 4);
    const x = images(N, 2);
    const xm = images(12, 3);
    const memory: ReplayMemory = {
      zMem: encode(state.enc, cfg, xm),
      yMem: Int32Array.from({ length: 12 }, (_, i) => 4 + (i % 2)),
      xMem: xm,
    };
    const newLabels = Int32Array.from({ length: N }, (_, i) => i % 2);
    // first steps create Adam's moment slots (2 per variable), which live as long as the optimiser
    await closedLoopStep(state, x, labels, K);
    await closedLoopStep(state, x, newLabels, 6, { memory });
    await noLeak(async () => {
      for (let i = 0; i < 3; i++) {
        const s = await closedLoopStep(state, x, labels, K);
        for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
        expect(s.T).toBeCloseTo(s.deltaRZ + s.deltaRZhat + s.pair, 4);
        expect(s.lossEncoder).toBe(-s.T);
        const m = await closedLoopStep(state, x, newLabels, 6, { memory });
        for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true);
      }
    });
    state.dispose();
    tf.dispose([x, memory.zMem, xm]);
  });

  it('with memory, T and the decoder loss follow the i-CTRL code form (λ new, −1/0 old, replay term)', async () => {
    const loop = resolveLoopConfig({ lambdaNew: 10 });
    const state = new LoopState(cfg, loop, 5);
    const x = images(16, 4);
    const y = Int32Array.from({ length: 16 }, (_, i) => 2 + (i % 2)); // new classes 2, 3
    const xm = images(8, 5);
    const memory: ReplayMemory = {
      zMem: tf.tidy(() => encode(state.enc, cfg, xm)),
      yMem: Int32Array.from({ length: 8 }, (_, i) => i % 2), // old classes 0, 1
      xMem: tf.tidy(() => decode(state.dec, cfg, encode(state.enc, cfg, xm))),
    };
    const got = await evaluateClosedLoop(state, x, y, 4, { memory });
    const want = tf.tidy(() => {
      const zNew = encode(state.enc, cfg, x);
      const Z = tf.concat([zNew, memory.zMem]) as tf.Tensor2D;
      const Zhat = encode(state.enc, cfg, tf.concat([decode(state.dec, cfg, zNew), memory.xMem]) as tf.Tensor4D);
      const yAll = Int32Array.from([...y, ...memory.yMem]);
      const enc = closedLoopObjective(Z, Zhat, yAll, 4, loop.eps2, { pairWeights: [-1, -1, 10, 10] });
      const dec = closedLoopObjective(Z, Zhat, yAll, 4, loop.eps2, { pairWeights: [0, 0, 10, 10] });
      const replay = encode(state.enc, cfg, decode(state.dec, cfg, memory.zMem));
      const old = closedLoopObjective(replay, tf.slice(Zhat, [16, 0], [8, cfg.featureDim]) as tf.Tensor2D, memory.yMem, 4, loop.eps2);
      return tf.stack([enc.T, tf.add(dec.T, old.pair)]);
    });
    const [tEnc, tDec] = await want.data();
    want.dispose();
    expect(got.T).toBeCloseTo(tEnc, 4);
    expect(got.decoderLoss).toBeCloseTo(tDec, 4);
    expect(got.T).not.toBeCloseTo(got.decoderLoss, 2); // the weights really differ between the two players
    state.dispose();
    tf.dispose([x, xm, memory.zMem, memory.xMem]);
  });

  it('optimiser state survives a get/set round trip: resumed and uninterrupted runs take identical steps', async () => {
    const loop = resolveLoopConfig({ lrEncoder: 1e-3, lrDecoder: 1e-3 });
    const a = new LoopState(cfg, loop, 6);
    const x = images(N, 6);
    await closedLoopStep(a, x, labels, K);
    await closedLoopStep(a, x, labels, K);
    const opt = await a.getOptimizerState();
    expect(opt.encoder[0].name).toBe('iter');
    expect(opt.encoder.some((s) => s.name === 'enc/l0/D/m')).toBe(true);
    expect(opt.decoder.some((s) => s.name === 'dec/out/b/v')).toBe(true);
    expect(opt.encoder.length).toBe(1 + 2 * a.enc.size);
    const clone = (m: Map<string, tf.Variable>) => new Map([...m].map(([k, v]) => [k, tf.variable(v.clone())]));
    const b = new LoopState(cfg, loop, 99, { enc: clone(a.enc), dec: clone(a.dec) });
    await b.setOptimizerState(opt);
    tf.dispose([...opt.encoder, ...opt.decoder].map((s) => s.tensor));
    const before = tf.memory().numTensors;
    const sa = await closedLoopStep(a, x, labels, K);
    const sb = await closedLoopStep(b, x, labels, K);
    expect(tf.memory().numTensors).toBe(before);
    expect(sb.T).toBeCloseTo(sa.T, 5);
    const pa = (await paramsOf(a.enc)).concat(await paramsOf(a.dec)).flatMap((t) => [...t]);
    const pb = (await paramsOf(b.enc)).concat(await paramsOf(b.dec)).flatMap((t) => [...t]);
    expect(maxAbsDiff(pa, pb)).toBeLessThan(1e-6);
    // a fresh state (no optimiser history) takes a different step from the same weights
    const c = new LoopState(cfg, loop, 99, { enc: clone(a.enc), dec: clone(a.dec) });
    const d = new LoopState(cfg, loop, 99, { enc: clone(a.enc), dec: clone(a.dec) });
    const optNow = await a.getOptimizerState();
    await d.setOptimizerState(optNow);
    tf.dispose([...optNow.encoder, ...optNow.decoder].map((s) => s.tensor));
    await closedLoopStep(c, x, labels, K);
    await closedLoopStep(d, x, labels, K);
    const pc = (await paramsOf(c.enc)).flatMap((t) => [...t]);
    const pd = (await paramsOf(d.enc)).flatMap((t) => [...t]);
    expect(maxAbsDiff(pc, pd)).toBeGreaterThan(1e-6);
    for (const s of [a, b, c, d]) s.dispose();
    x.dispose();
  });

  it('mcr2Step raises ΔR(Z) on a fixed batch and touches only the encoder', async () => {
    const state = new LoopState(cfg, resolveLoopConfig({ lrEncoder: 1e-3 }), 7);
    const x = images(N, 7);
    const dec0 = (await paramsOf(state.dec)).flatMap((t) => [...t]);
    const first = await mcr2Step(state, x, labels, K);
    let last = first;
    for (let i = 0; i < 5; i++) last = await mcr2Step(state, x, labels, K);
    expect(last.deltaRZ).toBeGreaterThan(first.deltaRZ);
    expect(last.loss).toBe(-last.deltaRZ);
    expect(maxAbsDiff((await paramsOf(state.dec)).flatMap((t) => [...t]), dec0)).toBe(0);
    state.dispose();
    x.dispose();
  });

  it('rejects inconsistent batches with messages naming the problem', async () => {
    const state = new LoopState(cfg, resolveLoopConfig(), 8);
    const x = images(4, 8);
    await expect(closedLoopStep(state, x, new Int32Array(3), K)).rejects.toThrow(/4 images but 3 labels/);
    await expect(closedLoopStep(state, x, Int32Array.from([0, 1, 2, 9]), K)).rejects.toThrow(/label 9 outside \[0, 4\)/);
    const wrong = tf.zeros([4, 1, 4, 4]) as tf.Tensor4D;
    await expect(mcr2Step(state, wrong, new Int32Array(4), K)).rejects.toThrow(/preset expects \(B, 1, 8, 8\)/);
    expect(() => resolveLoopConfig({ lr: 1 } as never)).toThrow(/unknown key 'lr'/);
    state.dispose();
    tf.dispose([x, wrong]);
  });
});
