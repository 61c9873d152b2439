/**
 * ½·logdet(I + α·ZᵀZ) as a differentiable TF.js op (CRATE_SPEC §1.1, §1.3, §1.4).
 *
 * Shapes: Z is (n, d), features as rows. The Gram used is the SMALLER of ZᵀZ (d×d, when n > d) and
 * Z·Zᵀ (n×n); both give the same logdet (Sylvester). Stacks are (k, m, d): k matrices of m rows
 * each, zero-padded — a zero row changes neither ZᵀZ nor logdet(I + α·ZZᵀ) (it adds an identity block).
 *
 * Why the host: TF.js has no cholesky/logdet/inv. The s×s Gram (s ≤ 128 in practice) is read to the
 * host ONCE per call, factored in float64, and the inverse for the gradient is rebuilt from the factor
 * on the host and uploaded — so the backward pass has NO device→host sync at all. Where a synchronous
 * read is impossible or costly (webgpu) a read-free 'device' mode does the same in float32 tensor ops.
 *
 * SYNC POINT (the only one, host mode): `halfLogdetStacks` forward, `dataSync()` on the concatenated
 * Grams of all stacks of one call. Every public function here and in rateReduction.ts costs exactly
 * one sync. Device mode (see LogdetMode, default on webgpu) performs no sync at all.
 *
 * Gradient: ∂/∂Z ½logdet(I + αZᵀZ) = α·Z·(I + αZᵀZ)⁻¹ (d-branch) = α·(I + αZZᵀ)⁻¹·Z (n-branch).
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients of the surrounding ops (reshape, matMul, concat...) must be registered by the host:
// importing '@tensorflow/tfjs' does it. A deep import of tfjs-core's register_all_gradients is NOT
// used here because its ESM build cannot be loaded by plain Node (extensionless imports).
import { choleskyLower, halfLogdetFromCholesky, spdInverseFromCholesky } from './cholesky';

/** One batch of matrices sharing a padded row count: z (k, m, d), one α per matrix. */
export interface LogdetStack {
  readonly z: tf.Tensor3D;
  readonly alphas: readonly number[];
  /** True (unpadded) row count of each matrix, for error messages only. */
  readonly rows: readonly number[];
  /** Names matrix i in errors, e.g. "rateReduction: class 3 of Z". */
  readonly describe: (i: number) => string;
}

/**
 * ½·logdet(I + α_i·Z_iᵀZ_i) for every matrix of every stack, concatenated in stack order: (Σ k,).
 * One device→host sync for all stacks together.
 */
export function halfLogdetStacks(stacks: readonly LogdetStack[]): tf.Tensor1D {
  if (stacks.length === 0) throw new Error('halfLogdet: no matrices given');
  for (const s of stacks) checkStack(s);
  const mode = resolveLogdetMode();
  const op = tf.customGrad((...args: unknown[]) => {
    const zs = args.slice(0, stacks.length) as tf.Tensor3D[];
    // save() keeps clones outside every tidy, so call it only once nothing can throw any more.
    const save = args[stacks.length] as tf.GradSaveFunc;
    if (mode === 'device') {
      save(zs);
      return {
        value: deviceHalfLogdets(stacks, zs),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          perStack(stacks, dy, (si, dySlice) => deviceStackGrad(saved[si] as tf.Tensor3D, stacks[si], dySlice)),
      };
    }
    const factors = factorStacks(stacks, zs);
    save(zs);
    const values = new Float32Array(factors.reduce((a, f) => a + f.values.length, 0));
    let off = 0;
    for (const f of factors) {
      values.set(f.values, off);
      off += f.values.length;
    }
    return {
      value: tf.tensor1d(values),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        perStack(stacks, dy, (si, dySlice) => stackGrad(saved[si] as tf.Tensor3D, factors[si], stacks[si].alphas, dySlice)),
    };
  });
  return op(...stacks.map((s) => s.z)) as tf.Tensor1D;
}

/**
 * Where the small factorisation runs.
 * - 'host': one dataSync of the Grams, float64 Cholesky; exact, throws on NaN/Inf. Default on cpu,
 *   wasm, tensorflow (tfjs-node) and webgl, whose readSync is cheap or at least available.
 * - 'device': no read at all — pivots of a batched on-device Cholesky (Schur complement, one column
 *   per step, s steps of 5 ops) for the value and a Newton–Schulz inverse for the gradient. Default on
 *   webgpu, whose readSync needs OffscreenCanvas (absent under Node/Dawn) and stalls the queue.
 *   Float32 throughout; NaN/Inf input yields NaN instead of an Error (nothing is read to check):
 *   callers must check the loss value they read anyway.
 * 'auto' picks by tf.getBackend() at call time; this only selects an algorithm, never a backend.
 */
export type LogdetMode = 'auto' | 'host' | 'device';
let logdetMode: LogdetMode = 'auto';

export function setLogdetMode(mode: LogdetMode): void {
  if (mode !== 'auto' && mode !== 'host' && mode !== 'device') {
    throw new Error(`setLogdetMode: unknown mode '${String(mode)}' (expected 'auto', 'host' or 'device')`);
  }
  logdetMode = mode;
}

export function resolveLogdetMode(): 'host' | 'device' {
  if (logdetMode !== 'auto') return logdetMode;
  return tf.getBackend() === 'webgpu' ? 'device' : 'host';
}

function perStack(
  stacks: readonly LogdetStack[],
  dy: tf.Tensor,
  grad: (si: number, dy: tf.Tensor1D) => tf.Tensor3D,
): tf.Tensor3D[] {
  let start = 0;
  return stacks.map((s, si) => {
    const k = s.alphas.length;
    const g = tf.tidy(() => grad(si, tf.slice(dy, [start], [k]) as tf.Tensor1D));
    start += k;
    return g;
  });
}

/** ½·logdet(I + α·ZᵀZ), Z (n, d). Throws on NaN/Inf in Z or a non-finite/negative α. */
export function halfLogdet(Z: tf.Tensor2D, alpha: number): tf.Scalar {
  check2d(Z, 'halfLogdet', 'Z');
  const [n, d] = Z.shape;
  return tf.tidy(() => {
    const v = halfLogdetStacks([
      { z: tf.reshape(Z, [1, n, d]), alphas: [alpha], rows: [n], describe: () => 'halfLogdet: Z' },
    ]);
    return tf.reshape(v, []) as tf.Scalar;
  });
}

/**
 * Per-matrix ½·logdet(I + α_j·Z_jᵀZ_j) for matrices with a common d but any row counts (0 allowed,
 * giving 0). All Grams come from one zero-padded (k, m, d) stack — one batched matMul on GPU backends,
 * k 2-D matMuls on cpu/wasm (see bmm) — and ONE sync.
 * Returns a (k,) tensor: entry j is the differentiable scalar of Zs[j].
 */
export function halfLogdetBatch(Zs: readonly tf.Tensor2D[], alphas: readonly number[]): tf.Tensor1D {
  if (Zs.length === 0) throw new Error('halfLogdetBatch: Zs is empty');
  if (alphas.length !== Zs.length) {
    throw new Error(`halfLogdetBatch: got ${Zs.length} matrices but ${alphas.length} alphas`);
  }
  Zs.forEach((z, j) => check2d(z, 'halfLogdetBatch', `Zs[${j}]`));
  const d = Zs[0].shape[1];
  Zs.forEach((z, j) => {
    if (z.shape[1] !== d) {
      throw new Error(`halfLogdetBatch: Zs[${j}] has ${z.shape[1]} columns but Zs[0] has ${d}`);
    }
  });
  const rows = Zs.map((z) => z.shape[0]);
  const m = Math.max(1, ...rows);
  return tf.tidy(() => {
    const padded = Zs.map((z) => (z.shape[0] === m ? z : tf.pad(z, [[0, m - z.shape[0]], [0, 0]]))); // (m, d) each
    const z = tf.stack(padded) as tf.Tensor3D; // (k, m, d)
    return halfLogdetStacks([{ z, alphas, rows, describe: (j) => `halfLogdetBatch: Zs[${j}]` }]);
  });
}

// ---------------------------------------------------------------------------------------------

const BMM_UNROLL_MAX = 32;

/**
 * Batched (k, ·, ·) matMul. On the CPU-side backends it runs as k plain 2-D matMuls with explicit
 * transposes: tfjs-backend-wasm 4.22 sends batched and transposeA products to a slow generic kernel
 * (measured 10–40× slower than its XNNPACK 2-D path at these sizes). GPU backends keep one batched op.
 */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  const backend = tf.getBackend();
  const cpuSide = backend === 'wasm' || backend === 'cpu' || backend === 'tensorflow';
  // Past a few dozen matrices the per-op overhead outweighs the faster kernel.
  if (!cpuSide || a.shape[0] > BMM_UNROLL_MAX) return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => {
    const k = a.shape[0];
    const as = k === 1 ? [tf.squeeze(a, [0]) as tf.Tensor2D] : (tf.unstack(a) as tf.Tensor2D[]);
    const bs = k === 1 ? [tf.squeeze(b, [0]) as tf.Tensor2D] : (tf.unstack(b) as tf.Tensor2D[]);
    const outs = as.map((ai, i) =>
      tf.matMul(transposeA ? tf.transpose(ai) : ai, transposeB ? tf.transpose(bs[i]) : bs[i]),
    ); // (·, ·) each
    return (k === 1 ? tf.expandDims(outs[0], 0) : tf.stack(outs)) as tf.Tensor3D;
  });
}

interface StackFactors {
  /** true: Gram is ZᵀZ (d×d); false: Z·Zᵀ (m×m). */
  readonly dBranch: boolean;
  readonly size: number;
  readonly chol: Float64Array[];
  readonly values: Float32Array;
}

function checkStack(s: LogdetStack): void {
  const [k, m, d] = s.z.shape;
  if (s.z.rank !== 3 || k < 1 || m < 1 || d < 1) {
    throw new Error(`${s.describe(0)}: expected a non-empty (k, m, d) stack, got shape [${s.z.shape.join(', ')}]`);
  }
  if (s.alphas.length !== k || s.rows.length !== k) {
    throw new Error(`${s.describe(0)}: stack of ${k} matrices got ${s.alphas.length} alphas and ${s.rows.length} row counts`);
  }
  s.alphas.forEach((a, i) => {
    if (!Number.isFinite(a) || a < 0) throw new Error(`${s.describe(i)}: alpha must be finite and ≥ 0, got ${a}`);
  });
}

function check2d(z: tf.Tensor, fn: string, name: string): void {
  if (!(z instanceof tf.Tensor) || z.rank !== 2) {
    const shape = z instanceof tf.Tensor ? `[${z.shape.join(', ')}]` : typeof z;
    throw new Error(`${fn}: ${name} must be a 2-D (n, d) tensor, got ${shape}`);
  }
  const [n, d] = z.shape as [number, number];
  if (d < 1) throw new Error(`${fn}: ${name} has no columns (shape ${n}×${d})`);
}

/** Grams on device, one read, Cholesky of I + α·G per matrix in float64. */
function factorStacks(stacks: readonly LogdetStack[], zs: readonly tf.Tensor3D[]): StackFactors[] {
  const shapes = zs.map((z) => {
    const [, m, d] = z.shape;
    return { dBranch: m > d, size: Math.min(m, d) };
  });
  const flat = tf.tidy(() => {
    const grams = zs.map((z, i) =>
      tf.reshape(shapes[i].dBranch ? bmm(z, z, true, false) : bmm(z, z, false, true), [-1]),
    ); // (k·s·s,) each: (k, d, d) or (k, m, m) flattened
    return grams.length === 1 ? grams[0] : tf.concat(grams);
  });
  // Read outside tidy: tidy walks whatever it returns, element by element for a typed array.
  let host: Float32Array;
  try {
    host = readHost(flat); // SYNC POINT
  } finally {
    flat.dispose();
  }
  let off = 0;
  return stacks.map((s, si) => {
    const { dBranch, size } = shapes[si];
    const [k, , d] = zs[si].shape;
    const chol: Float64Array[] = [];
    const values = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      const a = new Float64Array(size * size);
      const alpha = s.alphas[i];
      for (let e = 0; e < size * size; e++) {
        const g = host[off + e];
        if (!Number.isFinite(g)) {
          throw new Error(`${s.describe(i)} contains NaN/Inf (shape ${s.rows[i]}×${d})`);
        }
        a[e] = alpha * g;
      }
      for (let r = 0; r < size; r++) a[r * size + r] += 1;
      off += size * size;
      const l = choleskyLower(a, size);
      if (l === null) {
        throw new Error(
          `${s.describe(i)}: I + α·Gram is not positive definite in float64 (α=${alpha}, shape ${s.rows[i]}×${d}); ` +
            'the features are far from unit norm or α is huge',
        );
      }
      chol.push(l);
      values[i] = halfLogdetFromCholesky(l, size);
    }
    return { dBranch, size, chol, values };
  });
}

function readHost(t: tf.Tensor): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(
      `halfLogdet: cannot read the Gram matrix synchronously on backend '${tf.getBackend()}' (${why}); ` +
        'this loss needs a backend with readSync (cpu, wasm, tensorflow, webgl, or webgpu in a browser)',
    );
  }
}

/** dy_i·α_i·Z_i·A_i⁻¹ (d-branch) or dy_i·α_i·A_i⁻¹·Z_i (n-branch); no sync, A⁻¹ is uploaded. */
function stackGrad(z: tf.Tensor3D, f: StackFactors, alphas: readonly number[], dy: tf.Tensor1D): tf.Tensor3D {
  const k = f.chol.length;
  const s = f.size;
  const inv = new Float32Array(k * s * s);
  f.chol.forEach((l, i) => inv.set(spdInverseFromCholesky(l, s), i * s * s));
  return tf.tidy(() => {
    const aInv = tf.tensor3d(inv, [k, s, s]); // (k, s, s)
    const prod = f.dBranch ? bmm(z, aInv) : bmm(aInv, z); // (k, m, d)
    const scale = tf.reshape(tf.mul(dy, tf.tensor1d(Float32Array.from(alphas))), [k, 1, 1]); // (k, 1, 1)
    return tf.mul(prod, scale) as tf.Tensor3D;
  });
}

// ---------------------------------------------------------------------------------------------
// Device mode: no host reads.

/** I + α·Gram for each matrix of a stack: (k, s, s), with the branch rule of the host path. */
function deviceSystem(z: tf.Tensor3D, alphas: readonly number[]): { a: tf.Tensor3D; dBranch: boolean; size: number } {
  const [k, m, d] = z.shape;
  const dBranch = m > d;
  const size = Math.min(m, d);
  const gram = dBranch ? bmm(z, z, true, false) : bmm(z, z, false, true); // (k, s, s)
  const alpha = tf.reshape(tf.tensor1d(Float32Array.from(alphas)), [k, 1, 1]); // (k, 1, 1)
  const a = tf.add(tf.eye(size), tf.mul(alpha, gram)) as tf.Tensor3D; // (k, s, s)
  return { a, dBranch, size };
}

/**
 * ½·logdet = ½·Σ log(pivot_j) of the symmetric Gaussian elimination (= Σ log L_jj of Cholesky):
 * after eliminating column j, row and column j of the Schur complement are zero, so no masking.
 */
function deviceHalfLogdets(stacks: readonly LogdetStack[], zs: readonly tf.Tensor3D[]): tf.Tensor1D {
  return tf.tidy(() => {
    const parts = zs.map((z, si) => {
      const { a, size } = deviceSystem(z, stacks[si].alphas);
      const k = z.shape[0];
      let schur: tf.Tensor3D = a;
      const pivots: tf.Tensor[] = [];
      for (let j = 0; j < size; j++) {
        const next = tf.tidy(() => {
          const col = tf.slice(schur, [0, 0, j], [k, size, 1]); // (k, s, 1)
          const piv = tf.slice(col, [0, j, 0], [k, 1, 1]); // (k, 1, 1)
          const upd = tf.sub(schur, tf.div(tf.matMul(col, col, false, true), piv)) as tf.Tensor3D; // (k, s, s)
          return { upd, piv: tf.reshape(piv, [k, 1]) };
        });
        if (schur !== a) schur.dispose();
        schur = next.upd;
        pivots.push(next.piv);
      }
      const logPiv = tf.log(tf.concat(pivots, 1)); // (k, s)
      return tf.mul(0.5, tf.sum(logPiv, 1)); // (k,)
    });
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor1D;
  });
}

/** dy·α·Z·A⁻¹ or dy·α·A⁻¹·Z with A⁻¹ from Newton–Schulz: X ← 2X − X·A·X. */
function deviceStackGrad(z: tf.Tensor3D, s: LogdetStack, dy: tf.Tensor1D): tf.Tensor3D {
  const k = z.shape[0];
  const { a, dBranch, size } = deviceSystem(z, s.alphas);
  // Spectrum of A lies in [1, c] with c = ‖A‖_F; X0 = 2/(1+c)·I makes ‖I − A·X0‖ ≤ (c−1)/(c+1),
  // and the error squares each step. Iterations are sized from the unit-norm-row bound
  // ‖A‖_F ≤ ‖I‖_F + α·tr(Gram) = √s + α·rows.
  const c = tf.sqrt(tf.sum(tf.square(a), [1, 2], true)); // (k, 1, 1)
  let x = tf.mul(tf.div(2, tf.add(1, c)), tf.eye(size)) as tf.Tensor3D; // (k, s, s)
  const cHost = Math.max(...s.alphas.map((al, i) => Math.sqrt(size) + al * s.rows[i]));
  const iters = Math.ceil(Math.log2(((cHost + 1) / 2) * Math.log(1e8))) + 2;
  for (let t = 0; t < iters; t++) {
    const next = tf.tidy(() => tf.sub(tf.mul(2, x), tf.matMul(x, tf.matMul(a, x))) as tf.Tensor3D);
    x.dispose();
    x = next;
  }
  const prod = dBranch ? tf.matMul(z, x) : tf.matMul(x, z); // (k, m, d)
  const scale = tf.reshape(tf.mul(dy, tf.tensor1d(Float32Array.from(s.alphas))), [k, 1, 1]); // (k, 1, 1)
  return tf.mul(prod, scale) as tf.Tensor3D;
}
