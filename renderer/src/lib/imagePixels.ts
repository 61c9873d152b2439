/**
 * One image of a (B, C, H, W) tensor with values in [-1, 1] → RGBA bytes for a canvas.
 * C = 1 is grey; C = 3 is RGB; other channel counts show channel 0.
 */
export function imageToRgba(data: Float32Array, shape: readonly number[], index: number, out?: Uint8ClampedArray): Uint8ClampedArray {
  const [b, c, h, w] = shape.length === 4 ? shape : [1, ...shape];
  if (index < 0 || index >= b) throw new Error(`imageToRgba: index ${index} outside batch of ${b}`);
  const px = h * w;
  const res = out ?? new Uint8ClampedArray(px * 4);
  const base = index * c * px;
  const to8 = (v: number): number => Math.round((Math.max(-1, Math.min(1, v)) + 1) * 127.5);
  for (let i = 0; i < px; i++) {
    if (c === 3) {
      res[i * 4] = to8(data[base + i]);
      res[i * 4 + 1] = to8(data[base + px + i]);
      res[i * 4 + 2] = to8(data[base + 2 * px + i]);
    } else {
      const g = to8(data[base + i]);
      res[i * 4] = g;
      res[i * 4 + 1] = g;
      res[i * 4 + 2] = g;
    }
    res[i * 4 + 3] = 255;
  }
  return res;
}
