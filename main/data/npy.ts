/**
 * NumPy arrays (numpy.org/doc/stable/reference/generated/numpy.lib.format.html): magic "\x93NUMPY",
 * version, a little-endian header length (uint16 in v1, uint32 in v2/v3), a Python dict literal
 * {'descr', 'fortran_order', 'shape'}, then the raw C-order data. An NPZ is a zip of such files.
 * npy:FILE.npz holds `images` and `labels`; npy:DIR holds images.npy and labels.npy; npy:X.npy names the
 * images file and finds labels.npy (or the name with images→labels) beside it.
 */
import { basename, dirname, join } from 'node:path';
import AdmZip from 'adm-zip';
import { DataError } from './dataError';
import { isDirectory, readBytes } from './fileRead';
import type { RawImages, RawSource } from './rawSource';
import { channelWord, compactLabels } from './rawSource';

export type NpyDtype = 'uint8' | 'int32' | 'int64' | 'float32' | 'float64';

const DTYPES: Record<string, { dtype: NpyDtype; size: number }> = {
  '|u1': { dtype: 'uint8', size: 1 },
  '<u1': { dtype: 'uint8', size: 1 },
  '<i4': { dtype: 'int32', size: 4 },
  '<i8': { dtype: 'int64', size: 8 },
  '<f4': { dtype: 'float32', size: 4 },
  '<f8': { dtype: 'float64', size: 8 },
};

export interface NpyArray {
  dtype: NpyDtype;
  descr: string;
  shape: number[];
  data: Uint8Array | Int32Array | Float32Array | Float64Array | BigInt64Array;
}

/** `file` goes into DataError.file; `label` starts the message (e.g. "data.npz (images.npy)"). */
export function parseNpy(buf: Uint8Array, file: string, label: string = file): NpyArray {
  const fail = (problem: string) => new DataError(file, problem, label);
  const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) throw fail('not an NPY file (no \\x93NUMPY magic)');
  const major = buf[6];
  if (major < 1 || major > 3) throw fail(`unsupported NPY format version ${major}.${buf[7]}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start) throw fail('truncated NPY header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (buf.length < start + headerLen) throw fail(`truncated: the header needs ${start + headerLen} bytes, the file has ${buf.length}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const descrM = /'descr'\s*:\s*('([^']*)'|\[)/.exec(header);
  const fortranM = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrM || !fortranM || !shapeM) throw fail(`malformed NPY header ${JSON.stringify(header.trim())}`);
  if (descrM[2] === undefined) throw fail('structured arrays are not supported; save a plain numeric array');
  const descr = descrM[2];
  if (descr.startsWith('>')) throw fail(`big-endian dtype '${descr}' is not supported; save with arr.astype('<${descr.slice(1)}')`);
  if (descr.endsWith('O')) throw fail(`object arrays are not supported (dtype '${descr}'); save a numeric array`);
  const dt = DTYPES[descr];
  if (!dt) throw fail(`unsupported dtype '${descr}' (supported: uint8, int32, int64, float32, float64)`);
  if (fortranM[1] === 'True') throw fail('fortran_order arrays are not supported; save np.ascontiguousarray(arr)');
  const dims = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = dims.map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail(`malformed shape (${shapeM[1]}) in the NPY header`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const need = count * dt.size;
  const have = buf.length - offset;
  if (have < need) {
    throw fail(`truncated: the header declares shape (${shape.join(', ')}) of '${descr}' (${need} bytes of data) but only ${have} bytes follow`);
  }
  if (have > need) throw fail(`${have - need} unexpected bytes after the data of shape (${shape.join(', ')})`);
  // Copy into a fresh buffer: the data offset need not be aligned for typed-array views.
  const copy = new Uint8Array(need);
  copy.set(buf.subarray(offset, offset + need));
  const bytes = copy.buffer;
  const data =
    dt.dtype === 'uint8' ? new Uint8Array(bytes)
    : dt.dtype === 'int32' ? new Int32Array(bytes)
    : dt.dtype === 'int64' ? new BigInt64Array(bytes)
    : dt.dtype === 'float32' ? new Float32Array(bytes)
    : new Float64Array(bytes);
  return { dtype: dt.dtype, descr, shape, data };
}

const shapeText = (s: number[]) => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

/** Turns an images array into channel-first RawImages pixels; checks shape, dtype and values. */
export function imagesFromNpy(a: NpyArray, file: string, label: string): Omit<RawImages, 'labels'> & { valueMapping: string } {
  const fail = (problem: string) => new DataError(file, problem, label);
  let n: number, c: number, h: number, w: number;
  let channelsLast = false;
  const s = a.shape;
  // (N, C, H, W) wins when both readings fit (e.g. (N, 3, 5, 3)): PyTorch's order, which the lab uses.
  if (s.length === 3) [n, h, w, c] = [s[0], s[1], s[2], 1];
  else if (s.length === 4 && (s[1] === 1 || s[1] === 3)) [n, c, h, w] = s;
  else if (s.length === 4 && (s[3] === 1 || s[3] === 3)) {
    [n, h, w, c] = s;
    channelsLast = true;
  } else {
    throw fail(`unsupported images shape ${shapeText(s)}; expected (N, H, W), (N, C, H, W) or (N, H, W, C) with C 1 or 3`);
  }
  if (n === 0 || h === 0 || w === 0) throw fail(`images array ${shapeText(s)} is empty`);
  if (a.dtype !== 'uint8' && a.dtype !== 'float32' && a.dtype !== 'float64') {
    throw fail(`unsupported dtype '${a.descr}' for images (uint8, float32 or float64)`);
  }
  let white = 255;
  let valueMapping = 'uint8/255';
  let src = a.data as Uint8Array | Float32Array | Float64Array;
  if (a.dtype !== 'uint8') {
    let min = Infinity;
    let max = -Infinity;
    const plane = c * h * w;
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (!Number.isFinite(v)) throw fail(`contains ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'} at image ${Math.floor(i / plane)} (flat index ${i})`);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // The PyTorch reference's rule: float images whose maximum exceeds 1.5 are on the 0..255 scale.
    white = max > 1.5 ? 255 : 1;
    // Negative values within [-1, 1] are PyTorch's Normalize(0.5, 0.5) convention: already the lab's own range.
    const signed = white === 1 && min < 0 && min >= -1;
    if ((min < 0 && !signed) || max > white) {
      throw fail(`float images range from ${min} to ${max}; expected 0..1, 0..255 or -1..1 (the loader maps them to [-1, 1])`);
    }
    valueMapping = white === 255 ? `${a.dtype}/255` : signed ? `${a.dtype} in [-1, 1], (v+1)/2` : a.dtype;
    if (signed) {
      // to [0, 1], which the common mapping v*2-1 takes back to the values as given (up to float32 rounding)
      const t = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) t[i] = (src[i] + 1) / 2;
      src = t;
    } else if (a.dtype === 'float64') src = Float32Array.from(src);
  }
  let pixels: Uint8Array | Float32Array = src as Uint8Array | Float32Array;
  if (channelsLast && c > 1) {
    // (N, H, W, C) → (N, C, H, W)
    const t = src instanceof Uint8Array ? new Uint8Array(src.length) : new Float32Array(src.length);
    const plane = h * w;
    for (let i = 0; i < n; i++) {
      const base = i * c * plane;
      for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) t[base + ch * plane + p] = src[base + p * c + ch];
    }
    pixels = t;
  }
  return { pixels, n, shape: [c, h, w], white, valueMapping };
}

export function labelsFromNpy(a: NpyArray, file: string, label: string, nImages: number): number[] {
  const fail = (problem: string) => new DataError(file, problem, label);
  if (a.dtype !== 'uint8' && a.dtype !== 'int32' && a.dtype !== 'int64') throw fail(`labels must be integers, got dtype '${a.descr}'`);
  if (a.shape.length !== 1) throw fail(`labels must have shape (N,), got ${shapeText(a.shape)}`);
  if (a.shape[0] !== nImages) throw fail(`${a.shape[0]} labels for ${nImages} images`);
  const out = new Array<number>(nImages);
  for (let i = 0; i < nImages; i++) {
    const v = Number(a.data[i]);
    if (v < 0 || v > 0x7fffffff) throw fail(`label ${v} at index ${i} is not a class index (0 or more)`);
    out[i] = v;
  }
  return out;
}

async function readNpz(file: string): Promise<{ images: { a: NpyArray; label: string }; labels: { a: NpyArray; label: string } }> {
  const buf = await readBytes(file);
  let zip: AdmZip;
  let names: string[];
  try {
    zip = new AdmZip(buf);
    names = zip.getEntries().map((e) => e.entryName);
  } catch (err) {
    throw new DataError(file, `not a valid NPZ (zip) archive (${String((err as Error).message ?? err).replace(/^ADM-ZIP: /, '')})`);
  }
  const get = (key: string) => {
    const entry = zip.getEntry(`${key}.npy`);
    if (!entry) {
      const arrays = names.map((n) => n.replace(/\.npy$/, '')).join(', ') || 'none';
      throw new DataError(file, `no array named '${key}' (arrays: ${arrays})`);
    }
    let data: Buffer;
    try {
      data = entry.getData();
    } catch (err) {
      throw new DataError(file, `cannot extract ${key}.npy (${String((err as Error).message ?? err)})`);
    }
    const label = `${file} (${key}.npy)`;
    return { a: parseNpy(data, file, label), label };
  };
  return { images: get('images'), labels: get('labels') };
}

export async function loadNpy(path: string): Promise<RawSource> {
  let images: { a: NpyArray; label: string; file: string };
  let labels: { a: NpyArray; label: string; file: string };
  if (path.toLowerCase().endsWith('.npz')) {
    const z = await readNpz(path);
    images = { ...z.images, file: path };
    labels = { ...z.labels, file: path };
  } else {
    let imagesFile: string;
    let labelsFile: string;
    if (await isDirectory(path)) {
      imagesFile = join(path, 'images.npy');
      labelsFile = join(path, 'labels.npy');
    } else if (path.toLowerCase().endsWith('.npy')) {
      imagesFile = path;
      const name = basename(path);
      labelsFile = join(dirname(path), name.includes('images') ? name.replace('images', 'labels') : 'labels.npy');
    } else {
      throw new DataError(path, 'npy: expects an .npz file, an images .npy file or a folder with images.npy and labels.npy');
    }
    // the images file first: a file that is not an array says so, instead of a missing labels.npy beside it
    images = { a: parseNpy(await readBytes(imagesFile), imagesFile), label: imagesFile, file: imagesFile };
    labels = { a: parseNpy(await readBytes(labelsFile), labelsFile), label: labelsFile, file: labelsFile };
  }
  const img = imagesFromNpy(images.a, images.file, images.label);
  const raw = labelsFromNpy(labels.a, labels.file, labels.label, img.n);
  const { labels: y, values } = compactLabels(raw);
  return {
    classNames: values.map(String),
    split: { pool: { pixels: img.pixels, n: img.n, shape: img.shape, labels: y, white: img.white } },
    describe: `NPY ${img.shape[2]}x${img.shape[1]} ${channelWord(img.shape[0])} ${images.a.dtype}`,
    valueMapping: img.valueMapping,
    notes: [],
  };
}
