/**
 * Colour scales for heatmaps. Values are mapped to t ∈ [0, 1] first (`scaleValue`), then to a colour
 * by piecewise-linear interpolation between a few stops of a perceptually ordered palette
 * (dark blue → teal → yellow, like viridis), which reads well on the dark UI.
 */

export type Rgb = [number, number, number];

const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Map v from [lo, hi] to [0, 1], clamped; NaN stays NaN so callers can draw "no data". */
export function scaleValue(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return Number.NaN;
  if (hi <= lo) return v >= hi ? 1 : 0;
  const t = (v - lo) / (hi - lo);
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

export function viridis(t: number): Rgb {
  if (!Number.isFinite(t)) return [40, 44, 52];
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Text colour that stays readable on top of a heatmap cell. */
export function textOn(rgb: Rgb): string {
  const lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  return lum > 140 ? '#111' : '#f2f2f2';
}

export function rgbCss(rgb: Rgb): string {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

/** Min and max over finite entries of a matrix (rows may be ragged). */
export function matrixRange(m: readonly (readonly number[])[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of m) for (const v of row) if (Number.isFinite(v)) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

/** Fill an RGBA buffer for an (h, w) matrix of values already in [0, 1]. */
export function fillHeatmapPixels(values: ArrayLike<number>, w: number, h: number, out: Uint8ClampedArray): void {
  for (let i = 0; i < w * h; i++) {
    const c = viridis(values[i]);
    out[i * 4] = c[0];
    out[i * 4 + 1] = c[1];
    out[i * 4 + 2] = c[2];
    out[i * 4 + 3] = 255;
  }
}
