/**
 * folder:DIR — one sub-folder per class (sorted by name), each holding PNG or JPEG images. Hidden
 * entries and files at the top level are skipped. Images are decoded (pngjs, jpeg-js), brought to the
 * target shape as they are read — `shape` when given (a preset's), else the first image's size and
 * channels — and the conversion is stated. A file that is not a decodable PNG/JPEG, or an empty class
 * folder, is an error: silently dropping data would change what a run learned from.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { conversionNotes, makeImageConverter } from './convert';
import { DataError, ioError } from './dataError';
import { isDirectory, readBytes } from './fileRead';
import { jpegSize, limitText, maxImagePixels, MAX_PIXELS_ENV, pngSize } from './imageLimits';
import type { RawSource } from './rawSource';
import { channelWord } from './rawSource';

interface Decoded {
  shape: [number, number, number]; // [C, H, W], C 1 when every pixel is gray
  pixels: Uint8Array; // channel-first, alpha already composited
  alpha: boolean;
}

const isHidden = (name: string) => name.startsWith('.');

/**
 * Decodes a PNG or JPEG by its signature; `label` names the file in errors. The size the header declares is checked
 * against `maxPixels` (main/data/imageLimits.ts) before anything is decoded.
 */
export function decodeImage(buf: Uint8Array, file: string, label: string, maxPixels: number = maxImagePixels()): Decoded {
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  const isPng = buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  const declared = isPng ? pngSize(buf) : isJpeg ? jpegSize(buf) : null;
  if (declared && declared.width * declared.height > maxPixels) {
    throw new DataError(
      file,
      `the ${isPng ? 'PNG' : 'JPEG'} header declares ${declared.width}x${declared.height} pixels, more than the decoding limit of ${limitText(maxPixels)}; ` +
        `if the image is genuine, raise the limit with ${MAX_PIXELS_ENV}=<pixels>`,
      label,
    );
  }
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      ({ width, height } = png);
      rgba = png.data;
    } else if (isJpeg) {
      // jpeg-js's own bounds as a second line, for a header the scan above could not read
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024, maxResolutionInMP: Math.max(1, Math.ceil(maxPixels / 1e6)) });
      ({ width, height } = img);
      rgba = img.data;
    } else {
      throw new DataError(file, 'not a PNG or JPEG image', label);
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    let why = String((err as Error).message ?? err).trim();
    // pngjs reports a short file as pending stream reads; say what it means.
    if (/read requests waitng|unexpected end/i.test(why)) why = 'the file ends early';
    // Node's buffer allocator says "size out of range" (or similar) for a size it cannot allocate
    else if (err instanceof RangeError || /out of range|out of memory|maxResolutionInMP|maxMemoryUsage/i.test(why)) why = 'too large to decode';
    // a decoder tripping over its own state ("Cannot set properties of undefined …") means the data is corrupt
    else if (err instanceof TypeError || /undefined|null|is not a function|NaN/.test(why)) why = 'corrupt or malformed data';
    throw new DataError(file, `unreadable ${isPng ? 'PNG' : 'JPEG'} image (${why})`, label);
  }
  if (width === 0 || height === 0) throw new DataError(file, `empty ${width}x${height} image`, label);
  const plane = width * height;
  let gray = true;
  let alpha = false;
  for (let p = 0; p < plane; p++) {
    const r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
    if (r !== g || g !== b) gray = false;
    if (rgba[4 * p + 3] !== 255) alpha = true;
  }
  const c = gray ? 1 : 3;
  const pixels = new Uint8Array(c * plane);
  for (let p = 0; p < plane; p++) {
    const a = rgba[4 * p + 3];
    for (let ch = 0; ch < c; ch++) {
      const v = rgba[4 * p + ch];
      // Transparent pixels become black: the background of MNIST-style data.
      pixels[ch * plane + p] = a === 255 ? v : Math.round((v * a) / 255);
    }
  }
  return { shape: [c, height, width], pixels, alpha };
}

async function listVisible(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !isHidden(n)).sort();
  } catch (err) {
    throw ioError(dir, err);
  }
}

export async function loadImageFolder(dir: string, shape?: [number, number, number], maxPixels: number = maxImagePixels()): Promise<RawSource> {
  if (!(await isDirectory(dir))) throw new DataError(dir, 'folder: expects a folder with one sub-folder of images per class');
  const classNames: string[] = [];
  for (const name of await listVisible(dir)) {
    const s = await stat(join(dir, name)).catch((err) => {
      throw ioError(join(dir, name), err);
    });
    if (s.isDirectory()) classNames.push(name);
  }
  if (classNames.length === 0) throw new DataError(dir, 'no class sub-folders (expected one folder of PNG/JPEG images per class)');

  let target = shape;
  const pieces: Float32Array[] = [];
  const labels: number[] = [];
  const sourceShapes = new Map<string, number>();
  const notes = new Set<string>();
  let withAlpha = 0;
  const converters = new Map<string, (src: ArrayLike<number>, out: Float32Array) => void>();
  for (let k = 0; k < classNames.length; k++) {
    const classDir = join(dir, classNames[k]);
    const files = await listVisible(classDir);
    if (files.length === 0) throw new DataError(classDir, 'empty class folder (no PNG or JPEG images)', `${classDir}/`);
    for (const f of files) {
      const file = join(classDir, f);
      const label = file; // the path as the person wrote the dataset's, so one of several datasets is named
      const st = await stat(file).catch((err) => {
        throw ioError(file, err, label);
      });
      if (st.isDirectory()) throw new DataError(file, 'unexpected sub-folder inside a class folder', `${label}/`);
      const img = decodeImage(await readBytes(file), file, label, maxPixels);
      target ??= img.shape;
      const key = img.shape.join('x');
      sourceShapes.set(key, (sourceShapes.get(key) ?? 0) + 1);
      if (img.alpha) withAlpha++;
      let convert = converters.get(key);
      if (!convert) {
        convert = makeImageConverter(img.shape, target, file);
        converters.set(key, convert);
        for (const n of conversionNotes(img.shape, target)) notes.add(n);
      }
      const out = new Float32Array(target[0] * target[1] * target[2]);
      convert(img.pixels, out);
      pieces.push(out);
      labels.push(k);
    }
  }
  const sz = target![0] * target![1] * target![2];
  const pixels = new Float32Array(pieces.length * sz);
  pieces.forEach((p, i) => pixels.set(p, i * sz));
  const shapes = [...sourceShapes.keys()].map((k) => k.split('x').map(Number));
  const sizes = [...new Set(shapes.map((s) => `${s[2]}x${s[1]}`))];
  const colours = [...new Set(shapes.map((s) => channelWord(s[0])))].sort().join(' and ');
  const sizeText = sizes.length === 1 ? sizes[0] : `${sizes.length} sizes (${sizes.slice(0, 3).join(', ')}${sizes.length > 3 ? ', …' : ''})`;
  const noteList = [...notes];
  return {
    classNames,
    split: { pool: { pixels, n: pieces.length, shape: target!, labels: Int32Array.from(labels), white: 255 } },
    describe: `PNG/JPEG folder, ${sizeText} ${colours} uint8`,
    valueMapping: 'uint8/255',
    notes: [
      ...(noteList.length > 4 ? [...noteList.slice(0, 3), `and ${noteList.length - 3} more conversions`] : noteList),
      ...(withAlpha > 0 ? [`alpha composited on black (${withAlpha} images)`] : []),
    ],
  };
}
