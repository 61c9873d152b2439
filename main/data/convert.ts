import { DataError } from './dataError';
import type { RawImages } from './rawSource';
import { channelWord } from './rawSource';
import { axisWeights, resizeImage, resizeMethod } from './resize';

/** ITU-R BT.601 luma weights, the ones PIL's convert('L') and torchvision's Grayscale use. */
export const LUMA = [0.299, 0.587, 0.114] as const;

/** Conversion notes for a change of shape, e.g. ["resized 32x32→28x28 (area)", "RGB→grayscale (luma …)"]. */
export function conversionNotes(from: readonly [number, number, number], to: readonly [number, number, number]): string[] {
  const notes: string[] = [];
  if (from[1] !== to[1] || from[2] !== to[2]) {
    const my = resizeMethod(from[1], to[1]);
    const mx = resizeMethod(from[2], to[2]);
    const method = my === mx || mx === 'none' ? my : my === 'none' ? mx : `${mx} x, ${my} y`;
    notes.push(`resized ${from[2]}x${from[1]}→${to[2]}x${to[1]} (${method})`);
  }
  if (from[0] !== to[0]) {
    if (from[0] === 3 && to[0] === 1) notes.push(`RGB→grayscale (${LUMA[0]}R+${LUMA[1]}G+${LUMA[2]}B)`);
    else if (from[0] === 1 && to[0] === 3) notes.push('grayscale→RGB (replicated)');
  }
  return notes;
}

/**
 * Converts one channel-first image to the target shape: channels first (so that a colour image is
 * resized once, as gray), then size. Values keep their units (0..255 or 0..1).
 */
export function makeImageConverter(
  from: readonly [number, number, number],
  to: readonly [number, number, number],
  file: string,
): (src: ArrayLike<number>, out: Float32Array) => void {
  const [cs, H, W] = from;
  const [ct, h, w] = to;
  if (cs !== ct && !((cs === 3 && ct === 1) || (cs === 1 && ct === 3))) {
    throw new DataError(file, `cannot convert ${channelWord(cs)} images to ${channelWord(ct)} (only RGB↔grayscale)`);
  }
  const wy = axisWeights(H, h);
  const wx = axisWeights(W, w);
  const plane = H * W;
  const c = Math.min(cs, ct); // channels to resize
  const mixed = new Float32Array(c * plane);
  const resized = new Float32Array(c * h * w);
  return (src, out) => {
    if (cs === 3 && ct === 1) {
      for (let i = 0; i < plane; i++) mixed[i] = LUMA[0] * src[i] + LUMA[1] * src[plane + i] + LUMA[2] * src[2 * plane + i];
    } else {
      for (let i = 0; i < c * plane; i++) mixed[i] = src[i];
    }
    resizeImage(mixed, c, H, W, h, w, resized, wy, wx);
    if (ct === 3 && cs === 1) {
      out.set(resized, 0);
      out.set(resized, h * w);
      out.set(resized, 2 * h * w);
    } else {
      out.set(resized, 0);
    }
  };
}

/** Converts a whole set; returns the input unchanged when the shape already matches. */
export function convertImages(raw: RawImages, to: readonly [number, number, number], file: string): RawImages {
  const from = raw.shape;
  if (from[0] === to[0] && from[1] === to[1] && from[2] === to[2]) return raw;
  const convert = makeImageConverter(from, to, file);
  const sz = from[0] * from[1] * from[2];
  const tz = to[0] * to[1] * to[2];
  const pixels = new Float32Array(raw.n * tz);
  const out = new Float32Array(tz);
  for (let i = 0; i < raw.n; i++) {
    convert(raw.pixels.subarray(i * sz, (i + 1) * sz), out);
    pixels.set(out, i * tz);
  }
  return { pixels, n: raw.n, shape: [to[0], to[1], to[2]], labels: raw.labels, white: raw.white };
}
