/**
 * Multi-head subspace self-attention (CRATE_SPEC §2.2, `Attention` in Ma-Lab-Berkeley/CRATE model/crate.py).
 * q = k = v = w = x·U with one (d, d) matrix U (`qkv`), split into H heads of dh = d/H;
 * A = softmax(w·wᵀ·dh^-½) over keys; out = merge(A·w)·W_out + b_out.
 * Letters: B batch, N tokens, d width, H heads, dh head size.
 */
import * as tf from '@tensorflow/tfjs';
import { dense, gram, matMul, matMulT } from '../ops/matmul';
import { type ParamMap, param } from './params';

/** (B, N, d) → (B·H, N, dh) */
export function splitHeads(w: tf.Tensor, heads: number): tf.Tensor3D {
  const [b, n, d] = w.shape;
  const dh = d / heads;
  const t = tf.transpose(tf.reshape(w, [b, n, heads, dh]), [0, 2, 1, 3]); // (B, H, N, dh)
  return tf.reshape(t, [b * heads, n, dh]);
}

/** (B·H, N, dh) → (B, N, d) */
export function mergeHeads(o: tf.Tensor, batch: number, heads: number): tf.Tensor3D {
  const [, n, dh] = o.shape;
  const t = tf.transpose(tf.reshape(o, [batch, heads, n, dh]), [0, 2, 1, 3]); // (B, N, H, dh)
  return tf.reshape(t, [batch, n, heads * dh]);
}

/** Attention probabilities (B·H, N, N) of the projected tokens w (B·H, N, dh). */
export function attentionWeights(wh: tf.Tensor3D): tf.Tensor3D {
  const dh = wh.shape[2];
  return tf.softmax(tf.mul(gram(wh), dh ** -0.5)) as tf.Tensor3D; // (B·H, N, N)
}

/** MSSA of already-normalised tokens y (B, N, d) with weights `${prefix}/qkv`, `${prefix}/out/W|b`. */
export function mssa(p: ParamMap, prefix: string, y: tf.Tensor3D, heads: number): tf.Tensor3D {
  return tf.tidy(() => {
    const b = y.shape[0];
    const w = dense(y, param(p, `${prefix}/qkv`)); // (B, N, d)
    const wh = splitHeads(w, heads); // (B·H, N, dh)
    const o = matMul(attentionWeights(wh), wh); // (B·H, N, dh)
    const merged = mergeHeads(o, b, heads); // (B, N, d)
    return dense(merged, param(p, `${prefix}/out/W`), param(p, `${prefix}/out/b`)) as tf.Tensor3D;
  });
}

/**
 * Row 0 (the class token) of MSSA(y): (B, d). The query is that one token, keys and values are all of them,
 * so only the class token's attention row, output projection and later rows are computed — for an encoder
 * whose last layer feeds only the class token to the head.
 */
export function mssaFirstRow(p: ParamMap, prefix: string, y: tf.Tensor3D, heads: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, , d] = y.shape;
    const wh = splitHeads(dense(y, param(p, `${prefix}/qkv`)), heads); // (B·H, N, dh)
    const dh = wh.shape[2];
    const q = tf.slice(wh, [0, 0, 0], [b * heads, 1, dh]) as tf.Tensor3D; // (B·H, 1, dh)
    const a = tf.softmax(tf.mul(matMulT(q, wh), dh ** -0.5)) as tf.Tensor3D; // (B·H, 1, N)
    // one token: merging heads back is a plain reshape, (B·H, 1, dh) → (B, H·dh)
    const merged = tf.reshape(matMul(a, wh), [b, d]); // (B, d)
    return dense(merged, param(p, `${prefix}/out/W`), param(p, `${prefix}/out/b`)) as tf.Tensor2D;
  });
}
