import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/data/dataset';
import { jpegBytes, makeTempDir, pngBytes } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const grayValue = (i: number, x: number, y: number) => (i * 40 + x * 16 + y * 4) % 256;

function makeFolder(root: string) {
  for (const cls of ['cat', 'dog']) mkdirSync(join(root, cls), { recursive: true });
  for (let i = 0; i < 5; i++) {
    writeFileSync(join(root, 'cat', `c${i}.png`), pngBytes(4, 4, (x, y) => {
      const v = grayValue(i, x, y);
      return [v, v, v];
    }));
  }
  for (let i = 0; i < 5; i++) writeFileSync(join(root, 'dog', `d${i}.JPG`), jpegBytes(8, 8, () => [200, 40, 40]));
  writeFileSync(join(root, 'cat', '.DS_Store'), 'junk');
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, 'README.txt'), 'top-level files are not classes');
}

describe('folder: loader', () => {
  it('reads PNG and JPEG class folders at the first image\'s shape, skipping hidden entries', async () => {
    const root = join(tmp.dir, 'pets');
    makeFolder(root);
    const ds = await loadDataset(`folder:${root}`);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.shape).toEqual([1, 4, 4]); // first image: cat/c0.png, gray 4x4
    expect([ds.train.n, ds.test.n]).toEqual([8, 2]);
    expect(ds.conversion).toBe('PNG/JPEG folder, 2 sizes (4x4, 8x8) RGB and grayscale uint8, resized 8x8→4x4 (area), RGB→grayscale (0.299R+0.587G+0.114B), uint8/255*2-1');
    // gray PNGs round-trip exactly; find each by its first pixel
    for (let j = 0; j < ds.train.n; j++) {
      if (ds.train.y[j] !== 0) continue;
      const img = ds.train.x.subarray(j * 16, j * 16 + 16);
      const i = [0, 1, 2, 3, 4].find((k) => Math.fround(Math.fround(grayValue(k, 0, 0) / 255) * 2 - 1) === img[0])!;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(img[y * 4 + x]).toBe(Math.fround(Math.fround(grayValue(i, x, y) / 255) * 2 - 1));
    }
    // the red JPEGs become their luma (JPEG is lossy: a few levels of tolerance)
    const j = Array.from(ds.train.y).indexOf(1);
    const luma = 0.299 * 200 + 0.587 * 40 + 0.114 * 40;
    expect(ds.train.x[j * 16 + 5]).toBeCloseTo((luma / 255) * 2 - 1, 1);
  });

  it('converts every image to a preset shape (gray → RGB, upsampled) and says so', async () => {
    const root = join(tmp.dir, 'pets2');
    makeFolder(root);
    const ds = await loadDataset(`folder:${root}`, { shape: [3, 6, 6] });
    expect(ds.shape).toEqual([3, 6, 6]);
    expect(ds.train.x.length).toBe(8 * 3 * 36);
    expect(ds.conversion).toBe('PNG/JPEG folder, 2 sizes (4x4, 8x8) RGB and grayscale uint8, resized 4x4→6x6 (bilinear), grayscale→RGB (replicated), resized 8x8→6x6 (area), uint8/255*2-1');
    const j = Array.from(ds.train.y).indexOf(1);
    const red = ds.train.x[j * 108 + 14];
    const green = ds.train.x[j * 108 + 36 + 14];
    expect(red).toBeGreaterThan(green + 0.8); // colour kept for RGB sources
  });
});
