/**
 * Images ↔ patch tokens, CRATE's `rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)')` (CRATE_SPEC §2.2):
 * patches row-major over the grid, each patch vector ordered (p_row, p_col, c) — channel-last inside a patch.
 * Only rank-4 transposes are used, which every TF.js backend supports.
 */
import * as tf from '@tensorflow/tfjs';

/** (B, C, H, W) → (B, N, P·P·C) with N = (H/P)·(W/P). */
export function patchify(x: tf.Tensor4D, patch: number): tf.Tensor3D {
  const [b, c, h, w] = x.shape;
  if (h % patch !== 0 || w % patch !== 0) {
    throw new Error(`patchify: image ${h}×${w} is not divisible by patch ${patch}`);
  }
  const gh = h / patch;
  const gw = w / patch;
  return tf.tidy(() => {
    const hwc = tf.transpose(x, [0, 2, 3, 1]); // (B, H, W, C)
    // H = (gh, p1) and (W, C) = (gw, p2·C): group rows of patches
    const rows = tf.reshape(hwc, [b * gh, patch, gw, patch * c]); // (B·gh, p1, gw, p2·C)
    const t = tf.transpose(rows, [0, 2, 1, 3]); // (B·gh, gw, p1, p2·C)
    return tf.reshape(t, [b, gh * gw, patch * patch * c]); // (B, N, P·P·C)
  });
}

/** (B, N, P·P·C) → (B, C, H, W); the exact inverse of patchify. */
export function unpatchify(t: tf.Tensor3D, patch: number, imageShape: readonly [number, number, number]): tf.Tensor4D {
  const [c, h, w] = imageShape;
  const [b, n, pd] = t.shape;
  const gh = h / patch;
  const gw = w / patch;
  if (n !== gh * gw || pd !== patch * patch * c) {
    throw new Error(`unpatchify: tokens [${t.shape}] do not fit image [${imageShape}] with patch ${patch}`);
  }
  return tf.tidy(() => {
    const g = tf.reshape(t, [b * gh, gw, patch, patch * c]); // (B·gh, gw, p1, p2·C)
    const rows = tf.transpose(g, [0, 2, 1, 3]); // (B·gh, p1, gw, p2·C)
    const hwc = tf.reshape(rows, [b, h, w, c]); // (B, H, W, C)
    return tf.transpose(hwc, [0, 3, 1, 2]) as tf.Tensor4D; // (B, C, H, W)
  });
}
