import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { decode } from '../../../models/crate/decoder';
import { encode, encodeDiagnostics, encodeTokens } from '../../../models/crate/encoder';
import { layerNormP } from '../../../models/crate/layerNorm';
import { dense } from '../../../models/ops/matmul';
import { symEig } from '../training/subspace64';
import { alphaCode, istaStep, istaStepReference } from '../../../models/crate/ista';
import { layerNorm } from '../../../models/crate/layerNorm';
import { mssa } from '../../../models/crate/mssa';
import { disposeParams, initDecoderParams, initEncoderParams, type ParamMap } from '../../../models/crate/params';
import { patchify, unpatchify } from '../../../models/crate/patches';
import { TEST_BACKENDS, maxAbsDiff, noLeak, randomArray, useBackend } from './backends';

// float64 row-major helpers for the references
function mm(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, bT = false): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * (bT ? b[j * k + p] : b[p * n + j]);
    out[i * n + j] = s;
  }
  return out;
}

describe.each(TEST_BACKENDS)('CRATE layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('ISTA in 1 product equals the official 3-product form and a float64 reference', async () => {
    const d = 12, rows = 7, eta = 0.1, lam = 0.1;
    const uA = randomArray(rows * d, 11);
    const DA = randomArray(d * d, 12, -0.7, 0.7);
    await noLeak(async () => {
      const u = tf.tensor2d(uA, [rows, d]);
      const D = tf.tensor2d(DA, [d, d]);
      const [a, b] = tf.tidy(() => [istaStep(u, D, eta, lam), istaStepReference(u, D, eta, lam)]);
      const av = await a.data();
      expect(maxAbsDiff(av, await b.data())).toBeLessThan(1e-5);
      // x = relu(u + η(uD − (uDᵀ)D) − ηλ) in float64
      const uD = mm(uA, DA, rows, d, d);
      const uDt = mm(uA, DA, rows, d, d, true);
      const uDtD = mm(uDt, DA, rows, d, d);
      const ref = uA.map((x, i) => Math.max(0, x + eta * (uD[i] - uDtD[i]) - eta * lam));
      expect(maxAbsDiff(av, ref)).toBeLessThan(1e-5);
      expect(ref.some((x) => x === 0) && ref.some((x) => x > 0)).toBe(true); // both ReLU branches exercised
      tf.dispose([u, D, a, b]);
    });
  });

  it('CRATE-α code: two ISTA steps from zero with an overcomplete D (float64 reference)', async () => {
    const d = 4, rows = 3, eta = 0.1, lam = 0.1;
    const uA = randomArray(rows * d, 21);
    const DA = randomArray(d * 4 * d, 22);
    const u = tf.tensor2d(uA, [rows, d]);
    const D = tf.tensor2d(DA, [d, 4 * d]);
    const a = alphaCode(u, D, eta, lam);
    expect(a.shape).toEqual([rows, 4 * d]);
    // column form: A1 = relu(ηDᵀz − ηλ); A2 = relu(A1 − ηDᵀ(DA1 − z) − ηλ), here row by row
    const uD = mm(uA, DA, rows, d, 4 * d);
    const a1 = uD.map((x) => Math.max(0, eta * x - eta * lam));
    const a1Dt = mm(a1, DA, rows, 4 * d, d, true);
    const resid = a1Dt.map((x, i) => x - uA[i]);
    const rD = mm(resid, DA, rows, d, 4 * d);
    const a2 = a1.map((x, i) => Math.max(0, x - eta * rD[i] - eta * lam));
    expect(maxAbsDiff(await a.data(), a2)).toBeLessThan(1e-5);
    tf.dispose([u, D, a]);
  });

  it('patchify orders each patch (p_row, p_col, c) and patches row-major (hand example)', async () => {
    // pixel value = 100·c + 10·h + w, image 2×4×4, patch 2
    const vals: number[] = [];
    for (let c = 0; c < 2; c++) for (let h = 0; h < 4; h++) for (let w = 0; w < 4; w++) vals.push(100 * c + 10 * h + w);
    const x = tf.tensor4d(vals, [1, 2, 4, 4]);
    const p = patchify(x, 2);
    expect(p.shape).toEqual([1, 4, 8]);
    const v = Array.from(await p.data());
    expect(v.slice(0, 8)).toEqual([0, 100, 1, 101, 10, 110, 11, 111]);
    expect(v.slice(8, 16)).toEqual([2, 102, 3, 103, 12, 112, 13, 113]);
    expect(v.slice(16, 24)).toEqual([20, 120, 21, 121, 30, 130, 31, 131]);
    tf.dispose([x, p]);
  });

  it('unpatchify inverts patchify exactly', async () => {
    await noLeak(async () => {
      const x = tf.tensor4d(randomArray(2 * 3 * 8 * 12, 31), [2, 3, 8, 12]);
      const back = tf.tidy(() => unpatchify(patchify(x, 4), 4, [3, 8, 12]));
      expect(back.shape).toEqual([2, 3, 8, 12]);
      expect(maxAbsDiff(await back.data(), await x.data())).toBe(0);
      tf.dispose([x, back]);
    });
  });

  it('layerNorm matches torch.nn.LayerNorm in float64 (biased variance, eps 1e-5)', async () => {
    const xA = randomArray(3 * 6, 41, -3, 3);
    const gA = randomArray(6, 42);
    const bA = randomArray(6, 43);
    const y = tf.tidy(() => layerNorm(tf.tensor2d(xA, [3, 6]), tf.tensor1d(gA), tf.tensor1d(bA), 1e-5));
    const ref: number[] = [];
    for (let i = 0; i < 3; i++) {
      const row = Array.from(xA.slice(i * 6, i * 6 + 6));
      const mu = row.reduce((s, x) => s + x, 0) / 6;
      const v = row.reduce((s, x) => s + (x - mu) ** 2, 0) / 6;
      row.forEach((x, j) => ref.push(((x - mu) / Math.sqrt(v + 1e-5)) * gA[j] + bA[j]));
    }
    expect(maxAbsDiff(await y.data(), ref)).toBeLessThan(1e-5);
    y.dispose();
  });

  it('MSSA matches a float64 reference (shared q=k=v, softmax over keys, dh^-½)', async () => {
    const B = 2, N = 3, d = 4, H = 2, dh = 2;
    const p: ParamMap = new Map<string, tf.Variable>([
      ['m/qkv', tf.variable(tf.tensor2d(randomArray(d * d, 51), [d, d]))],
      ['m/out/W', tf.variable(tf.tensor2d(randomArray(d * d, 52), [d, d]))],
      ['m/out/b', tf.variable(tf.tensor1d(randomArray(d, 53)))],
    ]);
    const yA = randomArray(B * N * d, 54);
    const out = tf.tidy(() => mssa(p, 'm', tf.tensor3d(yA, [B, N, d]), H));
    const U = await p.get('m/qkv')!.data();
    const Wo = await p.get('m/out/W')!.data();
    const bo = await p.get('m/out/b')!.data();
    const ref: number[] = [];
    for (let b = 0; b < B; b++) {
      const w = mm(yA.slice(b * N * d, (b + 1) * N * d), U, N, d, d); // (N, d)
      const o = new Float64Array(N * d);
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < N; i++) {
          const s = [...Array(N).keys()].map((j) => {
            let t = 0;
            for (let k = 0; k < dh; k++) t += w[i * d + h * dh + k] * w[j * d + h * dh + k];
            return t / Math.sqrt(dh);
          });
          const mx = Math.max(...s);
          const e = s.map((x) => Math.exp(x - mx));
          const z = e.reduce((a, c) => a + c, 0);
          for (let k = 0; k < dh; k++) {
            let acc = 0;
            for (let j = 0; j < N; j++) acc += (e[j] / z) * w[j * d + h * dh + k];
            o[i * d + h * dh + k] = acc;
          }
        }
      }
      const r = mm(o, Wo, N, d, d);
      for (let i = 0; i < N * d; i++) ref.push(r[i] + bo[i % d]);
    }
    expect(maxAbsDiff(await out.data(), ref)).toBeLessThan(1e-5);
    out.dispose();
    disposeParams(p);
  });

  for (const variant of [{ pool: 'mean' }, { pool: 'cls' }, { pool: 'flat' }, { sparseBlock: 'alpha' }] as const) {
    it(`encoder ${JSON.stringify(variant)}: (B, F) unit rows; decoder: (B, C, H, W) in (−1, 1); no leaks`, async () => {
      const cfg = resolveConfig('tiny', { ...variant, imageShape: [2, 8, 8], depthEncoder: 2, depthDecoder: 2 });
      const enc = initEncoderParams(cfg, 1);
      const dec = initDecoderParams(cfg, 2);
      const x = tf.tensor4d(randomArray(5 * 2 * 64, 61), [5, 2, 8, 8]);
      await noLeak(async () => {
        const z = encode(enc, cfg, x);
        expect(z.shape).toEqual([5, cfg.featureDim]);
        const normT = tf.norm(z, 'euclidean', 1);
        const norms = await normT.data();
        normT.dispose();
        expect(maxAbsDiff(norms, new Float32Array(5).fill(1))).toBeLessThan(1e-5);
        const xh = decode(dec, cfg, z);
        expect(xh.shape).toEqual([5, 2, 8, 8]);
        const v = await xh.data();
        expect(v.every((t) => t > -1 && t < 1)).toBe(true);
        tf.dispose([z, xh]);
      });
      disposeParams(enc);
      disposeParams(dec);
      x.dispose();
    });
  }

  it('rejects images of the wrong shape with a clear message', () => {
    const cfg = resolveConfig('tiny');
    const enc = initEncoderParams(cfg, 1);
    const x = tf.zeros([2, 1, 7, 8]) as tf.Tensor4D;
    expect(() => encode(enc, cfg, x)).toThrow(/expected images \(B, 1, 8, 8\), got \[2,1,7,8\]/);
    x.dispose();
    disposeParams(enc);
  });
});

describe.each(TEST_BACKENDS)('encodeDiagnostics on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('per-layer compression matches a float64 recomputation from the layer inputs; sparsity is the non-zero fraction', async () => {
    const cfg = resolveConfig('tiny', { depthEncoder: 2 });
    const enc = initEncoderParams(cfg, 4);
    const x = tf.tensor4d(randomArray(3 * 64, 71), [3, 1, 8, 8]);
    await noLeak(async () => {
      const d = await encodeDiagnostics(enc, cfg, x);
      const z = encode(enc, cfg, x);
      expect(maxAbsDiff(await d.z.data(), await z.data())).toBeLessThan(1e-6);
      expect(d.layerCompression).toHaveLength(2);
      expect(d.layerSparsity).toHaveLength(2);
      for (const s of d.layerSparsity) expect(s > 0 && s <= 1).toBe(true);
      expect(d.layerCompression.every(Number.isFinite)).toBe(true);
      // Independent float64 recomputation for layer 0: its input Z⁰ is the encoder with zero layers.
      const w0 = tf.tidy(() => {
        const z0 = encodeTokens(enc, { ...cfg, depthEncoder: 0 }, x); // (B, N+1, d)
        return dense(layerNormP(enc, 'enc/l0/ln1', z0, cfg.layerNormEps), enc.get('enc/l0/qkv')!); // (B, N+1, d)
      });
      const wv = await w0.data();
      w0.dispose();
      const [B, N1, dm, H] = [3, 5, cfg.dim, cfg.heads];
      const dh = dm / H;
      let total = 0;
      for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
        const t = [...Array(N1).keys()].map((i) => {
          const v = Array.from(wv.slice(b * N1 * dm + i * dm + h * dh, b * N1 * dm + i * dm + (h + 1) * dh));
          const n = Math.hypot(...v);
          return v.map((e) => e / n);
        });
        const g = new Float64Array(N1 * N1);
        const c = dh / (N1 * 0.01);
        for (let i = 0; i < N1; i++) for (let j = 0; j < N1; j++) {
          g[i * N1 + j] = (i === j ? 1 : 0) + c * t[i].reduce((s, e, k) => s + e * t[j][k], 0);
        }
        total += 0.5 * symEig(g, N1).values.reduce((s, e) => s + Math.log(e), 0);
      }
      expect(Math.abs(d.layerCompression[0] - total / B)).toBeLessThan(1e-3 * Math.abs(total / B));
      // sparsity of the last layer = non-zero fraction of the final tokens
      const tokens = encodeTokens(enc, cfg, x);
      const tv = await tokens.data();
      tokens.dispose();
      expect(d.layerSparsity[1]).toBeCloseTo(Array.from(tv).filter((e) => e !== 0).length / tv.length, 6);
      tf.dispose([d.z, z]);
    });
    x.dispose();
    disposeParams(enc);
  });
});
