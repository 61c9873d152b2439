/** LayerNorm over the last axis, as torch.nn.LayerNorm(d) (biased variance, eps inside the square root). */
import * as tf from '@tensorflow/tfjs';
import { type ParamMap, param } from './params';

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // (…, 1)
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))); // (…, d)
    return tf.add(tf.mul(xhat, g), b);
  });
}

/** LayerNorm with weights `${prefix}/g` and `${prefix}/b` from a ParamMap. */
export function layerNormP(p: ParamMap, prefix: string, x: tf.Tensor, eps: number): tf.Tensor {
  return layerNorm(x, param(p, `${prefix}/g`), param(p, `${prefix}/b`), eps);
}
