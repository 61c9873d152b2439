import { describe, expect, it } from 'vitest';
import type { SnapshotEvent } from '../../preload/api';
import { MemoryHost } from './fakes/memoryHost';
import { rmsRadius } from '../../renderer/src/lib/pca';
import { encodeWireTensor } from '../../renderer/src/lib/wireTensor';
import { buildCloudFrame, decodeSnapshot, leadingDirection, nearestPoint } from '../../renderer/src/scenes/cloudFrame';

async function snapshotFromHost(points: number): Promise<SnapshotEvent> {
  const host = new MemoryHost({ snapshotPoints: points, featureDim: 16, numClasses: 4 });
  const r = await host.startRun({ data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 4, seed: 0, quick: true });
  host.dispose();
  if (!r.ok) throw new Error(r.error.message);
  return host.snapshotFor(r.value.runId, points) as SnapshotEvent;
}

describe('cloud frame', () => {
  it('PCA frame has RMS radius 1 and one glyph per class with up to 3 axes', async () => {
    const s = await snapshotFromHost(400);
    const d = decodeSnapshot(s);
    expect(d.n).toBe(400);
    expect(d.d).toBe(16);
    const f = buildCloudFrame(d, { kind: 'pca' }, null);
    expect(rmsRadius(f.positions, f.n)).toBeCloseTo(1, 4);
    expect(f.classes.map((c) => c.cls)).toEqual([0, 1, 2, 3]);
    for (const c of f.classes) {
      expect(c.axes).toHaveLength(3);
      expect(c.count).toBe(100);
      // the leading axis is the longest: sigma is decreasing
      const len = c.axes.map((a) => Math.hypot(...a));
      expect(len[0]).toBeGreaterThan(0);
    }
  });

  it('each class glyph sits at the mean of its drawn points', async () => {
    const d = decodeSnapshot(await snapshotFromHost(200));
    const f = buildCloudFrame(d, { kind: 'pca' }, null);
    for (const g of f.classes) {
      const m = [0, 0, 0];
      let n = 0;
      for (let i = 0; i < f.n; i++) if (f.labels[i] === g.cls) {
        n++;
        for (let a = 0; a < 3; a++) m[a] += f.positions[i * 3 + a];
      }
      for (let a = 0; a < 3; a++) expect(g.center[a]).toBeCloseTo(m[a] / n, 4);
      expect(Math.hypot(...g.axes[0])).toBeGreaterThan(0);
    }
  });

  it('class-direction frame puts each chosen class along its own axis', async () => {
    const s = await snapshotFromHost(400);
    const d = decodeSnapshot(s);
    const f = buildCloudFrame(d, { kind: 'classes', classes: [0, 1, 2] }, null);
    // mean |coordinate k| is largest for class k
    for (let k = 0; k < 3; k++) {
      const mean = [0, 0, 0];
      let cnt = 0;
      for (let i = 0; i < f.n; i++) if (f.labels[i] === k) {
        cnt++;
        for (let a = 0; a < 3; a++) mean[a] += Math.abs(f.positions[i * 3 + a]);
      }
      const best = mean.indexOf(Math.max(...mean));
      expect(cnt).toBeGreaterThan(0);
      expect(best).toBe(k);
    }
    expect(leadingDirection(d, 99)).toBeNull();
  });

  it('rejects a snapshot whose labels and rows disagree, naming both counts', () => {
    const s: SnapshotEvent = {
      type: 'snapshot',
      runId: 'r',
      task: 0,
      step: 0,
      labels: [0, 1],
      features: encodeWireTensor(new Float32Array(3 * 2), [3, 2]),
      classes: [],
      classNames: [],
    };
    expect(() => decodeSnapshot(s)).toThrow('2 labels for 3 feature rows');
  });

  it('nearestPoint picks the closest visible point within the radius', () => {
    const screen = Float32Array.from([0, 0, 10, 0, 3, 4, Number.NaN, Number.NaN]);
    expect(nearestPoint(screen, 4, 2.5, 3.5, 10, () => true)).toBe(2);
    expect(nearestPoint(screen, 4, 2.5, 3.5, 10, (i) => i !== 2)).toBe(0);
    expect(nearestPoint(screen, 4, 100, 100, 10, () => true)).toBe(-1);
  });
});
