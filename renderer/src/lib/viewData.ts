import type { CloudFrame, DecodedSnapshot } from '../scenes/cloudFrame';

/**
 * The 3D view as data: the points it shows as CSV rows, and its projection as .npy arrays, so the picture can be
 * re-plotted or analysed elsewhere. One module for the window's Export buttons and `lab export RUN --what view` (the
 * CLI compiles this file too, see tsconfig.node.json), so both write the same columns from the same projection.
 *
 * CSV columns: point (row of the snapshot), x, y, z (view coordinates as drawn), class (index), class_name, task (the
 * task, from 1, that introduced the class; empty when unknown), view_task (the task end the snapshot was taken at,
 * from 1), selected (1 or 0), then f0 … f{d−1} (the feature vector) when asked for.
 * Reproducing x, y, z: (f − center) · axesᵀ, with axes already scaled to view units (view-axes.npy, (3, d) float32)
 * and center from view-center.npy ((d) float32; zero for class-direction projections).
 */

export interface ViewExportInput {
  frame: CloudFrame;
  /** needed for the feature columns only */
  snapshot?: DecodedSnapshot;
  classNames: readonly string[];
  /** class → task index (from 0) that introduced it */
  classTask?: ReadonlyMap<number, number>;
  /** classes hidden in the legend: their points are not shown, so not exported */
  hidden?: ReadonlySet<number>;
  /** snapshot rows selected (lasso or click) */
  selected?: ReadonlySet<number>;
  features?: boolean;
}

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The rows the view shows, in snapshot order; every value as text. */
export function viewCsv(o: ViewExportInput): string {
  const { frame } = o;
  const d = frame.d;
  if (o.features && (!o.snapshot || o.snapshot.n !== frame.n || o.snapshot.d !== d))
    throw new Error('view export: the feature columns need the snapshot the view was drawn from');
  const head = ['point', 'x', 'y', 'z', 'class', 'class_name', 'task', 'view_task', 'selected'];
  if (o.features) for (let j = 0; j < d; j++) head.push(`f${j}`);
  const lines = [head.join(',')];
  for (let i = 0; i < frame.n; i++) {
    const c = frame.labels[i];
    if (o.hidden?.has(c)) continue;
    const t = o.classTask?.get(c);
    const row = [
      String(i),
      String(frame.positions[i * 3]),
      String(frame.positions[i * 3 + 1]),
      String(frame.positions[i * 3 + 2]),
      String(c),
      csvField(o.classNames[c] ?? String(c)),
      t === undefined ? '' : String(t + 1),
      String(frame.task + 1),
      o.selected?.has(i) ? '1' : '0',
    ];
    if (o.features) {
      const f = o.snapshot!.features;
      for (let j = 0; j < d; j++) row.push(String(f[i * d + j]));
    }
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The projection as (3, d) axes in view units and the (d) center: positions = (f − center) · axesᵀ. */
export function viewAxes(frame: CloudFrame): { axes: Float32Array; center: Float32Array; d: number } {
  const { projection: p, scale } = frame;
  const axes = new Float32Array(3 * p.d);
  for (let k = 0; k < 3 * p.d; k++) axes[k] = p.axes[k] * scale;
  return { axes, center: Float32Array.from(p.center), d: p.d };
}

/** A little-endian float32 .npy (version 1.0) of the given shape; what numpy.load reads. */
export function npyFloat32(data: Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`npy: shape [${shape.join(', ')}] holds ${size} values, got ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(10 + header.length + i * 4, data[i], true);
  return out;
}

/** class → task (from 0) that introduced it, from the run's task records or its planned curriculum. */
export function classTaskMap(tasks: readonly { classes: readonly number[] }[]): Map<number, number> {
  const m = new Map<number, number>();
  tasks.forEach((t, i) => t.classes.forEach((c) => m.has(c) || m.set(c, i)));
  return m;
}
