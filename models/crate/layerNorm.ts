/**
 * LayerNorm over the last axis, as torch.nn.LayerNorm(d) (biased variance, eps inside the square root).
 *
 * The backward pass is written out (x̂ = (x − μ)·r, r = (σ² + eps)^-½):
 *   dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)),  dx̂ = dy ⊙ g,  dg = Σ_rows dy ⊙ x̂,  db = Σ_rows dy,
 * about a third of the ops TF.js autodiff emits for moments/sub/rsqrt/mul/add, and the row sums run as
 * matrix products (wasm reduces leading axes through a transpose). On wasm, forward and backward each run as one
 * fused kernel instead (models/ops/wasmLayerNorm.ts), same formulas.
 */
import * as tf from '@tensorflow/tfjs';
import { getMatMulMode, isFrozen, sumRows } from '../ops/matmul';
import { fusedLayerNormActive, fusedLayerNormBackward, fusedLayerNormForward } from '../ops/wasmLayerNorm';
import { type ParamMap, param } from './params';

function plainLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // (…, 1)
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))); // (…, d)
    return tf.add(tf.mul(xhat, g), b);
  });
}

export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  // 'flags' is the benchmark's plain-autodiff reference mode; g/b of another rank take the generic path too.
  if (getMatMulMode() === 'flags' || g.rank !== 1 || b.rank !== 1) return plainLayerNorm(x, g, b, eps);
  const d = x.shape[x.rank - 1];
  const skipWeights = isFrozen(g) && isFrozen(b);
  if (x.dtype === 'float32' && fusedLayerNormActive()) return fusedLayerNorm(x, g, b, eps, skipWeights);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xa, ga, ba, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(xa, -1, true); // (…, 1)
    const xc = tf.sub(xa, mean); // (…, d)
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // (…, 1)
    const xhat = tf.mul(xc, r); // (…, d)
    save([xhat, r, ga]);
    return {
      value: tf.add(tf.mul(xhat, ga), ba),
      gradFunc: (dy, saved) => {
        const [sx, sr, sg] = saved;
        const dxhat = tf.mul(dy, sg); // (…, d)
        const m1 = tf.mean(dxhat, -1, true); // (…, 1)
        const m2 = tf.mean(tf.mul(dxhat, sx), -1, true); // (…, 1)
        const dx = tf.mul(tf.sub(tf.sub(dxhat, m1), tf.mul(sx, m2)), sr);
        if (skipWeights) return [dx, tf.zerosLike(sg), tf.zerosLike(sg)];
        const dy2 = tf.reshape(dy, [-1, d]) as tf.Tensor2D;
        const dg = sumRows(tf.reshape(tf.mul(dy, sx), [-1, d]) as tf.Tensor2D);
        return [dx, dg, sumRows(dy2)];
      },
    };
  });
  return op(x, g, b);
}

function fusedLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number, skipWeights: boolean): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xa, ga, ba, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [y, xhat, r] = fusedLayerNormForward(xa, ga, ba, eps);
    save([xhat, r, ga]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sr, sg] = saved;
        return fusedLayerNormBackward(dy as tf.Tensor, sx, sr, sg, !skipWeights);
      },
    };
  });
  return op(x, g, b);
}

/** LayerNorm with weights `${prefix}/g` and `${prefix}/b` from a ParamMap. */
export function layerNormP(p: ParamMap, prefix: string, x: tf.Tensor, eps: number): tf.Tensor {
  return layerNorm(x, param(p, `${prefix}/g`), param(p, `${prefix}/b`), eps);
}
