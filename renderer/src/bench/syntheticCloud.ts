// Synthetic class features for the 3D benchmark page (`?bench=1`) and the tests: N unit vectors near each class's
// random 3-dimensional subspace, as a SnapshotEvent of exactly the shape the engine streams (preload/api.ts). No engine
// and no API are involved: the benchmark measures the view (decode, PCA, upload, morph), not a lab.
import type { SnapshotEvent } from '../../../preload/api';
import { gaussian } from '../../../models/memory/random';
import { encodeWireTensor } from '../lib/wireTensor';

/** Per class, a (d, 3) column-major orthonormal basis (Gram–Schmidt of Gaussian columns). */
export function classBases(rand: () => number, numClasses: number, d: number): Float64Array[] {
  const normal = gaussian(rand);
  const bases: Float64Array[] = [];
  for (let c = 0; c < numClasses; c++) {
    const b = new Float64Array(d * 3);
    for (let k = 0; k < 3; k++) {
      const col = new Float64Array(d);
      for (let j = 0; j < d; j++) col[j] = normal();
      for (let p = 0; p < k; p++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += col[j] * b[p * d + j];
        for (let j = 0; j < d; j++) col[j] -= s * b[p * d + j];
      }
      let nrm = 0;
      for (let j = 0; j < d; j++) nrm += col[j] * col[j];
      nrm = Math.sqrt(nrm);
      for (let j = 0; j < d; j++) b[k * d + j] = col[j] / nrm;
    }
    bases.push(b);
  }
  return bases;
}

export interface CloudSpec {
  runId: string;
  task: number;
  step: number;
  classNames: string[];
  /** classes drawn, round robin */
  seen: number[];
  bases: Float64Array[];
  featureDim: number;
  points: number;
  /** spread off the subspaces (0.12 … 0.82: shrinks as a run "trains") */
  noise: number;
  normal: () => number;
}

/** Features: unit vectors near each seen class's 3-dim subspace, and each class's mean, basis and σ. */
export function cloudSnapshot(a: CloudSpec): SnapshotEvent {
  const d = a.featureDim;
  const n = a.points;
  const feats = new Float32Array(n * d);
  const labels: number[] = [];
  const v = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = a.seen[i % a.seen.length];
    const b = a.bases[c];
    const a0 = a.normal() * 1.0 + 0.8;
    const a1 = a.normal() * 0.5;
    const a2 = a.normal() * 0.25;
    let s = 0;
    for (let j = 0; j < d; j++) {
      v[j] = a0 * b[j] + a1 * b[d + j] + a2 * b[2 * d + j] + a.noise * a.normal() * 0.3;
      s += v[j] * v[j];
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < d; j++) feats[i * d + j] = v[j] * inv;
    labels.push(c);
  }
  const classes = a.seen.map((c) => {
    const mean = new Array<number>(d).fill(0);
    let count = 0;
    for (let i = 0; i < n; i++) if (labels[i] === c) {
      count++;
      for (let j = 0; j < d; j++) mean[j] += feats[i * d + j];
    }
    for (let j = 0; j < d; j++) mean[j] /= Math.max(1, count);
    // basis (d, r) row-major from the class's column-major columns
    const basis = new Float32Array(d * 3);
    for (let j = 0; j < d; j++) for (let k = 0; k < 3; k++) basis[j * 3 + k] = a.bases[c][k * d + j];
    return { cls: c, mean, basis: encodeWireTensor(basis, [d, 3]), sigma: [Math.sqrt(count) * 0.8, Math.sqrt(count) * 0.45, Math.sqrt(count) * 0.25] };
  });
  return { type: 'snapshot', runId: a.runId, task: a.task, step: a.step, labels, features: encodeWireTensor(feats, [n, d]), classes, classNames: a.classNames };
}
