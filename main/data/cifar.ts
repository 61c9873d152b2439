/**
 * CIFAR-10 / CIFAR-100 binary version (www.cs.toronto.edu/~kriz/cifar.html). A record is the label
 * byte(s) then 3072 pixel bytes: the red plane (32x32, row-major), then green, then blue — already
 * channel-first. CIFAR-10: 1 label byte, data_batch_1..5.bin + test_batch.bin, names in batches.meta.txt.
 * CIFAR-100: 2 label bytes (coarse, fine; the fine label is used), train.bin + test.bin, names in
 * fine_label_names.txt.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './dataError';
import { isDirectory, listDir, readBytes } from './fileRead';
import type { RawImages, RawSource } from './rawSource';

const PIXELS = 3 * 32 * 32;

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

interface Layout {
  name: 'CIFAR-10' | 'CIFAR-100';
  labelBytes: number;
  labelIndex: number; // which label byte is the class
  classes: number;
  train: string[];
  test: string;
  namesFile: string;
}

const CIFAR10: Layout = {
  name: 'CIFAR-10', labelBytes: 1, labelIndex: 0, classes: 10,
  train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: 'test_batch.bin', namesFile: 'batches.meta.txt',
};
const CIFAR100: Layout = {
  name: 'CIFAR-100', labelBytes: 2, labelIndex: 1, classes: 100,
  train: ['train.bin'], test: 'test.bin', namesFile: 'fine_label_names.txt',
};

/** Finds the layout in DIR or in the folder the official archive unpacks to. */
async function locate(dir: string): Promise<{ dir: string; layout: Layout }> {
  if (!(await isDirectory(dir))) throw new DataError(dir, 'cifar: expects a folder of CIFAR binary batches');
  for (const d of [dir, join(dir, 'cifar-10-batches-bin'), join(dir, 'cifar-100-binary')]) {
    let names: string[];
    try {
      names = await listDir(d);
    } catch {
      continue;
    }
    if (names.some((n) => n.startsWith('data_batch_') || n === 'test_batch.bin')) return { dir: d, layout: CIFAR10 };
    if (names.includes('train.bin') || names.includes('test.bin')) return { dir: d, layout: CIFAR100 };
  }
  throw new DataError(dir, 'no CIFAR binary batches found (expected data_batch_1..5.bin and test_batch.bin, or train.bin and test.bin)');
}

function parseBatch(buf: Uint8Array, file: string, layout: Layout): RawImages {
  const rec = layout.labelBytes + PIXELS;
  if (buf.length === 0) throw new DataError(file, 'empty file');
  if (buf.length % rec !== 0) {
    throw new DataError(file, `size ${buf.length} bytes is not a multiple of the ${rec}-byte ${layout.name} record (${layout.labelBytes} label byte${layout.labelBytes > 1 ? 's' : ''} + ${PIXELS} pixels); the file is truncated or not ${layout.name}`);
  }
  const n = buf.length / rec;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = buf[i * rec + layout.labelIndex];
    if (label >= layout.classes) throw new DataError(file, `label ${label} of record ${i} is out of range for ${layout.name}'s ${layout.classes} classes`);
    labels[i] = label;
    pixels.set(buf.subarray(i * rec + layout.labelBytes, (i + 1) * rec), i * PIXELS);
  }
  return { pixels, n, shape: [3, 32, 32], labels, white: 255 };
}

function concat(parts: RawImages[]): RawImages {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels, at * PIXELS);
    labels.set(p.labels, at);
    at += p.n;
  }
  return { pixels, n, shape: [3, 32, 32], labels, white: 255 };
}

async function classNames(dir: string, layout: Layout): Promise<string[]> {
  const file = join(dir, layout.namesFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return layout === CIFAR10 ? CIFAR10_CLASSES.slice() : Array.from({ length: layout.classes }, (_, i) => String(i));
  }
  const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  if (names.length !== layout.classes) throw new DataError(file, `${names.length} class names, expected ${layout.classes}`);
  return names;
}

export async function loadCifar(path: string): Promise<RawSource> {
  const { dir, layout } = await locate(path);
  const read = async (name: string) => parseBatch(await readBytes(join(dir, name)), join(dir, name), layout);
  const train = concat(await Promise.all(layout.train.map(read)));
  const test = await read(layout.test);
  return {
    classNames: await classNames(dir, layout),
    split: { train, test },
    describe: `${layout.name} binary, 32x32 RGB uint8`,
    valueMapping: 'uint8/255',
    notes: [],
  };
}
