import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CIFAR10_CLASSES } from '../../main/data/cifar';
import { loadDataset } from '../../main/data/dataset';
import { cifarBytes, makeTempDir } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

const pixel = (i: number, p: number) => (i * 53 + p * 7) % 256;
const expected = (i: number, p: number) => Math.fround(Math.fround(pixel(i, p) / 255) * 2 - 1);

function writeCifar10(dir: string, names?: string[]) {
  mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), cifarBytes([[b % 10], [(b + 1) % 10]], (i, p) => pixel(2 * (b - 1) + i, p)));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBytes([[3], [4], [5]], (i, p) => pixel(100 + i, p)));
  if (names) writeFileSync(join(dir, 'batches.meta.txt'), `${names.join('\n')}\n\n`);
}

describe('cifar: loader', () => {
  it('reads CIFAR-10 batches in order, channel-first, with names from batches.meta.txt', async () => {
    const dir = join(tmp.dir, 'c10');
    const names = CIFAR10_CLASSES.map((n) => n.toUpperCase());
    writeCifar10(dir, names);
    const ds = await loadDataset(`cifar:${dir}`);
    expect(ds.classNames).toEqual(names);
    expect(ds.shape).toEqual([3, 32, 32]);
    expect([ds.train.n, ds.test.n]).toEqual([10, 3]);
    expect(Array.from(ds.train.y)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(Array.from(ds.test.y)).toEqual([3, 4, 5]);
    for (const [i, p] of [[0, 0], [0, 1023], [0, 1024], [7, 3071], [9, 2048]]) expect(ds.train.x[i * 3072 + p]).toBe(expected(i, p));
    expect(ds.test.x[2 * 3072 + 5]).toBe(expected(102, 5));
    expect(ds.conversion).toBe('CIFAR-10 binary, 32x32 RGB uint8, uint8/255*2-1');
  });

  it('finds the archive folder, uses standard names without a meta file and converts to a gray preset', async () => {
    writeCifar10(join(tmp.dir, 'c10b', 'cifar-10-batches-bin'));
    const ds = await loadDataset(`cifar:${join(tmp.dir, 'c10b')}`, { shape: [1, 16, 16] });
    expect(ds.classNames).toEqual(CIFAR10_CLASSES);
    expect(ds.shape).toEqual([1, 16, 16]);
    expect(ds.conversion).toBe('CIFAR-10 binary, 32x32 RGB uint8, resized 32x32→16x16 (area), RGB→grayscale (0.299R+0.587G+0.114B), uint8/255*2-1');
    // output (0,0) = luma of the mean of the top-left 2x2 block of image 0
    const at = (c: number, y: number, x: number) => pixel(0, c * 1024 + y * 32 + x);
    let sum = 0;
    for (const [y, x] of [[0, 0], [0, 1], [1, 0], [1, 1]]) sum += 0.299 * at(0, y, x) + 0.587 * at(1, y, x) + 0.114 * at(2, y, x);
    expect(ds.train.x[0]).toBeCloseTo((sum / 4 / 255) * 2 - 1, 5);
  });

  it('reads CIFAR-100 with the fine label of each (coarse, fine) pair', async () => {
    const dir = join(tmp.dir, 'c100');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train.bin'), cifarBytes([[1, 42], [1, 99], [19, 0]], pixel));
    writeFileSync(join(dir, 'test.bin'), cifarBytes([[2, 7]], pixel));
    const ds = await loadDataset(`cifar:${dir}`);
    expect(ds.classNames.length).toBe(100);
    expect(Array.from(ds.train.y)).toEqual([42, 99, 0]);
    expect(Array.from(ds.test.y)).toEqual([7]);
    expect(ds.train.x[3072 + 10]).toBe(expected(1, 10));
    expect(ds.conversion).toBe('CIFAR-100 binary, 32x32 RGB uint8, uint8/255*2-1');
  });
});
