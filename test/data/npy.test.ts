import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/data/dataset';
import { parseNpy } from '../../main/data/npy';
import { makeTempDir, npyBytes, npzBytes } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const f32 = (v: number) => Math.fround(v);

describe('npy: loader', () => {
  it('parses v1 and v2 headers and each supported dtype', () => {
    const a = parseNpy(npyBytes('<f8', [2, 2], Float64Array.of(1, 2.5, -3, 4), { version: 2 }), 'a.npy');
    expect(a).toMatchObject({ dtype: 'float64', shape: [2, 2] });
    expect(Array.from(a.data as Float64Array)).toEqual([1, 2.5, -3, 4]);
    const b = parseNpy(npyBytes('<i8', [3], BigInt64Array.of(5n, 0n, 9n)), 'b.npy');
    expect(Array.from(b.data as BigInt64Array, Number)).toEqual([5, 0, 9]);
    expect(parseNpy(npyBytes('|u1', [0], new Uint8Array(0)), 'c.npy').shape).toEqual([0]);
  });

  it('reads a deflated NPZ of uint8 (N, H, W) images and int64 labels', async () => {
    const file = join(tmp.dir, 'data.npz');
    const px = Uint8Array.from({ length: 10 * 4 }, (_, i) => (i * 29) % 256);
    const labels = BigInt64Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1].map(BigInt));
    writeFileSync(file, npzBytes({ images: npyBytes('|u1', [10, 2, 2], px), labels: npyBytes('<i8', [10], labels) }));
    const ds = await loadDataset(`npy:${file}`);
    expect(ds.classNames).toEqual(['0', '1']);
    expect([ds.train.n, ds.test.n]).toEqual([8, 2]);
    expect(ds.shape).toEqual([1, 2, 2]);
    expect(ds.conversion).toBe('NPY 2x2 grayscale uint8, uint8/255*2-1');
    // every output image is one of the inputs, with its label
    for (let j = 0; j < ds.train.n; j++) {
      const i = [...Array(10).keys()].find((k) => f32(f32(px[k * 4] / 255) * 2 - 1) === ds.train.x[j * 4])!;
      for (let p = 0; p < 4; p++) expect(ds.train.x[j * 4 + p]).toBe(f32(f32(px[i * 4 + p] / 255) * 2 - 1));
      expect(ds.train.y[j]).toBe(i < 5 ? 0 : 1);
    }
  });

  it('reads a stored NPZ of float32 (N, H, W, 3) images on the 0..255 scale, channels moved first', async () => {
    const file = join(tmp.dir, 'rgb.npz');
    // 2 images of 2x1 pixels (H 2, W 1), RGB interleaved
    const px = Float32Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 51, 102, 153);
    writeFileSync(file, npzBytes({ images: npyBytes('<f4', [2, 2, 1, 3], px), labels: npyBytes('<i4', [2], Int32Array.of(4, 9)) }, false));
    const ds = await loadDataset(`npy:${file}`, { testFraction: 0.5 });
    expect(ds.classNames).toEqual(['4', '9']);
    expect(ds.shape).toEqual([3, 2, 1]);
    expect(ds.conversion).toBe('NPY 1x2 RGB float32, float32/255*2-1');
    const byLabel = new Map<number, number[]>();
    for (let j = 0; j < ds.train.n; j++) byLabel.set(ds.train.y[j], Array.from(ds.train.x.subarray(j * 6, j * 6 + 6)));
    expect(byLabel.get(0)).toEqual([1, -1, -1, 1, -1, -1]); // R plane, G plane, B plane
    expect(byLabel.get(1)!.map((v) => Math.round(((v + 1) / 2) * 255))).toEqual([0, 51, 0, 102, 255, 153]);
  });

  it('reads images.npy + labels.npy from a folder; float64 (N, 1, H, W) in 0..1; labels compacted', async () => {
    const dir = join(tmp.dir, 'arrays');
    mkdirSync(dir);
    const px = Float64Array.from({ length: 6 * 4 }, (_, i) => (i % 5) / 4);
    writeFileSync(join(dir, 'images.npy'), npyBytes('<f8', [6, 1, 2, 2], px, { version: 2 }));
    writeFileSync(join(dir, 'labels.npy'), npyBytes('<i4', [6], Int32Array.of(7, 3, 7, 3, 7, 3)));
    const ds = await loadDataset(`npy:${dir}`, { shape: [1, 1, 1] });
    expect(ds.classNames).toEqual(['3', '7']);
    expect([ds.train.n, ds.test.n]).toEqual([4, 2]);
    expect(ds.conversion).toBe('NPY 2x2 grayscale float64, resized 2x2→1x1 (area), float64*2-1');
    const means = Array.from({ length: 6 }, (_, i) => f32(((px[4 * i] + px[4 * i + 1] + px[4 * i + 2] + px[4 * i + 3]) / 4) * 2 - 1));
    for (const v of ds.train.x) expect(means.some((m) => Math.abs(m - v) < 1e-6)).toBe(true);
  });
});
