/**
 * The TF.js encoder/decoder against the PyTorch reference (/shared/bench/torch_closed_loop.py):
 * fixtures/torchParity.py fills both with the same closed-form weights and stores torch's outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../models/crate/config';
import { decode } from '../../../models/crate/decoder';
import { encode } from '../../../models/crate/encoder';
import { decoderSpecs, disposeParams, encoderSpecs, type ParamMap } from '../../../models/crate/params';
import { TEST_BACKENDS, maxAbsDiff, noLeak, useBackend } from './backends';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/torchParity.json', import.meta.url), 'utf8'));

function value(name: string, i: number): number {
  const h = [...name].reduce((s, c) => s + c.charCodeAt(0), 0) % 97;
  const s = Math.sin(0.37 * i + 0.11 * h);
  if (name.endsWith('/g')) return 1 + 0.1 * s;
  if (name.endsWith('/b')) return 0.1 * s;
  if (name.endsWith('cls') || name.endsWith('pos')) return 0.5 * s;
  return 0.3 * s;
}

function filled(specs: { name: string; shape: number[] }[]): ParamMap {
  const p: ParamMap = new Map();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    p.set(s.name, tf.variable(tf.tensor(Float32Array.from({ length: n }, (_, i) => value(s.name, i)), s.shape)));
  }
  return p;
}

describe.each(TEST_BACKENDS)('parity with the PyTorch reference on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  for (const pool of ['cls', 'mean'] as const) {
    it(`pool '${pool}': f(x) and g(f(x)) match torch to 1e-5`, async () => {
      const cfg = resolveConfig('tiny', { ...fixture.config, pool });
      const enc = filled(encoderSpecs(cfg));
      const dec = filled(decoderSpecs(cfg));
      const [c, h, w] = cfg.imageShape;
      const n = fixture.batch * c * h * w;
      const x = tf.tensor4d(Float32Array.from({ length: n }, (_, i) => 0.9 * Math.sin(0.13 * i)), [fixture.batch, c, h, w]);
      await noLeak(async () => {
        const z = encode(enc, cfg, x);
        const xh = decode(dec, cfg, z);
        expect(maxAbsDiff(await z.data(), fixture[pool].z)).toBeLessThan(1e-5);
        expect(maxAbsDiff(await xh.data(), fixture[pool].xhat)).toBeLessThan(1e-5);
        tf.dispose([z, xh]);
      });
      x.dispose();
      disposeParams(enc);
      disposeParams(dec);
    });
  }
});
