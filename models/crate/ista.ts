/**
 * Sparse-coding blocks of the CRATE encoder.
 *
 * CRATE (CRATE_SPEC §2.1–2.2): one non-negative ISTA step from u = LN(x) with a complete dictionary D (d, d),
 *   x = relu(u + η·(u·D − (u·Dᵀ)·D) − η·λ)     (official code, 3 products)
 *     = relu(u + η·((u − u·Dᵀ)·D) − η·λ)       (same value, 2 products — used here)
 * with no outer residual. D is stored exactly as torch's `self.D`.
 *
 * CRATE-α (§2.5): overcomplete D, D̂ ∈ R^{d×4d}, two ISTA steps from A⁰ = 0, decoupled output, outer residual.
 * Column form A¹ = relu(η·Dᵀz − ηλ), A² = relu(A¹ − η·Dᵀ(D·A¹ − z) − ηλ), out = D̂·A². In rows (z a row of u):
 *   a1 = relu(η·u·D − ηλ),  a2 = relu(a1 − η·(a1·Dᵀ − u)·D − ηλ),  out = a2·D̂ᵀ,  x ← x + out.
 */
import * as tf from '@tensorflow/tfjs';
import { dense, denseT } from '../ops/matmul';

/** CRATE ISTA step on normalised tokens u (…, d): the 2-product form. */
export function istaStep(u: tf.Tensor, D: tf.Tensor, eta: number, lambda: number): tf.Tensor {
  return tf.tidy(() => {
    const r = tf.sub(u, denseT(u, D)); // u − u·Dᵀ  (…, d)
    return tf.relu(tf.add(u, tf.sub(tf.mul(dense(r, D), eta), eta * lambda))); // (…, d)
  });
}

/** The official 3-product form, kept as the reference the tests compare against. */
export function istaStepReference(u: tf.Tensor, D: tf.Tensor, eta: number, lambda: number): tf.Tensor {
  return tf.tidy(() => {
    const grad = tf.sub(dense(u, D), dense(denseT(u, D), D)); // u·D − (u·Dᵀ)·D
    return tf.relu(tf.add(u, tf.sub(tf.mul(grad, eta), eta * lambda)));
  });
}

/** CRATE-α sparse code a2 (…, 4d) of u (…, d); D is (d, 4d). */
export function alphaCode(u: tf.Tensor, D: tf.Tensor, eta: number, lambda: number): tf.Tensor {
  return tf.tidy(() => {
    const a1 = tf.relu(tf.sub(tf.mul(dense(u, D), eta), eta * lambda)); // (…, 4d)
    const resid = tf.sub(denseT(a1, D), u); // a1·Dᵀ − u  (…, d)
    return tf.relu(tf.sub(tf.sub(a1, tf.mul(dense(resid, D), eta)), eta * lambda)); // (…, 4d)
  });
}

/** CRATE-α block output before the residual: a2·D̂ᵀ (…, d), D̂ = D1 (d, 4d). */
export function alphaDecode(a2: tf.Tensor, D1: tf.Tensor): tf.Tensor {
  return denseT(a2, D1);
}
