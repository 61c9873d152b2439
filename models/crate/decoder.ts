/**
 * CRATE decoder g: features → images, the encoder's layers undone in reverse order
 * (CRATE-MAE, CRATE_SPEC §3; mirrors `Decoder` in /shared/bench/torch_closed_loop.py).
 *
 *   X⁰ = (z·W_in + b_in) broadcast over the N tokens + pos
 *   per layer:  Y = LN1(X)·Dᵀ                 (re-synthesise with the dictionary; linear, no ReLU)
 *               X = Y − MSSA(LN2(Y))          (undo the compression: subtract a subspace-attention step)
 *   x̂ = tanh(unpatchify(LN(X)·W_out + b_out))
 * Letters: B batch, N tokens (no class token), d width, F feature size.
 */
import * as tf from '@tensorflow/tfjs';
import { dense, denseT } from '../ops/matmul';
import { type CrateConfig, numPatches } from './config';
import { layerNormP } from './layerNorm';
import { mssa } from './mssa';
import { type ParamMap, param } from './params';
import { unpatchify } from './patches';

/** g(z): features (B, F) → images (B, C, H, W) in (-1, 1). */
export function decode(p: ParamMap, cfg: CrateConfig, z: tf.Tensor2D): tf.Tensor4D {
  if (z.rank !== 2 || z.shape[1] !== cfg.featureDim) {
    throw new Error(`decode: expected features (B, ${cfg.featureDim}), got [${z.shape}]`);
  }
  return tf.tidy(() => {
    const b = z.shape[0];
    const d = cfg.dim;
    const n = numPatches(cfg);
    const eps = cfg.layerNormEps;
    const h0 = tf.reshape(dense(z, param(p, 'dec/in/W'), param(p, 'dec/in/b')), [b, 1, d]); // (B, 1, d)
    let x = tf.add(h0, param(p, 'dec/pos')) as tf.Tensor3D; // (B, N, d)
    for (let l = 0; l < cfg.depthDecoder; l++) {
      const pre = `dec/l${l}`;
      const y = denseT(layerNormP(p, `${pre}/ln1`, x, eps), param(p, `${pre}/D`)) as tf.Tensor3D; // (B, N, d)
      x = tf.sub(y, mssa(p, pre, layerNormP(p, `${pre}/ln2`, y, eps) as tf.Tensor3D, cfg.heads)); // (B, N, d)
    }
    const out = dense(layerNormP(p, 'dec/ln', x, eps), param(p, 'dec/out/W'), param(p, 'dec/out/b')); // (B, N, P·P·C)
    if (out.shape[1] !== n) throw new Error(`decode: internal token count ${out.shape[1]} ≠ ${n}`);
    return tf.tanh(unpatchify(out as tf.Tensor3D, cfg.patch, cfg.imageShape));
  });
}
