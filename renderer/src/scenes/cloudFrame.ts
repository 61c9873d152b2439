import type { SnapshotEvent } from '../../../preload/api';
import { directionProjection, pcaProjection, project, projectVector, rmsRadius, type Projection } from '../lib/pca';
import { decodeWireTensor } from '../lib/wireTensor';

/**
 * One snapshot turned into what the 3D view draws: n points in view units, and per class its mean and
 * principal axes in the same units. Pure and DOM-free (tested in node).
 *
 * View units: PCA coordinates are scaled so the cloud's RMS radius is 1 (the camera frames that);
 * class-direction coordinates are cosines with the chosen directions and stay unscaled.
 */

export type ProjectionMode = { kind: 'pca' } | { kind: 'classes'; classes: [number, number, number] };

export interface ClassGlyph {
  cls: number;
  center: [number, number, number];
  /** up to three half-axes (end point minus center), already scaled */
  axes: [number, number, number][];
  count: number;
}

export interface CloudFrame {
  n: number;
  d: number;
  positions: Float32Array; // (n, 3)
  labels: Int32Array;
  classes: ClassGlyph[];
  projection: Projection;
  /** view units per projection unit (PCA: 1 / RMS radius; class directions: 1): positions = scale · (x − center) · axesᵀ */
  scale: number;
  task: number;
  step: number;
}

export interface DecodedSnapshot {
  n: number;
  d: number;
  features: Float32Array;
  labels: Int32Array;
  classes: { cls: number; mean: number[]; basis: Float32Array; r: number; sigma: number[] }[];
  task: number;
  step: number;
}

export function decodeSnapshot(s: SnapshotEvent): DecodedSnapshot {
  const f = decodeWireTensor(s.features, 'snapshot features');
  if (f.shape.length !== 2) throw new Error(`snapshot features: expected shape (n, d), got [${f.shape.join(', ')}]`);
  const [n, d] = f.shape;
  if (s.labels.length !== n) throw new Error(`snapshot: ${s.labels.length} labels for ${n} feature rows`);
  const classes = s.classes.map((c) => {
    const b = decodeWireTensor(c.basis, `basis of class ${c.cls}`);
    const r = b.shape.length === 2 ? b.shape[1] : 1;
    if (b.shape[0] !== d) throw new Error(`basis of class ${c.cls}: expected ${d} rows, got shape [${b.shape.join(', ')}]`);
    return { cls: c.cls, mean: c.mean, basis: b.data, r, sigma: c.sigma };
  });
  return { n, d, features: f.data, labels: Int32Array.from(s.labels), classes, task: s.task, step: s.step };
}

/** Leading direction (first basis column) of a class; null if the snapshot lacks it. */
export function leadingDirection(s: DecodedSnapshot, cls: number): Float64Array | null {
  const c = s.classes.find((x) => x.cls === cls);
  if (!c) return null;
  const v = new Float64Array(s.d);
  for (let j = 0; j < s.d; j++) v[j] = c.basis[j * c.r];
  return v;
}

export function buildCloudFrame(s: DecodedSnapshot, mode: ProjectionMode, previous: Projection | null): CloudFrame {
  let projection: Projection;
  let scale = 1;
  let positions: Float32Array;
  if (mode.kind === 'classes') {
    const dirs = mode.classes.map((c) => leadingDirection(s, c) ?? new Float64Array(s.d));
    projection = directionProjection(dirs, s.d);
    positions = project(s.features, s.n, projection);
  } else {
    projection = pcaProjection(s.features, s.n, s.d, previous);
    positions = project(s.features, s.n, projection);
    const rms = rmsRadius(positions, s.n);
    scale = rms > 0 ? 1 / rms : 1;
    for (let i = 0; i < positions.length; i++) positions[i] *= scale;
  }

  // Class glyphs are measured on the snapshot's own points, so they always sit on the drawn cloud:
  // the centre is the mean of the class's points, and half-axis k is two standard deviations of
  // those points along the engine's basis vector u_k (the singular value of the centred class data
  // along u_k, divided by √n). The engine's subspace model may be uncentred (through the origin), so
  // its own mean and sigma are used only for a class with no points in the snapshot.
  const sums = new Map<number, { sum: Float64Array; n: number }>();
  for (let i = 0; i < s.n; i++) {
    const c = s.labels[i];
    let acc = sums.get(c);
    if (!acc) sums.set(c, (acc = { sum: new Float64Array(s.d), n: 0 }));
    acc.n++;
    for (let j = 0; j < s.d; j++) acc.sum[j] += s.features[i * s.d + j];
  }
  const classes: ClassGlyph[] = s.classes.map((c) => {
    const acc = sums.get(c.cls);
    const mean = acc && acc.n > 0 ? Array.from(acc.sum, (v) => v / acc.n) : c.mean;
    const center = projectVector(mean, projection, true).map((v) => v * scale) as [number, number, number];
    const axes: [number, number, number][] = [];
    const r = Math.min(3, c.r);
    const sigNorm = Math.sqrt(c.sigma.slice(0, c.r).reduce((a, v) => a + v * v, 0)) || 1;
    for (let k = 0; k < r; k++) {
      const col = new Float64Array(s.d);
      for (let j = 0; j < s.d; j++) col[j] = c.basis[j * c.r + k];
      let len: number;
      if (acc && acc.n > 1) {
        let q = 0;
        for (let i = 0; i < s.n; i++) {
          if (s.labels[i] !== c.cls) continue;
          let t = 0;
          for (let j = 0; j < s.d; j++) t += (s.features[i * s.d + j] - mean[j]) * col[j];
          q += t * t;
        }
        len = 2 * Math.sqrt(q / acc.n);
      } else {
        len = (c.sigma[k] ?? 0) / sigNorm; // relative lengths only: no points to measure
      }
      const dir = projectVector(col, projection, false);
      axes.push([dir[0] * len * scale, dir[1] * len * scale, dir[2] * len * scale]);
    }
    return { cls: c.cls, center, axes, count: acc?.n ?? 0 };
  });

  return { n: s.n, d: s.d, positions, labels: s.labels, classes, projection, scale, task: s.task, step: s.step };
}

/** Nearest visible point to a screen position, from points already projected to pixels. */
export function nearestPoint(
  screen: Float32Array, // (n, 2) pixel coordinates; NaN for points behind the camera
  n: number,
  x: number,
  y: number,
  maxDist: number,
  visible: (i: number) => boolean,
): number {
  let best = -1;
  let bestD = maxDist * maxDist;
  for (let i = 0; i < n; i++) {
    const dx = screen[i * 2] - x;
    const dy = screen[i * 2 + 1] - y;
    const q = dx * dx + dy * dy;
    if (q < bestD && visible(i)) {
      bestD = q;
      best = i;
    }
  }
  return best;
}

/** Indices of the visible points whose screen position lies inside the polygon (even-odd rule). */
export function pointsInPolygon(screen: Float32Array, n: number, polygon: readonly [number, number][], visible: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = screen[i * 2];
    const y = screen[i * 2 + 1];
    if (!Number.isFinite(x) || !visible(i)) continue;
    let inside = false;
    for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
      const [xa, ya] = polygon[a];
      const [xb, yb] = polygon[b];
      if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
    }
    if (inside) out.push(i);
  }
  return out;
}
