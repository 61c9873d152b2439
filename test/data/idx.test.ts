import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/data/dataset';
import { FASHION_MNIST_CLASSES } from '../../main/data/idx';
import { gz, idxImages, idxLabels, makeTempDir } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const pixel = (i: number, p: number) => (i * 37 + p * 11) % 256;
const expected = (i: number, p: number) => Math.fround(Math.fround(pixel(i, p) / 255) * 2 - 1);

describe('idx: loader', () => {
  it('reads raw and gzipped files and keeps the files\' train/test split and order', async () => {
    const dir = join(tmp.dir, 'mnist');
    mkdirSync(dir);
    // 3 rows x 4 cols, so that a rows/cols swap would show
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(4, 3, 4, pixel));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels([0, 1, 2, 1]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gz(idxImages(2, 3, 4, (i, p) => pixel(i + 4, p))));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gz(idxLabels([2, 0])));
    const ds = await loadDataset(`idx:${dir}`);
    expect(ds.classNames).toEqual(['0', '1', '2']);
    expect(ds.shape).toEqual([1, 3, 4]);
    expect([ds.train.n, ds.test.n]).toEqual([4, 2]);
    expect(Array.from(ds.train.y)).toEqual([0, 1, 2, 1]);
    expect(Array.from(ds.test.y)).toEqual([2, 0]);
    for (let i = 0; i < 4; i++) for (let p = 0; p < 12; p++) expect(ds.train.x[i * 12 + p]).toBe(expected(i, p));
    for (let i = 0; i < 2; i++) for (let p = 0; p < 12; p++) expect(ds.test.x[i * 12 + p]).toBe(expected(i + 4, p));
    expect(ds.conversion).toBe('IDX, 4x3 grayscale uint8, uint8/255*2-1');
  });

  it('splits one images/labels pair by seed, per class, when named as a file', async () => {
    const dir = join(tmp.dir, 'pair');
    mkdirSync(dir);
    const labels = [...new Array(10).fill(0), ...new Array(5).fill(1)];
    writeFileSync(join(dir, 'my-images-idx3-ubyte.gz'), gz(idxImages(15, 2, 2, pixel)));
    writeFileSync(join(dir, 'my-labels-idx1-ubyte.gz'), gz(idxLabels(labels)));
    const ds = await loadDataset(`idx:${join(dir, 'my-images-idx3-ubyte.gz')}`);
    expect([ds.train.n, ds.test.n]).toEqual([8 + 4, 2 + 1]);
    expect(Array.from(ds.train.y)).toEqual([...new Array(8).fill(0), ...new Array(4).fill(1)]);
    expect(ds.conversion).toBe('IDX (no test files, split by seed), 2x2 grayscale uint8, uint8/255*2-1');
    // each image keeps its label: image i has label 0 iff i < 10, and its first pixel identifies i
    for (let j = 0; j < ds.train.n; j++) {
      const i = [...Array(15).keys()].find((k) => expected(k, 0) === ds.train.x[j * 4])!;
      expect(ds.train.y[j]).toBe(i < 10 ? 0 : 1);
    }
  });
});

const FASHION = '/usr/share/datasets/fashion-mnist';
describe.skipIf(!existsSync(FASHION))('Fashion-MNIST (installed)', () => {
  it('loads with its class names and the 60,000/10,000 split', async () => {
    const ds = await loadDataset(`idx:${FASHION}`, { maxPerClass: 6 });
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(ds.classNames[0]).toBe('T-shirt/top');
    expect(ds.shape).toEqual([1, 28, 28]);
    expect([ds.train.n, ds.test.n]).toEqual([60, 20]); // 6 per class; test keeps 6·0.2/0.8 → 2 per class
    expect(ds.conversion).toBe('Fashion-MNIST IDX, 28x28 grayscale uint8, uint8/255*2-1');
    let max = -1;
    for (const v of ds.train.x) max = Math.max(max, v);
    expect(max).toBe(1);
  });
});
