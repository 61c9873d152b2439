/**
 * IDX files (the MNIST / Fashion-MNIST format; yann.lecun.com/exdb/mnist): a big-endian header
 * 0x00 0x00 <type> <ndims>, then ndims uint32 sizes, then the data. Images are type 0x08 (uint8) with
 * 3 dims (n, rows, cols); labels uint8 with 1 dim (n). Files may be gzipped.
 */
import { basename, dirname, join } from 'node:path';
import { DataError } from './dataError';
import { isDirectory, listDir, readMaybeGzip } from './fileRead';
import type { RawImages, RawSource } from './rawSource';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const IDX_TYPES: Record<number, string> = {
  0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

const hex = (v: number) => `0x${(v >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;

interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses and checks an IDX buffer of uint8 with the expected number of dims. */
export function parseIdx(buf: Uint8Array, file: string, kind: 'images' | 'labels'): IdxArray {
  const ndims = kind === 'images' ? 3 : 1;
  const expected = 0x0800 | ndims;
  if (buf.length < 4) throw new DataError(file, `truncated: ${buf.length} bytes, too short for an IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[3] !== ndims || !(buf[2] in IDX_TYPES)) {
    throw new DataError(file, `wrong magic number ${hex(magic)}, expected ${hex(expected)} (IDX ${kind})`);
  }
  if (buf[2] !== 0x08) {
    throw new DataError(file, `unsupported IDX data type 0x${buf[2].toString(16).padStart(2, '0')} (${IDX_TYPES[buf[2]]}); only unsigned bytes (0x08) are supported`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) throw new DataError(file, `truncated: ${buf.length} bytes, the IDX header needs ${headerBytes}`);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  if (kind === 'images' && (dims[1] === 0 || dims[2] === 0)) {
    throw new DataError(file, `invalid image size ${dims[2]}x${dims[1]} in the IDX header`);
  }
  const what = kind === 'images' ? `${dims[0]} images of ${dims[2]}x${dims[1]}` : `${dims[0]} labels`;
  const need = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (buf.length < need) throw new DataError(file, `truncated: the header declares ${what} (${need} bytes) but the file has ${buf.length} bytes`);
  if (buf.length > need) throw new DataError(file, `${buf.length - need} unexpected bytes after the ${what} the header declares`);
  return { dims, data: buf.subarray(headerBytes) };
}

interface IdxPair {
  images: string;
  labels: string;
}

const PATTERN = /^(train|t10k)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$/;

async function findPairs(dir: string): Promise<{ train?: IdxPair; test?: IdxPair }> {
  const found: Record<string, string> = {};
  for (const name of await listDir(dir)) {
    const m = PATTERN.exec(name);
    if (!m) continue;
    if ((m[2] === 'images') !== (m[3] === '3')) continue;
    const key = `${m[1]}-${m[2]}`;
    // Prefer the raw file over the .gz when both are there: same data, no inflate.
    if (!found[key] || !m[4]) found[key] = join(dir, name);
  }
  const pair = (split: 'train' | 't10k'): IdxPair | undefined => {
    const images = found[`${split}-images`];
    const labels = found[`${split}-labels`];
    if (!images && !labels) return undefined;
    if (!images) throw new DataError(labels, `no matching ${split}-images-idx3-ubyte[.gz] next to it`);
    if (!labels) throw new DataError(images, `no matching ${split}-labels-idx1-ubyte[.gz] next to it`);
    return { images, labels };
  };
  return { train: pair('train'), test: pair('t10k') };
}

async function readPair(pair: IdxPair): Promise<{ images: IdxArray; labels: IdxArray }> {
  const [ib, lb] = await Promise.all([readMaybeGzip(pair.images), readMaybeGzip(pair.labels)]);
  const images = parseIdx(ib, pair.images, 'images');
  const labels = parseIdx(lb, pair.labels, 'labels');
  if (images.dims[0] !== labels.dims[0]) {
    throw new DataError(pair.labels, `${labels.dims[0]} labels for ${images.dims[0]} images in ${basename(pair.images)}`);
  }
  return { images, labels };
}

export async function loadIdx(path: string): Promise<RawSource> {
  let train: IdxPair | undefined;
  let test: IdxPair | undefined;
  if (await isDirectory(path)) {
    ({ train, test } = await findPairs(path));
    if (!train) {
      throw new DataError(path, test
        ? 'only test files (t10k-*) found; train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] are needed'
        : 'no IDX files found (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])');
    }
  } else {
    // idx:FILE names an images file; its labels file sits beside it under the matching name.
    const name = basename(path);
    if (!/images/.test(name) || !/idx3/.test(name)) {
      throw new DataError(path, "an idx: file must be an images file (…images…idx3…); its labels file is found next to it");
    }
    const labels = join(dirname(path), name.replace('images', 'labels').replace('idx3', 'idx1'));
    train = { images: path, labels };
  }
  const tr = await readPair(train);
  const te = test ? await readPair(test) : null;
  const [, rows, cols] = tr.images.dims;
  if (te && (te.images.dims[1] !== rows || te.images.dims[2] !== cols)) {
    throw new DataError(test!.images, `images are ${te.images.dims[2]}x${te.images.dims[1]} but the train images are ${cols}x${rows}`);
  }
  const fashion = /fashion/i.test(path);
  let maxLabel = 0;
  for (const [set, pair] of [[tr, train], [te, test]] as const) {
    if (!set) continue;
    const l = set.labels.data;
    for (let i = 0; i < l.length; i++) {
      if (fashion && l[i] > 9) throw new DataError(pair!.labels, `label ${l[i]} at index ${i} is out of range for Fashion-MNIST's 10 classes`);
      if (l[i] > maxLabel) maxLabel = l[i];
    }
  }
  const classNames = fashion ? FASHION_MNIST_CLASSES.slice() : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const toRaw = (s: { images: IdxArray; labels: IdxArray }): RawImages => ({
    pixels: s.images.data,
    n: s.images.dims[0],
    shape: [1, rows, cols],
    labels: Int32Array.from(s.labels.data),
    white: 255,
  });
  return {
    classNames,
    split: te ? { train: toRaw(tr), test: toRaw(te) } : { pool: toRaw(tr) },
    describe: `${fashion ? 'Fashion-MNIST ' : ''}IDX${te ? '' : ' (no test files, split by seed)'}, ${cols}x${rows} grayscale uint8`,
    valueMapping: 'uint8/255',
    notes: [],
  };
}
