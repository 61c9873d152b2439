/** Writers for small dataset files, so that every test makes its own good and corrupt inputs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import AdmZip from 'adm-zip';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'crate-data-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

/** IDX bytes: magic 0x0000 <type> <ndims>, dims, data. */
export function idxBytes(dims: number[], data: Uint8Array, type = 0x08): Buffer {
  return Buffer.concat([Buffer.from([0, 0, type, dims.length]), ...dims.map(u32be), Buffer.from(data)]);
}

export function idxImages(n: number, h: number, w: number, pixel: (i: number, p: number) => number): Buffer {
  const data = new Uint8Array(n * h * w);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) data[i * h * w + p] = pixel(i, p);
  return idxBytes([n, h, w], data);
}

export function idxLabels(labels: number[]): Buffer {
  return idxBytes([labels.length], Uint8Array.from(labels));
}

export const gz = (b: Buffer) => gzipSync(b);

/** CIFAR records: label byte(s) then 3072 channel-first pixels. */
export function cifarBytes(labels: number[][], pixel: (i: number, p: number) => number): Buffer {
  const parts: Buffer[] = [];
  labels.forEach((l, i) => {
    const px = Buffer.alloc(3072);
    for (let p = 0; p < 3072; p++) px[p] = pixel(i, p);
    parts.push(Buffer.from(l), px);
  });
  return Buffer.concat(parts);
}

/** An NPY v1 (or v2) file, header padded so the data starts at a multiple of 64. */
export function npyBytes(
  descr: string,
  shape: number[],
  data: ArrayBufferView,
  opts: { fortran?: boolean; version?: 1 | 2 } = {},
): Buffer {
  const version = opts.version ?? 1;
  const shapeText = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header.padEnd(total - pre - 1, ' ') + '\n';
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) len.writeUInt16LE(header.length);
  else len.writeUInt32LE(header.length);
  return Buffer.concat([
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]),
    len,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

export function npzBytes(arrays: Record<string, Buffer>, compress = true): Buffer {
  const zip = new AdmZip();
  for (const [name, buf] of Object.entries(arrays)) {
    const e = zip.addFile(`${name}.npy`, buf);
    if (!compress) e.header.method = 0;
  }
  return zip.toBuffer();
}

/** RGBA pixels from a function of (x, y) → [r, g, b, a]. */
export function pngBytes(w: number, h: number, px: (x: number, y: number) => [number, number, number, number?]): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b, a = 255] = px(x, y);
      png.data.set([r, g, b, a], 4 * (y * w + x));
    }
  }
  return PNG.sync.write(png);
}

export function jpegBytes(w: number, h: number, px: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...px(x, y), 255], 4 * (y * w + x));
  return jpeg.encode({ width: w, height: h, data }, 100).data;
}
