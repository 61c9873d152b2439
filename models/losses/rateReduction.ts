/**
 * Coding rate and rate reduction (MCR², arXiv 2006.08558; CTRL paired terms, LDR mcrgan/loss.py),
 * as in CRATE_SPEC §1.1–1.2. Features are rows: Z is (n, d), assumed unit-norm (never re-normalised
 * here: the encoder owns the normalisation). `eps2` is ε² (the code's `eps`), default 0.5.
 *
 *   R(Z)         = ½·logdet(I + d/(n·ε²)·ZᵀZ)
 *   R_c(Z | Π)   = Σ_j (n_j/n)·½·logdet(I + d/(n_j·ε²)·Z_jᵀZ_j)      (empty classes skipped)
 *   ΔR(Z, Π)     = R(Z) − R_c(Z | Π)
 *   ΔR(Z_j, Ẑ_j) = R(Z_j ∪ Ẑ_j) − ½R(Z_j) − ½R(Ẑ_j)                 (each R with its own row count)
 *
 * Letters: n rows, d feature width, K classes present, m = max class size (padding).
 * Class rows are selected by host-side labels (no sync) with a 0/1 selection matMul; padding rows are zero.
 * Each function performs exactly ONE device→host sync (inside halfLogdetStacks; none in device mode).
 */
import * as tf from '@tensorflow/tfjs-core';
import { halfLogdet, halfLogdetStacks, type LogdetStack } from './halfLogdet';

export const DEFAULT_EPS2 = 0.5; // ε², MCR² train_sup.py --eps and LDR _C.LOSS.EPS [code]

/** R(Z, ε) with α = d/(n·ε²). */
export function codingRate(Z: tf.Tensor2D, eps2: number = DEFAULT_EPS2): tf.Scalar {
  checkFeatures(Z, 'codingRate', 'Z');
  checkEps2(eps2, 'codingRate');
  const [n, d] = Z.shape;
  return halfLogdet(Z, d / (n * eps2));
}

/** ΔR(Z, Π, ε) = R(Z) − Σ_j (n_j/n)·R(Z_j); labels are host-side class ids in [0, numClasses). */
export function rateReduction(
  Z: tf.Tensor2D,
  labels: Int32Array,
  numClasses: number,
  eps2: number = DEFAULT_EPS2,
): tf.Scalar {
  checkFeatures(Z, 'rateReduction', 'Z');
  checkEps2(eps2, 'rateReduction');
  const [n, d] = Z.shape;
  const groups = groupByClass(labels, n, numClasses, 'rateReduction');
  return tf.tidy(() => {
    const classes = classStack(Z, selection(groups, n), groups, eps2, (j) => `rateReduction: class ${groups.classes[j]} of Z`);
    const v = halfLogdetStacks([wholeStack(Z, eps2, 'rateReduction: Z'), classes]); // (1 + K,)
    const coef = new Float32Array(1 + groups.classes.length);
    coef[0] = 1;
    groups.members.forEach((idx, j) => (coef[1 + j] = -idx.length / n));
    return tf.dot(v, tf.tensor1d(coef)) as tf.Scalar;
  });
}

/** ΔR(Z, Ẑ) = R(Z ∪ Ẑ) − ½R(Z) − ½R(Ẑ); Z (n, d) and Ẑ (n', d). */
export function pairedRateReduction(Z: tf.Tensor2D, Zhat: tf.Tensor2D, eps2: number = DEFAULT_EPS2): tf.Scalar {
  checkFeatures(Z, 'pairedRateReduction', 'Z');
  checkFeatures(Zhat, 'pairedRateReduction', 'Zhat');
  checkEps2(eps2, 'pairedRateReduction');
  if (Z.shape[1] !== Zhat.shape[1]) {
    throw new Error(`pairedRateReduction: Z is ${Z.shape[0]}×${Z.shape[1]} but Zhat is ${Zhat.shape[0]}×${Zhat.shape[1]}`);
  }
  return tf.tidy(() => {
    const union = tf.concat([Z, Zhat]) as tf.Tensor2D; // (n + n', d)
    const v = halfLogdetStacks([
      wholeStack(union, eps2, 'pairedRateReduction: Z ∪ Zhat'),
      wholeStack(Z, eps2, 'pairedRateReduction: Z'),
      wholeStack(Zhat, eps2, 'pairedRateReduction: Zhat'),
    ]); // (3,)
    return tf.dot(v, tf.tensor1d([1, -0.5, -0.5])) as tf.Scalar;
  });
}

export interface ClosedLoopTerms {
  /** ΔR(Z) + ΔR(Ẑ) + Σ_j w_j·ΔR(Z_j, Ẑ_j): the quantity the encoder maximises (CTRL / i-CTRL, §4.1, §5.1). */
  T: tf.Scalar;
  deltaRZ: tf.Scalar;
  deltaRZhat: tf.Scalar;
  /** Σ_j w_j·ΔR(Z_j, Ẑ_j). */
  pair: tf.Scalar;
  /** (numClasses,) unweighted ΔR(Z_j, Ẑ_j); 0 for classes absent from the batch. */
  pairPerClass: tf.Tensor1D;
}

/**
 * All closed-loop rate terms from one sync. Z and Ẑ are (n, d) with the same row order, so `labels`
 * apply to both. `pairWeights` (length numClasses, default all 1) weights the per-class paired terms,
 * e.g. λ for new classes and 0 for classes handled separately. The per-class R(Z_j), R(Ẑ_j) are
 * shared between ΔR(·) and the paired terms (same α_j = d/(n_j·ε²)).
 * The caller owns (and must dispose) every returned tensor.
 */
export function closedLoopObjective(
  Z: tf.Tensor2D,
  Zhat: tf.Tensor2D,
  labels: Int32Array,
  numClasses: number,
  eps2: number = DEFAULT_EPS2,
  opts: { pairWeights?: Float32Array | readonly number[] } = {},
): ClosedLoopTerms {
  const fn = 'closedLoopObjective';
  checkFeatures(Z, fn, 'Z');
  checkFeatures(Zhat, fn, 'Zhat');
  checkEps2(eps2, fn);
  if (Z.shape[0] !== Zhat.shape[0] || Z.shape[1] !== Zhat.shape[1]) {
    throw new Error(`${fn}: Z is ${Z.shape[0]}×${Z.shape[1]} but Zhat is ${Zhat.shape[0]}×${Zhat.shape[1]}; they must match row for row`);
  }
  const [n, d] = Z.shape;
  const groups = groupByClass(labels, n, numClasses, fn);
  const w = opts.pairWeights ?? new Float32Array(numClasses).fill(1);
  if (w.length !== numClasses) throw new Error(`${fn}: pairWeights has length ${w.length}, expected numClasses = ${numClasses}`);
  for (const x of w) if (!Number.isFinite(x)) throw new Error(`${fn}: pairWeights contains a non-finite value`);

  const terms = tf.tidy(() => {
    const K = groups.classes.length;
    const sel = selection(groups, n);
    const classZ = classStack(Z, sel, groups, eps2, (j) => `${fn}: class ${groups.classes[j]} of Z`);
    const classZhat = classStack(Zhat, sel, groups, eps2, (j) => `${fn}: class ${groups.classes[j]} of Zhat`);
    // Z_j ∪ Ẑ_j: the padding rows in the middle are zero, which leaves the Gram unchanged.
    const unionRows = classZ.rows.map((r) => 2 * r);
    const unions: LogdetStack = {
      z: tf.concat([classZ.z, classZhat.z], 1) as tf.Tensor3D, // (K, 2m, d)
      alphas: unionRows.map((r) => d / (r * eps2)),
      rows: unionRows,
      describe: (j) => `${fn}: class ${groups.classes[j]} of Z ∪ Zhat`,
    };
    const whole = tf.stack([Z, Zhat]) as tf.Tensor3D; // (2, n, d)
    const v = halfLogdetStacks([
      {
        z: whole,
        alphas: [d / (n * eps2), d / (n * eps2)],
        rows: [n, n],
        describe: (i) => `${fn}: ${i === 0 ? 'Z' : 'Zhat'}`,
      },
      classZ,
      classZhat,
      unions,
    ]); // (2 + 3K,): [R(Z), R(Ẑ), R(Z_j)…, R(Ẑ_j)…, R(Z_j ∪ Ẑ_j)…]
    // Rows of C: ΔR(Z), ΔR(Ẑ), Σ_j w_j·pair_j, then pair_c for each class id c.
    const size = 2 + 3 * K;
    const rowsOut = 3 + numClasses;
    const C = new Float32Array(rowsOut * size);
    C[0 * size + 0] = 1;
    C[1 * size + 1] = 1;
    groups.members.forEach((idx, j) => {
      const c = groups.classes[j];
      const gamma = idx.length / n;
      C[0 * size + 2 + j] = -gamma;
      C[1 * size + 2 + K + j] = -gamma;
      const pairRow = (3 + c) * size;
      C[pairRow + 2 + 2 * K + j] = 1;
      C[pairRow + 2 + j] = -0.5;
      C[pairRow + 2 + K + j] = -0.5;
      for (let e = 0; e < size; e++) C[2 * size + e] += w[c] * C[pairRow + e];
    });
    const out = tf.reshape(tf.matMul(tf.tensor2d(C, [rowsOut, size]), tf.reshape(v, [size, 1])), [rowsOut]); // (3 + numClasses,)
    const deltaRZ = tf.reshape(tf.slice(out, [0], [1]), []) as tf.Scalar;
    const deltaRZhat = tf.reshape(tf.slice(out, [1], [1]), []) as tf.Scalar;
    const pair = tf.reshape(tf.slice(out, [2], [1]), []) as tf.Scalar;
    const pairPerClass = tf.slice(out, [3], [numClasses]) as tf.Tensor1D;
    const T = tf.addN([deltaRZ, deltaRZhat, pair]) as tf.Scalar;
    return { T, deltaRZ, deltaRZhat, pair, pairPerClass };
  });
  return terms;
}

// ---------------------------------------------------------------------------------------------

/** Rows of each non-empty class, in class-id order. */
export interface ClassGroups {
  readonly classes: number[];
  readonly members: Int32Array[];
}

export function groupByClass(labels: Int32Array, n: number, numClasses: number, fn: string): ClassGroups {
  if (!(labels instanceof Int32Array)) throw new Error(`${fn}: labels must be an Int32Array`);
  if (labels.length !== n) throw new Error(`${fn}: labels has length ${labels.length} but Z has ${n} rows`);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${fn}: numClasses must be a positive integer, got ${numClasses}`);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c < 0 || c >= numClasses) throw new Error(`${fn}: label ${c} at row ${i} is outside [0, ${numClasses})`);
    counts[c]++;
  }
  const classes: number[] = [];
  const members: Int32Array[] = [];
  const fill = new Int32Array(numClasses);
  const byClass = Array.from(counts, (c) => new Int32Array(c));
  for (let i = 0; i < n; i++) byClass[labels[i]][fill[labels[i]]++] = i;
  for (let c = 0; c < numClasses; c++) {
    if (counts[c] === 0) continue; // empty class: weight n_j/n = 0 and α_j undefined, so skip (§1.4)
    classes.push(c);
    members.push(byClass[c]);
  }
  if (classes.length === 0) throw new Error(`${fn}: no rows`);
  return { classes, members };
}

function wholeStack(z: tf.Tensor2D, eps2: number, name: string): LogdetStack {
  const [n, d] = z.shape;
  return { z: tf.reshape(z, [1, n, d]), alphas: [d / (n * eps2)], rows: [n], describe: () => name };
}

/** (K, m, d) stack of each class's rows of `source` (offset by `rowOffset`), padded with row `padRow`. */
/**
 * 0/1 selection matrix S (K·m, n): row j·m + r picks the r-th member of class j; rows past a class's
 * size are all zero, giving the zero padding rows. S·Z replaces tf.gather on purpose: gather's
 * gradient (UnsortedSegmentSum) is missing on the wasm backend and very slow on cpu, while
 * matMul's gradient is a matMul everywhere.
 */
interface Selection {
  /** (K·m, n) 0/1 */
  s: tf.Tensor2D;
  /** Sᵀ (n, K·m), uploaded too: the backward uses a plain matMul, not the slow transposeA path. */
  st: tf.Tensor2D;
  m: number;
}

function selection(groups: ClassGroups, n: number): Selection {
  const K = groups.classes.length;
  const m = Math.max(...groups.members.map((g) => g.length));
  const sel = new Float32Array(K * m * n);
  const selT = new Float32Array(n * K * m);
  groups.members.forEach((g, j) => {
    for (let r = 0; r < g.length; r++) {
      sel[(j * m + r) * n + g[r]] = 1;
      selT[g[r] * K * m + j * m + r] = 1;
    }
  });
  return { s: tf.tensor2d(sel, [K * m, n]), st: tf.tensor2d(selT, [n, K * m]), m };
}

/** S·Z with dZ = Sᵀ·dY. */
function selectRows(sel: Selection, z: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: unknown[]) => {
    const x = args[0] as tf.Tensor2D;
    // Sᵀ must outlive the caller's tidy until the backward pass: save() keeps it for the tape.
    (args[1] as tf.GradSaveFunc)([sel.st]);
    return {
      value: tf.matMul(sel.s, x), // (K·m, d)
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.matMul(saved[0] as tf.Tensor2D, dy as tf.Tensor2D), // (n, d)
    };
  });
  return op(z) as tf.Tensor2D;
}

/** (K, m, d) stack of each class's rows of z (zero-padded), α_j = d/(n_j·ε²). */
function classStack(
  z: tf.Tensor2D,
  sel: Selection,
  groups: ClassGroups,
  eps2: number,
  describe: (j: number) => string,
): LogdetStack {
  const d = z.shape[1];
  const K = groups.classes.length;
  const stacked = tf.reshape(selectRows(sel, z), [K, sel.m, d]) as tf.Tensor3D; // (K·m, n)·(n, d) → (K, m, d)
  const rows = groups.members.map((g) => g.length);
  return { z: stacked, alphas: rows.map((r) => d / (r * eps2)), rows, describe };
}

function checkFeatures(z: tf.Tensor2D, fn: string, name: string): void {
  if (!(z instanceof tf.Tensor) || z.rank !== 2 || z.shape[0] < 1 || z.shape[1] < 1) {
    const shape = z instanceof tf.Tensor ? `[${z.shape.join(', ')}]` : typeof z;
    throw new Error(`${fn}: ${name} must be a non-empty 2-D (n, d) tensor, got ${shape}`);
  }
}

function checkEps2(eps2: number, fn: string): void {
  if (!Number.isFinite(eps2) || eps2 <= 0) throw new Error(`${fn}: eps2 (ε²) must be a positive number, got ${eps2}`);
}
