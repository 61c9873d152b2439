/**
 * CRATE encoder f: images → unit-norm features (CRATE_SPEC §2.2; mirrors `Encoder` in
 * /shared/bench/torch_closed_loop.py, itself the official Ma-Lab-Berkeley/CRATE model/crate.py forward).
 *
 *   tokens = LN1(LN0(patchify(x))·W + b);  Z⁰ = [cls; tokens] + pos
 *   per layer ℓ:  Z^{ℓ+½} = Z^ℓ + MSSA(LN(Z^ℓ))          (compression)
 *                 Z^{ℓ+1} = ISTA(LN(Z^{ℓ+½}) | D^ℓ)       (sparsification; CRATE-α: + residual)
 *   z = normalize(LN(pool(Z^L))·W_head)
 * Letters: B batch, N patch tokens (N+1 with the class token), d width, F feature size.
 */
import * as tf from '@tensorflow/tfjs';
import { dense } from '../ops/matmul';
import { type CrateConfig } from './config';
import { alphaCode, alphaDecode, istaStep } from './ista';
import { layerNormP } from './layerNorm';
import { mssa, mssaFirstRow, splitHeads } from './mssa';
import { type ParamMap, param } from './params';
import { patchify } from './patches';

/** What one encoder layer exposes to diagnostics: the qkv projection of its input and its sparse code. */
export interface LayerTap {
  /** The qkv projection U·LN(Z^ℓ) of layer ℓ's input, (B, N+1, d). */
  qkv?(layer: number, w: tf.Tensor3D): void;
  /** The sparse code of layer ℓ: ISTA output (B, N+1, d), or CRATE-α A² (B, N+1, 4d). */
  code?(layer: number, a: tf.Tensor): void;
}

function checkImages(cfg: CrateConfig, x: tf.Tensor, fn: string): void {
  const [c, h, w] = cfg.imageShape;
  if (x.rank !== 4 || x.shape[1] !== c || x.shape[2] !== h || x.shape[3] !== w) {
    throw new Error(`${fn}: expected images (B, ${c}, ${h}, ${w}), got [${x.shape}]`);
  }
}

/** Tokens after the last layer, (B, N+1, d); `tap` sees each layer's intermediate tensors (inside this tidy). */
export function encodeTokens(p: ParamMap, cfg: CrateConfig, x: tf.Tensor4D, tap?: LayerTap): tf.Tensor3D {
  checkImages(cfg, x, 'encodeTokens');
  return tf.tidy(() => runEncoder(p, cfg, x, false, tap) as tf.Tensor3D);
}

/** Layer ℓ's sparse-coding block on u = LN(Z^{ℓ+½}), (…, d); z is Z^{ℓ+½} for CRATE-α's residual. */
function sparseBlock(p: ParamMap, cfg: CrateConfig, l: number, z: tf.Tensor, tap?: LayerTap): tf.Tensor {
  const pre = `enc/l${l}`;
  const u = layerNormP(p, `${pre}/ln2`, z, cfg.layerNormEps); // (…, d)
  if (cfg.sparseBlock === 'alpha') {
    const a2 = alphaCode(u, param(p, `${pre}/D`), cfg.istaStep, cfg.istaLambda); // (…, 4d)
    tap?.code?.(l, a2);
    return tf.add(z, alphaDecode(a2, param(p, `${pre}/D1`))); // (…, d)
  }
  const out = istaStep(u, param(p, `${pre}/D`), cfg.istaStep, cfg.istaLambda); // (…, d)
  tap?.code?.(l, out);
  return out;
}

/**
 * The encoder's layers on images; all final tokens (B, N+1, d), or with `clsOnly` just the class token (B, d):
 * every block but attention is row-wise, so the last layer then runs its attention query, projection and
 * sparse coding for that one token (same values, about a sixth of that layer's work).
 */
function runEncoder(p: ParamMap, cfg: CrateConfig, x: tf.Tensor4D, clsOnly: boolean, tap?: LayerTap): tf.Tensor {
  const eps = cfg.layerNormEps;
  let t = patchify(x, cfg.patch) as tf.Tensor; // (B, N, P·P·C)
  t = layerNormP(p, 'enc/embed/ln0', t, eps);
  t = dense(t, param(p, 'enc/embed/W'), param(p, 'enc/embed/b')); // (B, N, d)
  t = layerNormP(p, 'enc/embed/ln1', t, eps);
  // [cls; tokens] + pos as pad(tokens) + (pos + [cls; 0]): the same sums, but cls reaches the batch by a
  // broadcast add, whose gradient is one reduction (tile's is one slice and add per batch row).
  const n = t.shape[1] as number;
  const clsPos = tf.add(param(p, 'enc/pos'), tf.pad(param(p, 'enc/cls'), [[0, n], [0, 0]])); // (N+1, d)
  let z = tf.add(tf.pad(t, [[0, 0], [1, 0], [0, 0]]), clsPos) as tf.Tensor3D; // (B, N+1, d)
  const last = cfg.depthEncoder - 1;
  for (let l = 0; l < cfg.depthEncoder; l++) {
    const pre = `enc/l${l}`;
    const y = layerNormP(p, `${pre}/ln1`, z, eps) as tf.Tensor3D; // (B, N+1, d)
    if (tap?.qkv) tap.qkv(l, dense(y, param(p, `${pre}/qkv`)) as tf.Tensor3D);
    if (clsOnly && l === last) {
      const [b, , d] = z.shape;
      const z0 = tf.reshape(tf.slice(z, [0, 0, 0], [b, 1, d]), [b, d]); // class token of Z^ℓ (B, d)
      return sparseBlock(p, cfg, l, tf.add(z0, mssaFirstRow(p, pre, y, cfg.heads)), tap); // (B, d)
    }
    z = tf.add(z, mssa(p, pre, y, cfg.heads)); // Z^{ℓ+½}  (B, N+1, d)
    z = sparseBlock(p, cfg, l, z, tap) as tf.Tensor3D; // Z^{ℓ+1}  (B, N+1, d)
  }
  return z;
}

/** The head's input: LN(pool(tokens)) of final tokens (B, N+1, d) or of the class token alone (B, d) → (B, headInputDim). */
function headIn(p: ParamMap, cfg: CrateConfig, z: tf.Tensor3D | tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let h: tf.Tensor2D;
    if (z.rank === 2) {
      h = z as tf.Tensor2D; // already the class token (B, d)
    } else {
      const [b, n1, d] = z.shape as [number, number, number];
      h =
        cfg.pool === 'cls'
          ? tf.reshape(tf.slice(z, [0, 0, 0], [b, 1, d]), [b, d]) // class token (B, d)
          : cfg.pool === 'flat'
            ? tf.reshape(tf.slice(z, [0, 1, 0], [b, n1 - 1, d]), [b, (n1 - 1) * d]) // patch tokens side by side (B, N·d)
            : tf.mean(tf.slice(z, [0, 1, 0], [b, n1 - 1, d]), 1); // mean of patch tokens (B, d)
    }
    return layerNormP(p, 'enc/ln', h, cfg.layerNormEps) as tf.Tensor2D;
  });
}

/** Pooled, normalised head output of final tokens (B, N+1, d) or of the class token alone (B, d) → (B, F). */
function head(p: ParamMap, cfg: CrateConfig, z: tf.Tensor3D | tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const f = dense(headIn(p, cfg, z), param(p, 'enc/head/W')); // (B, F)
    // F.normalize: divide by max(‖f‖, 1e-12)
    const norm = tf.maximum(tf.norm(f, 'euclidean', 1, true), 1e-12); // (B, 1)
    return tf.div(f, norm) as tf.Tensor2D;
  });
}

/** The input of the linear head for images x: (B, headInputDim) (null-space learning keeps old classes' span of it). */
export function headInput(p: ParamMap, cfg: CrateConfig, x: tf.Tensor4D): tf.Tensor2D {
  checkImages(cfg, x, 'headInput');
  return tf.tidy(() => headIn(p, cfg, runEncoder(p, cfg, x, cfg.pool === 'cls') as tf.Tensor3D | tf.Tensor2D));
}

/** f(x): images (B, C, H, W) in [-1, 1] → features (B, F) with unit rows. */
export function encode(p: ParamMap, cfg: CrateConfig, x: tf.Tensor4D): tf.Tensor2D {
  checkImages(cfg, x, 'encode');
  return tf.tidy(() => head(p, cfg, runEncoder(p, cfg, x, cfg.pool === 'cls') as tf.Tensor3D | tf.Tensor2D));
}

/** ½·logdet(A) of an SPD k×k row-major float64 matrix by Cholesky; NaN when A is not numerically SPD. */
function halfLogdetSpd(a: Float64Array, k: number): number {
  const l = new Float64Array(k * k);
  let s = 0;
  for (let j = 0; j < k; j++) {
    let diag = a[j * k + j];
    for (let q = 0; q < j; q++) diag -= l[j * k + q] ** 2;
    if (!(diag > 0)) return NaN;
    const ljj = Math.sqrt(diag);
    l[j * k + j] = ljj;
    s += Math.log(ljj);
    for (let i = j + 1; i < k; i++) {
      let v = a[i * k + j];
      for (let q = 0; q < j; q++) v -= l[i * k + q] * l[j * k + q];
      l[i * k + j] = v / ljj;
    }
  }
  return s;
}

/** ε² of the CRATE per-layer coding-rate tool (vis_utils/coding_rate.py CodingRate(eps=0.01)). */
const DIAG_EPS2 = 0.01;

/**
 * Encoder features plus the CRATE diagnostics of CRATE_SPEC §6.5, per layer ℓ:
 * - layerCompression[ℓ]: R^c of the layer's input, Σ_heads ½·logdet(I_N + dh/(N·0.01)·WᵀW) with W the
 *   per-head L2-normalised qkv tokens (all N+1 tokens), averaged over the batch. Should fall with depth.
 * - layerSparsity[ℓ]: fraction of non-zero entries of the ISTA output (CRATE-α: of the code A²).
 * The logdets run in float64 on the host, so pass a modest batch (it is a diagnostic, not a training op).
 */
export async function encodeDiagnostics(
  p: ParamMap,
  cfg: CrateConfig,
  x: tf.Tensor4D,
): Promise<{ z: tf.Tensor2D; layerCompression: number[]; layerSparsity: number[] }> {
  const grams: tf.Tensor[] = [];
  const nonZero: tf.Tensor[] = [];
  const z = tf.tidy(() => {
    const tokens = encodeTokens(p, cfg, x, {
      qkv: (_l, w) => {
        const wh = splitHeads(w, cfg.heads); // (B·H, N+1, dh)
        const unit = tf.div(wh, tf.maximum(tf.norm(wh, 'euclidean', 2, true), 1e-12));
        grams.push(tf.keep(tf.matMul(unit, unit, false, true))); // (B·H, N+1, N+1)
      },
      code: (_l, a) => {
        nonZero.push(tf.keep(tf.mean(tf.cast(tf.notEqual(a, 0), 'float32'))));
      },
    });
    return head(p, cfg, tokens);
  });
  try {
    const b = x.shape[0];
    const h = cfg.heads;
    const dh = cfg.dim / h;
    const layerCompression: number[] = [];
    for (const g of grams) {
      const data = await g.data(); // diagnostic read, once per layer
      const n = g.shape[1] as number;
      const c = dh / (n * DIAG_EPS2);
      const a = new Float64Array(n * n);
      let total = 0;
      for (let bh = 0; bh < b * h; bh++) {
        const off = bh * n * n;
        for (let i = 0; i < n * n; i++) a[i] = c * data[off + i];
        for (let i = 0; i < n; i++) a[i * n + i] += 1;
        total += halfLogdetSpd(a, n);
      }
      layerCompression.push(total / b);
    }
    const layerSparsity: number[] = [];
    for (const t of nonZero) layerSparsity.push((await t.data())[0]);
    return { z, layerCompression, layerSparsity };
  } finally {
    tf.dispose(grams);
    tf.dispose(nonZero);
  }
}
