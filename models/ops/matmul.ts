/**
 * Matrix products whose backward passes use explicit transposes.
 *
 * TF.js differentiates `matMul(a, b)` into `matMul(dy, b, false, true)` and `matMul(a, dy, true, false)`.
 * On the wasm backend the transpose flags take a slow path: measured 9–15× slower than
 * `matMul(transpose(a), dy)` for the (B·N, d) shapes of CRATE. These ops keep every product
 * in the fast flag-free form, forward and backward. Every dense layer and attention product in
 * models/crate goes through them.
 *
 * Shapes: 2-D products take (m, k); batched products take (b, m, k) with the same batch on both sides.
 */
import * as tf from '@tensorflow/tfjs';
// Side effect: fills wasm kernel gaps (gather's gradient) wherever the models are used.
import './wasmKernels';

export type MatMulMode = 'explicit' | 'flags';
let mode: MatMulMode = 'explicit';

/**
 * 'explicit' (default): custom gradients with explicit transposes. 'flags': plain tf.matMul with
 * transpose flags and TF.js autodiff; kept only so the benchmark can measure the difference.
 */
export function setMatMulMode(m: MatMulMode): void {
  mode = m;
}
export function getMatMulMode(): MatMulMode {
  return mode;
}

/** (…, m, n) → (…, n, m) */
function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  const perm = [...Array(r).keys()];
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(t, perm);
}

// a·b: da = dy·bᵀ, db = aᵀ·dy
const mmCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor3D, swapLast(sb) as tf.Tensor3D), tf.matMul(swapLast(sa) as tf.Tensor3D, dy as tf.Tensor3D)];
    },
  };
});

// a·bᵀ: da = dy·b, db = dyᵀ·a
const mmtCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, swapLast(b) as tf.Tensor3D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved;
      return [tf.matMul(dy as tf.Tensor3D, sb as tf.Tensor3D), tf.matMul(swapLast(dy) as tf.Tensor3D, sa as tf.Tensor3D)];
    },
  };
});

function checkInner(fn: string, a: tf.Tensor, b: tf.Tensor, bTransposed: boolean): void {
  const k = a.shape[a.rank - 1];
  const kb = bTransposed ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (a.rank !== b.rank || (a.rank !== 2 && a.rank !== 3) || k !== kb) {
    throw new Error(`${fn}: incompatible shapes [${a.shape}] and [${b.shape}]`);
  }
}

/** a·b for (m,k)·(k,n) or batched (b,m,k)·(b,k,n). */
export function matMul<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  checkInner('matMul', a, b, false);
  if (mode === 'flags') return tf.matMul(a, b) as T;
  return mmCustom(a, b) as T;
}

/** a·bᵀ for (m,k)·(n,k) or batched (b,m,k)·(b,n,k). */
export function matMulT<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  checkInner('matMulT', a, b, true);
  if (mode === 'flags') return tf.matMul(a, b, false, true) as T;
  return mmtCustom(a, b) as T;
}

/** x·W (+ b) for x of any rank ≥ 2 with last axis `in`; W is (in, out) as stored in ParamMap. */
export function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1];
  if (w.rank !== 2 || w.shape[0] !== inDim) {
    throw new Error(`dense: input [${x.shape}] does not match kernel [${w.shape}]`);
  }
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]) as tf.Tensor2D; // (M, in)
  let y: tf.Tensor = matMul(x2, w as tf.Tensor2D); // (M, out)
  if (b) y = tf.add(y, b);
  return x.rank === 2 ? y : tf.reshape(y, [...lead, w.shape[1] as number]);
}

/** x·Wᵀ for x of any rank ≥ 2 with last axis equal to W's second axis (W is (out, in)). */
export function denseT(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1];
  if (w.rank !== 2 || w.shape[1] !== inDim) {
    throw new Error(`denseT: input [${x.shape}] does not match transposed kernel [${w.shape}]`);
  }
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]) as tf.Tensor2D; // (M, in)
  const y = matMulT(x2, w as tf.Tensor2D); // (M, out)
  return x.rank === 2 ? y : tf.reshape(y, [...lead, w.shape[0]]);
}
