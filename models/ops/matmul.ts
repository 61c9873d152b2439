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
 * 'explicit' (default): custom gradients with explicit transposes (and the hand-written LayerNorm backward,
 * models/crate/layerNorm.ts). 'flags': plain tf.matMul with transpose flags, plain LayerNorm, all by TF.js
 * autodiff; kept only so the benchmark can measure the difference.
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

/**
 * Weights whose gradients nobody will read (see withFrozenWeights). Checked when an op is BUILT: a custom
 * gradient computes every input's gradient at once, so the choice must be made in the forward pass.
 */
let frozen: ReadonlySet<tf.Tensor> = new Set();

/**
 * Runs `fn` with `weights` treated as constants by dense layers and LayerNorms: their backward passes skip
 * the weight products (xᵀ·dy, bias and gain sums) and report zero gradients for them. For a loss
 * differentiated with respect to OTHER variables only, e.g. the decoder step through the encoder, where
 * TF.js would otherwise compute (and drop) every encoder weight gradient. Only ops built while `fn` runs
 * synchronously see the set: build the whole forward pass inside it (no await in between).
 */
export function withFrozenWeights<T>(weights: Iterable<tf.Tensor>, fn: () => T): T {
  const before = frozen;
  frozen = new Set([...before, ...weights]);
  try {
    return fn();
  } finally {
    frozen = before;
  }
}

/** True inside withFrozenWeights for one of its weights. */
export function isFrozen(t: tf.Tensor): boolean {
  return frozen.has(t);
}

/**
 * Σ over the rows of (M, n) as tᵀ·1: on wasm 2–3× faster than tf.sum(t, 0) (a transpose, then a reduce) and
 * than 1ᵀ·t (XNNPACK repacks the whole (M, n) right operand); the transposeA product is cheap at one column.
 */
export function sumRows(t: tf.Tensor2D): tf.Tensor1D {
  const ones = tf.ones([t.shape[0], 1]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(t, ones, true, false), [t.shape[1]]) as tf.Tensor1D;
}

// a·b: da = dy·bᵀ, db = aᵀ·dy. Batched (rank-3) products keep the transpose flags: wasm's batched kernel costs
// the same with or without them, so an explicit transpose would only add a copy.
const mmCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as tf.Tensor3D[];
      const d = dy as tf.Tensor3D;
      if (sa.rank === 3) return [tf.matMul(d, sb, false, true), tf.matMul(sa, d, true, false)];
      return [tf.matMul(d, swapLast(sb) as tf.Tensor3D), tf.matMul(swapLast(sa) as tf.Tensor3D, d)];
    },
  };
});

// a·bᵀ: da = dy·b, db = dyᵀ·a
const mmtCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  const value = a.rank === 3 ? tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true) : tf.matMul(a as tf.Tensor3D, swapLast(b) as tf.Tensor3D);
  return {
    value,
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as tf.Tensor3D[];
      const d = dy as tf.Tensor3D;
      if (sa.rank === 3) return [tf.matMul(d, sb), tf.matMul(d, sa, true, false)];
      return [tf.matMul(d, sb), tf.matMul(swapLast(d) as tf.Tensor3D, sa)];
    },
  };
});

// Batched Gram w·wᵀ: one product in the backward, dw = (dy + dyᵀ)·w, instead of two for a general a·bᵀ.
const gramCustom = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [w, save] = args as [tf.Tensor3D, tf.GradSaveFunc];
  save([w]);
  return {
    value: tf.matMul(w, w, false, true),
    gradFunc: (dy, saved) => {
      const d = dy as tf.Tensor3D;
      return [tf.matMul(tf.add(d, tf.transpose(d, [0, 2, 1])) as tf.Tensor3D, saved[0] as tf.Tensor3D)];
    },
  };
});

/** Batched Gram w·wᵀ of (b, m, k) → (b, m, m). */
export function gram(w: tf.Tensor3D): tf.Tensor3D {
  if (w.rank !== 3) throw new Error(`gram: expected a (b, m, k) tensor, got [${w.shape}]`);
  if (mode === 'flags') return tf.matMul(w, w, false, true);
  return gramCustom(w) as tf.Tensor3D;
}

// x·W (+ b) for 2-D x (M, in): dx = dy·Wᵀ, dW = xᵀ·dy, db = 1ᵀ·dy; weight terms skipped when frozen.
function denseOp(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined): tf.Tensor2D {
  const skipWeights = isFrozen(w) && (b === undefined || isFrozen(b));
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xa, wa] = args as [tf.Tensor2D, tf.Tensor2D];
    const ba = b ? (args[2] as tf.Tensor1D) : undefined;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save(skipWeights ? [wa] : [xa, wa]);
    const xw = tf.matMul(xa, wa);
    return {
      value: ba ? tf.add(xw, ba) : xw,
      gradFunc: (dy, saved) => {
        const d = dy as tf.Tensor2D;
        const sw = saved[saved.length - 1] as tf.Tensor2D;
        const dx = tf.matMul(d, tf.transpose(sw) as tf.Tensor2D);
        if (skipWeights) return ba ? [dx, tf.zerosLike(sw), tf.zeros([sw.shape[1]])] : [dx, tf.zerosLike(sw)];
        const dw = tf.matMul(tf.transpose(saved[0]) as tf.Tensor2D, d);
        return ba ? [dx, dw, sumRows(d)] : [dx, dw];
      },
    };
  });
  return (b ? op(x, w, b) : op(x, w)) as tf.Tensor2D;
}

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
  let y: tf.Tensor;
  if (mode === 'flags') {
    y = tf.matMul(x2, w as tf.Tensor2D); // (M, out)
    if (b) y = tf.add(y, b);
  } else {
    y = denseOp(x2, w as tf.Tensor2D, b as tf.Tensor1D | undefined); // (M, out)
  }
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
