import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, numPatches, patchDim, resolveConfig, type CrateConfig } from '../../../models/crate/config';
import {
  countParams,
  countSpecs,
  crateClassifierParamCount,
  decoderSpecs,
  disposeParams,
  encoderSpecs,
  initDecoderParams,
  initEncoderParams,
} from '../../../models/crate/params';
import { noLeak, useBackend } from './backends';

/** Parameter counts written out by hand from the layer list of torch_closed_loop.py. */
function handCount(cfg: CrateConfig): { enc: number; dec: number } {
  const d = cfg.dim;
  const pd = patchDim(cfg);
  const n = numPatches(cfg);
  const f = cfg.featureDim;
  const layer = cfg.sparseBlock === 'alpha' ? 10 * d * d + 5 * d : 3 * d * d + 5 * d;
  const enc = 2 * pd + pd * d + d + 2 * d + d + (n + 1) * d + cfg.depthEncoder * layer + 2 * d + d * f;
  const dec = f * d + d + n * d + cfg.depthDecoder * (3 * d * d + 5 * d) + 2 * d + d * pd + pd;
  return { enc, dec };
}

describe('presets', () => {
  it('mnist-s / cifar-s / mnist-p4 have the shapes of torch_closed_loop.py PRESETS', () => {
    const torch = {
      'mnist-s': { c: 1, img: 28, patch: 7, d: 128, heads: 4, depth: 4, feat: 128, batch: 512 },
      'cifar-s': { c: 3, img: 32, patch: 4, d: 192, heads: 6, depth: 6, feat: 128, batch: 512 },
      'mnist-p4': { c: 1, img: 28, patch: 4, d: 128, heads: 4, depth: 4, feat: 128, batch: 512 },
    };
    for (const [name, t] of Object.entries(torch)) {
      const p = PRESETS[name];
      expect(p.imageShape).toEqual([t.c, t.img, t.img]);
      expect([p.patch, p.dim, p.heads, p.depthEncoder, p.depthDecoder, p.featureDim, p.batchSize]).toEqual([
        t.patch, t.d, t.heads, t.depth, t.depth, t.feat, t.batch,
      ]);
      expect(p.pool).toBe('cls'); // torch Encoder default
      expect([p.istaStep, p.istaLambda, p.layerNormEps, p.sparseBlock]).toEqual([0.1, 0.1, 1e-5, 'crate']);
    }
  });

  it('mnist-s totals 250,003 parameters at depth 2+2, the count torch printed for the same shapes', () => {
    // Measured with torch_closed_loop.py Encoder/Decoder (depth 2) during development; also the hand formula.
    const cfg = resolveConfig('mnist-s', { depthEncoder: 2, depthDecoder: 2 });
    expect(countSpecs(encoderSpecs(cfg)) + countSpecs(decoderSpecs(cfg))).toBe(250_003);
  });

  for (const name of [...Object.keys(PRESETS), 'alpha']) {
    it(`${name}: spec count equals the hand formula`, () => {
      const cfg = name === 'alpha' ? resolveConfig('tiny', { sparseBlock: 'alpha' }) : resolveConfig(name);
      const want = handCount(cfg);
      expect(countSpecs(encoderSpecs(cfg))).toBe(want.enc);
      expect(countSpecs(decoderSpecs(cfg))).toBe(want.dec);
    });
  }
});

describe('resolveConfig', () => {
  it('applies overrides and freezes the result', () => {
    const cfg = resolveConfig('tiny', { pool: 'cls', dim: 32, heads: 4 });
    expect(cfg.dim).toBe(32);
    expect(cfg.pool).toBe('cls');
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(PRESETS.tiny.dim).toBe(16);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['unknown key', { depth: 3 }, /unknown config key 'depth'/],
    ['wrong type', { dim: '16' }, /'dim' must be a positive integer, got "16"/],
    ['non-integer', { heads: 1.5 }, /'heads' must be a positive integer/],
    ['bad pool', { pool: 'max' }, /'pool' must be 'cls', 'mean' or 'flat'/],
    ['bad shape', { imageShape: [1, 8] }, /'imageShape' must be an array of 3 positive integers/],
    ['dim % heads', { dim: 18, heads: 4 }, /dim 18 is not divisible by heads 4/],
    ['image % patch', { patch: 3 }, /image 8×8 is not divisible by patch 3/],
    ['negative λ', { istaLambda: -1 }, /'istaLambda' must be a finite number ≥ 0/],
  ];
  for (const [what, over, msg] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => resolveConfig('tiny', over as Partial<CrateConfig>)).toThrow(msg);
    });
  }
  it('rejects an unknown preset, listing the known ones', () => {
    expect(() => resolveConfig('huge')).toThrow(/unknown preset 'huge' \(known: tiny, mnist-s, cifar-s, mnist-p4\)/);
  });
});

describe('CRATE classifier sizes (CRATE_SPEC §2.3)', () => {
  it('CRATE-T/S/B/L = 6,090,856 / 13,116,328 / 22,796,008 / 77,641,192 at 224², patch 16, 1000 classes', () => {
    expect(crateClassifierParamCount(384, 6, 12, 16, 3, 224, 1000)).toBe(6_090_856);
    expect(crateClassifierParamCount(576, 12, 12, 16, 3, 224, 1000)).toBe(13_116_328);
    expect(crateClassifierParamCount(768, 12, 12, 16, 3, 224, 1000)).toBe(22_796_008);
    expect(crateClassifierParamCount(1024, 16, 24, 16, 3, 224, 1000)).toBe(77_641_192);
  });
});

describe('initialised parameters', () => {
  beforeAll(() => useBackend('cpu'));

  it('have the brief names, shapes and PyTorch-like init statistics, deterministically per seed', async () => {
    const cfg = resolveConfig('mnist-s');
    await noLeak(async () => {
      const enc = initEncoderParams(cfg, 5);
      const dec = initDecoderParams(cfg, 6);
      const enc2 = initEncoderParams(cfg, 5);
      expect(countParams(enc)).toBe(handCount(cfg).enc);
      expect(countParams(dec)).toBe(handCount(cfg).dec);
      expect([...enc.keys()].every((k) => k.startsWith('enc/'))).toBe(true);
      expect([...dec.keys()].every((k) => k.startsWith('dec/'))).toBe(true);
      const shape = (m: Map<string, tf.Variable>, k: string) => m.get(k)!.shape;
      expect(shape(enc, 'enc/embed/W')).toEqual([49, 128]);
      expect(shape(enc, 'enc/pos')).toEqual([17, 128]);
      expect(shape(enc, 'enc/cls')).toEqual([1, 128]);
      expect(shape(enc, 'enc/l3/D')).toEqual([128, 128]);
      expect(shape(enc, 'enc/head/W')).toEqual([128, 128]);
      expect(shape(dec, 'dec/pos')).toEqual([16, 128]);
      expect(shape(dec, 'dec/out/W')).toEqual([128, 49]);
      const stats = async (v: tf.Variable) => {
        const a = await v.data();
        let s = 0, s2 = 0, mx = 0;
        for (const x of a) { s += x; s2 += x * x; mx = Math.max(mx, Math.abs(x)); }
        return { mean: s / a.length, std: Math.sqrt(s2 / a.length - (s / a.length) ** 2), maxAbs: mx };
      };
      const D = await stats(enc.get('enc/l0/D')!); // U(±√(6/128)) → std √(6/128)/√3 = 0.125
      expect(D.maxAbs).toBeLessThanOrEqual(Math.sqrt(6 / 128));
      expect(D.std).toBeCloseTo(0.125, 2);
      const W = await stats(enc.get('enc/embed/W')!); // U(±1/7)
      expect(W.maxAbs).toBeLessThanOrEqual(1 / 7);
      expect((await stats(enc.get('enc/pos')!)).std).toBeCloseTo(1, 1);
      expect((await stats(dec.get('dec/pos')!)).std).toBeCloseTo(0.02, 2);
      expect(Array.from(await enc.get('enc/l0/ln1/g')!.data()).every((x) => x === 1)).toBe(true);
      expect(Array.from(await enc.get('enc/l0/ln1/b')!.data()).every((x) => x === 0)).toBe(true);
      expect(Array.from(await enc.get('enc/l2/qkv')!.data())).toEqual(Array.from(await enc2.get('enc/l2/qkv')!.data()));
      expect(Array.from(await enc.get('enc/l2/qkv')!.data())).not.toEqual(Array.from(await enc.get('enc/l1/qkv')!.data()));
      disposeParams(enc);
      disposeParams(dec);
      disposeParams(enc2);
    });
  });
});
