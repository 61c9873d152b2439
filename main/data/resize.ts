/**
 * Separable image resampling for dataset conversion. Each axis is resampled on its own: area averaging
 * when it shrinks (every source pixel contributes by its overlap, so thin strokes are not dropped as with
 * nearest or plain bilinear), bilinear with half-pixel centres when it grows (the convention of
 * torch.nn.functional.interpolate(align_corners=False) and OpenCV INTER_LINEAR), identity when equal.
 */

/** For each destination index: the first source index and the weights of consecutive source pixels. */
export interface AxisWeights {
  start: Int32Array;
  weights: Float64Array[];
}

export function axisWeights(src: number, dst: number): AxisWeights {
  const start = new Int32Array(dst);
  const weights: Float64Array[] = [];
  if (dst === src) {
    for (let i = 0; i < dst; i++) {
      start[i] = i;
      weights.push(Float64Array.of(1));
    }
  } else if (dst < src) {
    const scale = src / dst;
    for (let i = 0; i < dst; i++) {
      const a = i * scale;
      const b = (i + 1) * scale;
      const j0 = Math.floor(a);
      const j1 = Math.min(Math.ceil(b), src); // exclusive
      const w = new Float64Array(j1 - j0);
      for (let j = j0; j < j1; j++) w[j - j0] = (Math.min(b, j + 1) - Math.max(a, j)) / scale;
      start[i] = j0;
      weights.push(w);
    }
  } else {
    const scale = src / dst;
    for (let i = 0; i < dst; i++) {
      const x = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), src - 1);
      const j0 = Math.floor(x);
      const t = x - j0;
      start[i] = j0;
      weights.push(j0 + 1 < src ? Float64Array.of(1 - t, t) : Float64Array.of(1));
    }
  }
  return { start, weights };
}

export function resizeMethod(src: number, dst: number): 'area' | 'bilinear' | 'none' {
  return dst === src ? 'none' : dst < src ? 'area' : 'bilinear';
}

/**
 * Resizes a channel-first image (C, H, W) to (C, h, w). `src` may be uint8 or float; the result is float
 * in the same units.
 */
export function resizeImage(
  src: ArrayLike<number>,
  c: number,
  H: number,
  W: number,
  h: number,
  w: number,
  out: Float32Array = new Float32Array(c * h * w),
  wy: AxisWeights = axisWeights(H, h),
  wx: AxisWeights = axisWeights(W, w),
): Float32Array {
  const tmp = new Float64Array(H * w); // one channel resampled along x: (H, w)
  for (let ch = 0; ch < c; ch++) {
    const base = ch * H * W;
    for (let y = 0; y < H; y++) {
      const row = base + y * W;
      for (let x = 0; x < w; x++) {
        const s = row + wx.start[x];
        const k = wx.weights[x];
        let acc = 0;
        for (let j = 0; j < k.length; j++) acc += k[j] * src[s + j];
        tmp[y * w + x] = acc;
      }
    }
    const obase = ch * h * w;
    for (let y = 0; y < h; y++) {
      const k = wy.weights[y];
      const s = wy.start[y];
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let j = 0; j < k.length; j++) acc += k[j] * tmp[(s + j) * w + x];
        out[obase + y * w + x] = acc;
      }
    }
  }
  return out;
}
