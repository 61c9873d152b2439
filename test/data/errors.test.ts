/**
 * Bad input → one exact, readable error per case (STYLE rule 23: regression cases are data). Each case
 * builds its files in its own folder; `file` is the path DataError.file must name, relative to it.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, loadDataset } from '../../main/data/dataset';
import { cifarBytes, gz, idxBytes, idxImages, idxLabels, makeTempDir, npyBytes, npzBytes, pngBytes } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

type Files = Record<string, Buffer | string | null>; // null: a folder
interface Case {
  name: string;
  files: Files;
  spec: (dir: string) => string;
  message: string;
  file: string; // relative to the case folder; '' for the folder itself
  opts?: Parameters<typeof loadDataset>[1];
}

const img = (n: number) => idxImages(n, 2, 2, (i, p) => i + p);
const goodIdx = (): Files => ({
  'train-images-idx3-ubyte': img(3),
  'train-labels-idx1-ubyte': idxLabels([0, 1, 0]),
});
const cifar10 = (): Files => {
  const f: Files = {};
  for (let b = 1; b <= 5; b++) f[`data_batch_${b}.bin`] = cifarBytes([[1], [2]], () => 9);
  f['test_batch.bin'] = cifarBytes([[0]], () => 9);
  return f;
};
const omit = (f: Files, name: string): Files => Object.fromEntries(Object.entries(f).filter(([k]) => k !== name));
const cut = (b: Buffer, n: number) => b.subarray(0, b.length - n);
const u8 = (n: number) => new Uint8Array(n);
const npyPair = (images: Buffer, labels: Buffer = npyBytes('<i8', [2], BigInt64Array.of(0n, 1n))): Files => ({
  'images.npy': images,
  'labels.npy': labels,
});
const png = pngBytes(2, 2, () => [10, 10, 10]);
const folder = (extra: Files): Files => ({ cat: null, 'cat/a.png': png, dog: null, 'dog/b.png': png, ...extra });

const idx = (d: string) => `idx:${d}`;
const npy = (d: string) => `npy:${d}`;
const cifar = (d: string) => `cifar:${d}`;
const fold = (d: string) => `folder:${d}`;

const CASES: Case[] = [
  // --- IDX ---
  { name: 'idx wrong magic (zeros)', files: { ...goodIdx(), 'train-images-idx3-ubyte': Buffer.alloc(40) }, spec: idx,
    file: 'train-images-idx3-ubyte', message: 'CASE/train-images-idx3-ubyte: wrong magic number 0x00000000, expected 0x00000803 (IDX images)' },
  { name: 'idx labels file where images belong', files: { 'train-images-idx3-ubyte.gz': gz(idxLabels([1, 2])), 'train-labels-idx1-ubyte': idxLabels([0, 1]) },
    spec: idx, file: 'train-images-idx3-ubyte.gz', message: 'CASE/train-images-idx3-ubyte.gz: wrong magic number 0x00000801, expected 0x00000803 (IDX images)' },
  { name: 'idx unsupported data type', files: { ...goodIdx(), 'train-images-idx3-ubyte': idxBytes([3, 1, 1], u8(12), 0x0d) }, spec: idx,
    file: 'train-images-idx3-ubyte', message: 'CASE/train-images-idx3-ubyte: unsupported IDX data type 0x0d (float32); only unsigned bytes (0x08) are supported' },
  { name: 'idx truncated images', files: { ...goodIdx(), 'train-images-idx3-ubyte': img(3).subarray(0, 16 + 10) }, spec: idx,
    file: 'train-images-idx3-ubyte', message: 'CASE/train-images-idx3-ubyte: truncated: the header declares 3 images of 2x2 (28 bytes) but the file has 26 bytes' },
  { name: 'idx trailing bytes', files: { ...goodIdx(), 'train-labels-idx1-ubyte': Buffer.concat([idxLabels([0, 1, 0]), Buffer.from([7])]) }, spec: idx,
    file: 'train-labels-idx1-ubyte', message: 'CASE/train-labels-idx1-ubyte: 1 unexpected bytes after the 3 labels the header declares' },
  { name: 'idx image/label count mismatch', files: { ...goodIdx(), 'train-labels-idx1-ubyte': idxLabels([0, 1]) }, spec: idx,
    file: 'train-labels-idx1-ubyte', message: 'CASE/train-labels-idx1-ubyte: 2 labels for 3 images in train-images-idx3-ubyte' },
  { name: 'idx .gz that is not gzip', files: { 'train-images-idx3-ubyte.gz': img(3), 'train-labels-idx1-ubyte': idxLabels([0, 1, 0]) }, spec: idx,
    file: 'train-images-idx3-ubyte.gz', message: 'CASE/train-images-idx3-ubyte.gz: not a gzip file (no gzip header), though its name ends in .gz' },
  { name: 'idx truncated gzip', files: { 'train-images-idx3-ubyte.gz': gz(img(3)).subarray(0, 20), 'train-labels-idx1-ubyte': idxLabels([0, 1, 0]) }, spec: idx,
    file: 'train-images-idx3-ubyte.gz', message: 'CASE/train-images-idx3-ubyte.gz: not a valid gzip file (unexpected end of file)' },
  { name: 'idx missing labels', files: { 'train-images-idx3-ubyte': img(3) }, spec: idx,
    file: 'train-images-idx3-ubyte', message: 'CASE/train-images-idx3-ubyte: no matching train-labels-idx1-ubyte[.gz] next to it' },
  { name: 'idx no files', files: { 'notes.txt': 'x' }, spec: idx, file: '',
    message: 'CASE: no IDX files found (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])' },
  { name: 'idx test images of another size', files: { ...goodIdx(), 't10k-images-idx3-ubyte': idxImages(1, 3, 3, () => 0), 't10k-labels-idx1-ubyte': idxLabels([0]) },
    spec: idx, file: 't10k-images-idx3-ubyte', message: 'CASE/t10k-images-idx3-ubyte: images are 3x3 but the train images are 2x2' },
  // --- CIFAR ---
  { name: 'cifar truncated batch', files: { ...cifar10(), 'data_batch_2.bin': cifarBytes([[1], [2]], () => 0).subarray(0, 6141) }, spec: cifar,
    file: 'data_batch_2.bin', message: 'CASE/data_batch_2.bin: size 6141 bytes is not a multiple of the 3073-byte CIFAR-10 record (1 label byte + 3072 pixels); the file is truncated or not CIFAR-10' },
  { name: 'cifar label out of range', files: { ...cifar10(), 'test_batch.bin': cifarBytes([[0], [12]], () => 0) }, spec: cifar,
    file: 'test_batch.bin', message: "CASE/test_batch.bin: label 12 of record 1 is out of range for CIFAR-10's 10 classes" },
  { name: 'cifar missing batch', files: omit(cifar10(), 'data_batch_3.bin'), spec: cifar,
    file: 'data_batch_3.bin', message: 'CASE/data_batch_3.bin: no such file or folder' },
  { name: 'cifar-100 not a multiple of 3074', files: { 'train.bin': cifarBytes([[0, 1]], () => 0).subarray(0, 3073), 'test.bin': cifarBytes([[0, 1]], () => 0) },
    spec: cifar, file: 'train.bin', message: 'CASE/train.bin: size 3073 bytes is not a multiple of the 3074-byte CIFAR-100 record (2 label bytes + 3072 pixels); the file is truncated or not CIFAR-100' },
  { name: 'cifar wrong number of class names', files: { ...cifar10(), 'batches.meta.txt': 'cat\ndog\n' }, spec: cifar,
    file: 'batches.meta.txt', message: 'CASE/batches.meta.txt: 2 class names, expected 10' },
  { name: 'cifar empty folder', files: {}, spec: cifar, file: '',
    message: 'CASE: no CIFAR binary batches found (expected data_batch_1..5.bin and test_batch.bin, or train.bin and test.bin)' },
  // --- image folders ---
  { name: 'folder empty class folder', files: folder({ emu: null }), spec: fold, file: 'emu',
    message: 'CASE/emu/: empty class folder (no PNG or JPEG images)' },
  { name: 'folder non-image file', files: folder({ 'cat/notes.txt': 'hello' }), spec: fold, file: 'cat/notes.txt',
    message: 'CASE/cat/notes.txt: not a PNG or JPEG image' },
  { name: 'folder truncated PNG', files: folder({ 'dog/c.png': png.subarray(0, 40) }), spec: fold, file: 'dog/c.png',
    message: 'CASE/dog/c.png: unreadable PNG image (the file ends early)' },
  { name: 'folder no class folders', files: { 'a.png': png }, spec: fold, file: '',
    message: 'CASE: no class sub-folders (expected one folder of PNG/JPEG images per class)' },
  { name: 'folder 2-channel target', files: folder({}), spec: fold, file: 'SPEC', opts: { shape: [2, 4, 4] as unknown as [number, number, number] },
    message: `folder:CASE: target shape [2, 4, 4] is not [C, H, W] with C 1 or 3 and positive integer H, W` },
  // --- NPY / NPZ ---
  { name: 'npy bad magic', files: npyPair(Buffer.from('not numpy at all')), spec: npy, file: 'images.npy',
    message: 'CASE/images.npy: not an NPY file (no \\x93NUMPY magic)' },
  { name: 'npy big-endian', files: npyPair(npyBytes('>f4', [2, 2, 2], new Float32Array(8))), spec: npy, file: 'images.npy',
    message: "CASE/images.npy: big-endian dtype '>f4' is not supported; save with arr.astype('<f4')" },
  { name: 'npy object array', files: npyPair(npyBytes('|O', [2], new Uint8Array(16))), spec: npy, file: 'images.npy',
    message: "CASE/images.npy: object arrays are not supported (dtype '|O'); save a numeric array" },
  { name: 'npy fortran order', files: npyPair(npyBytes('<f4', [2, 2, 2], new Float32Array(8), { fortran: true })), spec: npy, file: 'images.npy',
    message: 'CASE/images.npy: fortran_order arrays are not supported; save np.ascontiguousarray(arr)' },
  { name: 'npy unsupported dtype', files: npyPair(npyBytes('<f2', [2, 2, 2], new Uint16Array(8))), spec: npy, file: 'images.npy',
    message: "CASE/images.npy: unsupported dtype '<f2' (supported: uint8, int32, int64, float32, float64)" },
  { name: 'npy integer images', files: npyPair(npyBytes('<i4', [2, 2, 2], new Int32Array(8))), spec: npy, file: 'images.npy',
    message: "CASE/images.npy: unsupported dtype '<i4' for images (uint8, float32 or float64)" },
  { name: 'npy unsupported shape', files: npyPair(npyBytes('|u1', [2, 5, 5, 5], u8(250))), spec: npy, file: 'images.npy',
    message: 'CASE/images.npy: unsupported images shape (2, 5, 5, 5); expected (N, H, W), (N, C, H, W) or (N, H, W, C) with C 1 or 3' },
  { name: 'npy truncated data', files: npyPair(cut(npyBytes('|u1', [2, 3, 3], u8(18)), 8)), spec: npy, file: 'images.npy',
    message: "CASE/images.npy: truncated: the header declares shape (2, 3, 3) of '|u1' (18 bytes of data) but only 10 bytes follow" },
  { name: 'npy truncated header', files: npyPair(npyBytes('|u1', [2, 3, 3], u8(18)).subarray(0, 74)), spec: npy, file: 'images.npy',
    message: 'CASE/images.npy: truncated: the header needs 128 bytes, the file has 74' },
  { name: 'npy count mismatch', files: npyPair(npyBytes('|u1', [2, 2, 2], u8(8)), npyBytes('<i8', [3], BigInt64Array.of(0n, 1n, 1n))), spec: npy,
    file: 'labels.npy', message: 'CASE/labels.npy: 3 labels for 2 images' },
  { name: 'npy float labels', files: npyPair(npyBytes('|u1', [2, 2, 2], u8(8)), npyBytes('<f4', [2], Float32Array.of(0, 1))), spec: npy,
    file: 'labels.npy', message: "CASE/labels.npy: labels must be integers, got dtype '<f4'" },
  { name: 'npy negative label', files: npyPair(npyBytes('|u1', [2, 2, 2], u8(8)), npyBytes('<i4', [2], Int32Array.of(0, -1))), spec: npy,
    file: 'labels.npy', message: 'CASE/labels.npy: label -1 at index 1 is not a class index (0 or more)' },
  { name: 'npy NaN', files: npyPair(npyBytes('<f4', [2, 2, 2], Float32Array.of(0, 0, 0, 0, 0, 0, NaN, 0))), spec: npy, file: 'images.npy',
    message: 'CASE/images.npy: contains NaN at image 1 (flat index 6)' },
  { name: 'npy Inf', files: npyPair(npyBytes('<f8', [2, 2, 2], Float64Array.of(0, 0, -Infinity, 0, 0, 0, 0, 0))), spec: npy, file: 'images.npy',
    message: 'CASE/images.npy: contains -Inf at image 0 (flat index 2)' },
  { name: 'npy floats outside 0..1 / 0..255 / -1..1', files: npyPair(npyBytes('<f4', [2, 2, 2], Float32Array.of(-2, 1, 0, 0, 0, 0, 0, 0))), spec: npy,
    file: 'images.npy', message: 'CASE/images.npy: float images range from -2 to 1; expected 0..1, 0..255 or -1..1 (the loader maps them to [-1, 1])' },
  { name: 'npy: a file that is not an array, not the labels beside it', files: { 'garbage.npy': 'not numpy at all' }, spec: (d) => npy(join(d, 'garbage.npy')),
    file: 'garbage.npy', message: 'CASE/garbage.npy: not an NPY file (no \\x93NUMPY magic)' },
  { name: 'npy missing labels.npy', files: { 'images.npy': npyBytes('|u1', [2, 2, 2], u8(8)) }, spec: npy, file: 'labels.npy',
    message: 'CASE/labels.npy: no such file or folder' },
  { name: 'npz not a zip', files: { 'data.npz': 'PK but not really' }, spec: (d) => npy(join(d, 'data.npz')), file: 'data.npz',
    message: 'CASE/data.npz: not a valid NPZ (zip) archive (Invalid or unsupported zip format. No END header found)' },
  { name: 'npz without labels', files: { 'data.npz': npzBytes({ images: npyBytes('|u1', [1, 1, 1], u8(1)), y: npyBytes('|u1', [1], u8(1)) }) },
    spec: (d) => npy(join(d, 'data.npz')), file: 'data.npz', message: "CASE/data.npz: no array named 'labels' (arrays: images, y)" },
  { name: 'npz inner NaN', files: { 'data.npz': npzBytes({ images: npyBytes('<f4', [1, 1, 2], Float32Array.of(0, NaN)), labels: npyBytes('|u1', [1], u8(1)) }) },
    spec: (d) => npy(join(d, 'data.npz')), file: 'data.npz', message: 'CASE/data.npz (images.npy): contains NaN at image 0 (flat index 1)' },
  // --- specs ---
  { name: 'unknown scheme', files: {}, spec: () => 'foo:bar', file: 'foo:bar',
    message: "'foo:bar': unknown dataset spec; expected builtin:digits, idx:DIR, cifar:DIR, folder:DIR or npy:FILE" },
  { name: 'unknown built-in', files: {}, spec: () => 'builtin:letters', file: 'builtin:letters',
    message: "builtin:letters: unknown built-in dataset 'letters'; the built-in one is builtin:digits" },
  { name: 'missing folder', files: {}, spec: (d) => idx(join(d, 'nope')), file: 'nope', message: 'CASE/nope: no such file or folder' },
  { name: 'bad maxPerClass', files: {}, spec: () => 'builtin:digits', file: 'builtin:digits', opts: { maxPerClass: 0 },
    message: 'builtin:digits: maxPerClass 0 is not a positive integer' },
];

function writeFiles(dir: string, files: Files) {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (content === null) mkdirSync(join(dir, name), { recursive: true });
  }
  for (const [name, content] of Object.entries(files)) {
    if (content !== null) writeFileSync(join(dir, name), content);
  }
}

/** Every file and folder with its size and mtime: loaders must leave it unchanged. */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((n) => {
      const s = statSync(join(dir, n));
      return `${n}:${s.size}:${s.mtimeMs}`;
    })
    .join('\n');
}

describe('loader errors', () => {
  let k = 0;
  it.each(CASES)('$name', async (c) => {
    const dir = join(tmp.dir, `case${k++}`, 'CASE');
    writeFiles(dir, c.files);
    const before = snapshot(dir);
    const spec = c.spec(dir);
    const err = await loadDataset(spec, c.opts).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    const de = err as DataError;
    // every message starts with the path as the spec gave it (CASE stands for the case's folder)
    expect(de.message).toBe(c.message.replace('folder:CASE', spec).replace(/^CASE/, dir));
    const wantFile = c.file === '' ? dir : c.file === 'SPEC' ? spec : c.file.includes(':') ? c.file : join(dir, c.file);
    expect(de.file).toBe(wantFile);
    expect(de.message).not.toMatch(/\n\s+at /); // no stack in the message
    expect(snapshot(dir)).toBe(before);
  });
});
