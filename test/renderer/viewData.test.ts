// The 3D view as data: CSV rows of the points shown (hidden classes left out, selection marked, names quoted), the
// projection axes in view units, the .npy header numpy expects, and the lasso's point-in-polygon test.
import { describe, expect, it } from 'vitest';
import { buildCloudFrame, pointsInPolygon, type DecodedSnapshot } from '../../renderer/src/scenes/cloudFrame';
import { classTaskMap, npyFloat32, viewAxes, viewCsv } from '../../renderer/src/lib/viewData';

function snapshot(): DecodedSnapshot {
  const n = 6;
  const d = 4;
  const features = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) features[i] = Math.sin(i * 1.7) + (i % d === 0 ? i / 10 : 0);
  const basis = new Float32Array(d).fill(0.5);
  return { n, d, features, labels: Int32Array.from([0, 1, 2, 0, 1, 2]), classes: [0, 1, 2].map((cls) => ({ cls, mean: [0, 0, 0, 0], basis, r: 1, sigma: [1] })), task: 1, step: 9 };
}

describe('view data', () => {
  it('writes one row per shown point with its class, name, task and selection', () => {
    const s = snapshot();
    const frame = buildCloudFrame(s, { kind: 'pca' }, null);
    const csv = viewCsv({ frame, snapshot: s, classNames: ['zero', 'one, with comma', 'two'], classTask: classTaskMap([{ classes: [0, 1] }, { classes: [2] }]), hidden: new Set([1]), selected: new Set([3]), features: true });
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('point,x,y,z,class,class_name,task,view_task,selected,f0,f1,f2,f3');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '2', '3', '5']);
    const row3 = lines[3].split(',');
    expect(row3.slice(4, 9)).toEqual(['0', 'zero', '1', '2', '1']);
    expect(Number(row3[1])).toBeCloseTo(frame.positions[9], 6);
    expect(Number(row3[12])).toBeCloseTo(s.features[3 * 4 + 3], 6);
    expect(lines[2].split(',').slice(4, 7)).toEqual(['2', 'two', '2']);
    // a name with a comma is quoted
    expect(viewCsv({ frame, classNames: ['a', 'one, with comma', 'c'] })).toContain('"one, with comma"');
  });

  it('gives axes in view units: (f − center) · axesᵀ is the drawn position', () => {
    const s = snapshot();
    const frame = buildCloudFrame(s, { kind: 'pca' }, null);
    const { axes, center, d } = viewAxes(frame);
    for (let i = 0; i < s.n; i++)
      for (let k = 0; k < 3; k++) {
        let v = 0;
        for (let j = 0; j < d; j++) v += (s.features[i * d + j] - center[j]) * axes[k * d + j];
        expect(v).toBeCloseTo(frame.positions[i * 3 + k], 5);
      }
  });

  it('writes a .npy whose header is padded to 64 bytes and whose data reads back', () => {
    const bytes = npyFloat32(Float32Array.from([1, 2.5, -3]), [3]);
    const headerLen = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLen) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLen))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
    expect(Array.from(new Float32Array(bytes.slice(10 + headerLen).buffer))).toEqual([1, 2.5, -3]);
  });

  it('selects the visible points inside a lasso polygon', () => {
    const screen = Float32Array.from([5, 5, 50, 50, 6, 6, Number.NaN, Number.NaN, 9, 1]);
    const square: [number, number][] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(pointsInPolygon(screen, 5, square, () => true)).toEqual([0, 2, 4]);
    expect(pointsInPolygon(screen, 5, square, (i) => i !== 2)).toEqual([0, 4]);
  });
});
