// Bounded decoding and the smaller data rules: a PNG or JPEG whose header declares more pixels than the limit is
// refused before a pixel is decoded (naming the file, exit 2 from `data inspect`), the limit is configurable; float
// images in [-1, 1] are taken as they are; a file inside a dataset is named by the path as the spec gave it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runDataInspect } from '../../main/cli/data';
import { DataError, loadDataset } from '../../main/data/dataset';
import { decodeImage } from '../../main/data/imageFolder';
import { DEFAULT_MAX_IMAGE_PIXELS, jpegSize, MAX_PIXELS_ENV, pngSize } from '../../main/data/imageLimits';
import { jpegBytes, makeTempDir, npyBytes, pngBytes } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);
afterEach(() => {
  delete process.env[MAX_PIXELS_ENV];
});

/** A real PNG stream that declares w×h gray pixels: a few rows of zeros deflated, far too short for its size. */
function pngBomb(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]); // CRC not checked before the size
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit gray
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(Math.min(w + 1, 1 << 20) * 64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose baseline frame header declares w×h (no scan follows). */
function jpegBomb(w: number, h: number): Buffer {
  return Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0, 0xff, 0xd9]);
}

function folderWith(name: string, bomb: Buffer, ext: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(join(dir, 'a'), { recursive: true });
  mkdirSync(join(dir, 'b'), { recursive: true });
  writeFileSync(join(dir, 'a', `ok.${ext}`), ext === 'png' ? pngBytes(4, 4, () => [9, 9, 9]) : jpegBytes(8, 8, () => [9, 9, 9]));
  writeFileSync(join(dir, 'b', `bomb.${ext}`), bomb);
  return dir;
}

describe('bounded image decoding', () => {
  it('reads the declared size from PNG and JPEG headers', () => {
    expect(pngSize(pngBytes(7, 3, () => [0, 0, 0]))).toEqual({ width: 7, height: 3 });
    expect(jpegSize(jpegBytes(9, 5, () => [0, 0, 0]))).toEqual({ width: 9, height: 5 });
    expect(jpegSize(jpegBomb(65535, 40000))).toEqual({ width: 65535, height: 40000 });
    expect(pngSize(Buffer.from('not a png'))).toBeNull();
  });

  it.each([
    ['a 12000² PNG', 'png', pngBomb(12000, 12000), '12000x12000'],
    ['a 100000² PNG (once "size out of range")', 'png', pngBomb(100000, 100000), '100000x100000'],
    ['a 65535×65535 JPEG', 'jpg', jpegBomb(65535, 65535), '65535x65535'],
  ])('refuses %s before decoding, naming the file, with exit code 2', async (name, ext, bomb, dims) => {
    expect(bomb.length).toBeLessThan(200_000);
    const dir = folderWith(name.replace(/\W+/g, '-'), bomb, ext);
    const rss = process.memoryUsage().rss;
    const err = await loadDataset(`folder:${dir}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe(
      `${join(dir, 'b', `bomb.${ext}`)}: the ${ext === 'png' ? 'PNG' : 'JPEG'} header declares ${dims} pixels, more than the decoding limit of 4096x4096 = 16,777,216 pixels; ` +
        `if the image is genuine, raise the limit with ${MAX_PIXELS_ENV}=<pixels>`,
    );
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 << 20); // nothing near the 144 MB+ a decode would take
    const lines: string[] = [];
    const code = await runDataInspect(`folder:${dir}`, { out: join(tmp.dir, 'never.png') }, { stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) });
    expect(code).toBe(2);
    expect(lines.join('')).toContain(`bomb.${ext}: the `);
    expect(lines.join('')).not.toMatch(/\n\s+at |out of range/);
  });

  it('has a configurable limit: an option, or the environment', () => {
    const img = pngBytes(64, 64, () => [1, 2, 3]);
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(4096 * 4096);
    expect(decodeImage(img, 'x.png', 'x.png').shape).toEqual([3, 64, 64]);
    expect(() => decodeImage(img, 'x.png', 'x.png', 4000)).toThrow(/declares 64x64 pixels, more than the decoding limit of 4,000 pixels/);
    process.env[MAX_PIXELS_ENV] = '1024';
    expect(() => decodeImage(img, 'x.png', 'x.png')).toThrow(/limit of 32x32 = 1,024 pixels/);
    process.env[MAX_PIXELS_ENV] = '5000';
    expect(decodeImage(img, 'x.png', 'x.png').shape).toEqual([3, 64, 64]);
  });
});

describe('float images in [-1, 1]', () => {
  it('are taken as they are (the lab\'s own range, PyTorch\'s Normalize(0.5, 0.5))', async () => {
    const dir = join(tmp.dir, 'signed');
    mkdirSync(dir, { recursive: true });
    const x = Float32Array.from({ length: 4 * 2 * 2 }, (_, i) => -1 + (2 * i) / 15);
    writeFileSync(join(dir, 'images.npy'), npyBytes('<f4', [4, 2, 2], x));
    writeFileSync(join(dir, 'labels.npy'), npyBytes('<i8', [4], BigInt64Array.of(0n, 1n, 0n, 1n)));
    const ds = await loadDataset(`npy:${dir}`, { testFraction: 0.5 });
    expect(ds.conversion).toMatch(/float32 in \[-1, 1\]/);
    const all = [...ds.train.x, ...ds.test.x].sort((a, b) => a - b);
    const want = [...x].sort((a, b) => a - b);
    all.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(Math.min(...all)).toBeCloseTo(-1, 6);
  });
});
