// Random translations for the invariance term of the warm-ups (recipe augShift, invarianceWeight).
// The generator is seeded by the batch itself, so a resumed run augments a batch exactly as an uninterrupted run does
// without any augmentation state in the checkpoint.
import { EngineRng } from './rng';

/** A 32-bit seed from a batch's pixels and labels (FNV-1a over a strided sample) and a salt (view index). */
export function batchSeed(x: Float32Array, labels: Int32Array, salt: number): number {
  let h = (0x811c9dc5 ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v & 0xff), 0x01000193) >>> 0;
    h = Math.imul(h ^ ((v >>> 8) & 0xff), 0x01000193) >>> 0;
    h = Math.imul(h ^ ((v >>> 16) & 0xff), 0x01000193) >>> 0;
    h = Math.imul(h ^ (v >>> 24), 0x01000193) >>> 0;
  };
  const step = Math.max(1, Math.floor(x.length / 4096));
  for (let i = 0; i < x.length; i += step) mix(Math.round(x[i] * 65536) | 0);
  for (let i = 0; i < labels.length; i++) mix(labels[i]);
  return h;
}

/**
 * Each of the n images (C, H, W) moved by an integer offset in [−shift, shift]² drawn per image; pixels that come in
 * from outside repeat the nearest edge pixel (the background for digits, a plausible border for photos).
 */
export function shiftImages(x: Float32Array, n: number, shape: readonly [number, number, number], shift: number, seed: number): Float32Array {
  const [c, h, w] = shape;
  const size = c * h * w;
  if (x.length < n * size) throw new Error(`shiftImages: expected at least ${n * size} values for ${n} images of [${shape.join(', ')}], got ${x.length}`);
  if (!Number.isInteger(shift) || shift < 0) throw new Error(`shiftImages: shift must be an integer ≥ 0, got ${shift}`);
  const out = new Float32Array(n * size);
  const rng = new EngineRng(seed);
  const span = 2 * shift + 1;
  for (let i = 0; i < n; i++) {
    const dx = Math.floor(rng.next() * span) - shift;
    const dy = Math.floor(rng.next() * span) - shift;
    for (let ch = 0; ch < c; ch++) {
      const base = i * size + ch * h * w;
      for (let yy = 0; yy < h; yy++) {
        const sy = Math.min(h - 1, Math.max(0, yy - dy));
        for (let xx = 0; xx < w; xx++) {
          const sx = Math.min(w - 1, Math.max(0, xx - dx));
          out[base + yy * w + xx] = x[base + sy * w + sx];
        }
      }
    }
  }
  return out;
}
