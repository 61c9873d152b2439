/**
 * The lab's own TF.js forward passes on host arrays, batched, for the parity check (the reference side).
 * Uses whatever backend the process has set; reads each batch once with await data().
 */
import * as tf from '@tensorflow/tfjs';
import type { CrateConfig } from '../../models/crate/config';
import { decode } from '../../models/crate/decoder';
import { encode } from '../../models/crate/encoder';
import type { ParamMap } from '../../models/crate/params';

const BATCH = 64;

export async function encodeHost(p: ParamMap, cfg: CrateConfig, x: Float32Array, n: number): Promise<Float32Array> {
  const [c, h, w] = cfg.imageShape;
  const size = c * h * w;
  const out = new Float32Array(n * cfg.featureDim);
  for (let i = 0; i < n; i += BATCH) {
    const b = Math.min(BATCH, n - i);
    const z = tf.tidy(() => encode(p, cfg, tf.tensor4d(x.subarray(i * size, (i + b) * size), [b, c, h, w])));
    out.set(await z.data(), i * cfg.featureDim);
    z.dispose();
  }
  return out;
}

export async function decodeHost(p: ParamMap, cfg: CrateConfig, z: Float32Array, n: number): Promise<Float32Array> {
  const [c, h, w] = cfg.imageShape;
  const size = c * h * w;
  const F = cfg.featureDim;
  const out = new Float32Array(n * size);
  for (let i = 0; i < n; i += BATCH) {
    const b = Math.min(BATCH, n - i);
    const x = tf.tidy(() => decode(p, cfg, tf.tensor2d(z.subarray(i * F, (i + b) * F), [b, F])));
    out.set(await x.data(), i * size);
    x.dispose();
  }
  return out;
}
