/**
 * One colour per class index, stable across runs and views (3D points, legend, charts, heatmap
 * labels). The first ten are hand-picked to be distinct on a dark background; beyond that hues
 * step by the golden angle so neighbouring indices never look alike.
 */

const BASE: [number, number, number][] = [
  [78, 163, 255], // blue
  [255, 140, 66], // orange
  [90, 214, 122], // green
  [240, 82, 98], // red
  [178, 132, 255], // violet
  [255, 214, 79], // yellow
  [64, 224, 222], // cyan
  [255, 121, 198], // pink
  [170, 196, 90], // olive
  [200, 200, 210], // light grey
];

export function classRgb(cls: number): [number, number, number] {
  if (cls >= 0 && cls < BASE.length) return BASE[cls];
  const h = ((cls * 137.508) % 360) / 360;
  return hslToRgb(h, 0.7, 0.6);
}

export function classCss(cls: number): string {
  const [r, g, b] = classRgb(cls);
  return `rgb(${r}, ${g}, ${b})`;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const f = (t: number): number => {
    if (t < 0) t += 1;
    if (t > 1) t -= 1;
    if (t < 1 / 6) return p + (q - p) * 6 * t;
    if (t < 1 / 2) return q;
    if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
    return p;
  };
  return [Math.round(f(h + 1 / 3) * 255), Math.round(f(h) * 255), Math.round(f(h - 1 / 3) * 255)];
}
