// A seeded fuzz pass (the lab's own RNG, so a failure replays with its seed) over the data parsers and the web-mode
// message schema. Valid inputs are mutated (bytes flipped, header fields overwritten with extreme values, truncated,
// extended) and each result must be either a success or a DataError whose message starts with the file and carries no
// stack; a WebSocket frame must always get exactly one typed reply, and only schema-valid arguments may reach the
// engine. Memory stays bounded: no mutated header may make a parser allocate what it declares.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabMethod, Result } from '../../preload/api';
import { DataError, loadDataset } from '../../main/data/dataset';
import { parseIdx } from '../../main/data/idx';
import { decodeImage } from '../../main/data/imageFolder';
import { imagesFromNpy, labelsFromNpy, parseNpy } from '../../main/data/npy';
import { Rng } from '../../main/data/rng';
import { validateArgs } from '../../main/shared/apiSchemas';
import { handleWsMessage, type LabBackend } from '../../main/server/server';
import { cifarBytes, idxImages, idxLabels, jpegBytes, makeTempDir, npyBytes, npzBytes, pngBytes } from '../data/fixtures';

const SEED = Number(process.env['FUZZ_SEED'] ?? 16);
const tmp = makeTempDir();
afterAll(tmp.cleanup);

/** One mutation of `buf`, chosen and placed by `rng`. */
function mutate(buf: Buffer, rng: Rng): Buffer {
  const b = Buffer.from(buf);
  const at = (n = b.length) => Math.floor(rng.next() * Math.max(1, n));
  const extremes = [0, 1, 0x7f, 0x80, 0xff, 0xffffffff, 0x7fffffff, 0x80000000];
  const op = Math.floor(rng.next() * 6);
  if (op === 0 && b.length) for (let k = 0; k < 1 + at(8); k++) b[at()] ^= 1 << at(8); // flip bits
  else if (op === 1 && b.length >= 4) {
    // a header field (the first 64 bytes) set to an extreme 32-bit value, either endianness
    const o = at(Math.min(60, b.length - 4));
    const v = extremes[at(extremes.length)]!;
    if (rng.next() < 0.5) b.writeUInt32BE(v >>> 0, o);
    else b.writeUInt32LE(v >>> 0, o);
  } else if (op === 2) return b.subarray(0, at(b.length + 1)); // truncate
  else if (op === 3) return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + at(64) }, () => at(256)))]); // extend
  else if (op === 4 && b.length) {
    const from = at();
    b.fill(at(256), from, Math.min(b.length, from + 1 + at(16))); // a run of one byte
  }
  else return Buffer.from(Array.from({ length: at(256) }, () => at(256))); // noise
  return b;
}

/** The outcome must be a value or a DataError naming `label`, with no stack in its message. */
function expectClean(fn: () => unknown, label: string): 'ok' | 'refused' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`${label}: not a DataError: ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message.startsWith(label), e.message).toBe(true);
    if (/\n\s+at |undefined|\[object /.test(e.message)) throw new Error(`unclean message: ${e.message}`);
    return 'refused';
  }
}

async function expectCleanAsync(fn: () => Promise<unknown>, where: string): Promise<'ok' | 'refused'> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`${where}: not a DataError: ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message).not.toMatch(/\n\s+at |\[object /);
    return 'refused';
  }
}

const heapMb = () => process.memoryUsage().rss / 2 ** 20;

describe(`fuzz (seed ${SEED}; FUZZ_SEED=n to replay another)`, () => {
  it('IDX images and labels', () => {
    const rng = new Rng(SEED);
    const images = idxImages(5, 4, 3, (i, p) => (i * 7 + p) & 255);
    const labels = idxLabels([0, 1, 2, 1, 0]);
    const start = heapMb();
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < 600; i++) {
      const kind = i % 2 ? 'images' : 'labels';
      const buf = mutate(kind === 'images' ? images : labels, rng);
      seen[expectClean(() => parseIdx(buf, 'data/train-x-ubyte', kind), 'data/train-x-ubyte')]++;
    }
    expect(seen.refused).toBeGreaterThan(300); // the mutations do hit the checks
    expect(heapMb() - start).toBeLessThan(256);
  });

  it('NPY arrays, as images and as labels', () => {
    const rng = new Rng(SEED + 1);
    const valid = [
      npyBytes('|u1', [3, 2, 2], new Uint8Array(12).fill(9)),
      npyBytes('<f4', [2, 1, 2, 2], Float32Array.from({ length: 8 }, (_, i) => i / 8)),
      npyBytes('<i8', [3], BigInt64Array.of(0n, 2n, 1n)),
      npyBytes('<f8', [2, 2, 2, 3], new Float64Array(24).fill(0.5), { version: 2 }),
    ];
    const start = heapMb();
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < 800; i++) {
      const buf = mutate(valid[i % valid.length]!, rng);
      seen[
        expectClean(() => {
          const a = parseNpy(buf, 'd/images.npy');
          if (a.shape.length === 1) labelsFromNpy(a, 'd/images.npy', 'd/images.npy', a.shape[0]!);
          else imagesFromNpy(a, 'd/images.npy', 'd/images.npy');
        }, 'd/images.npy')
      ]++;
    }
    expect(seen.refused).toBeGreaterThan(400);
    expect(seen.ok).toBeGreaterThan(0);
    expect(heapMb() - start).toBeLessThan(256);
  });

  it('NPZ archives and CIFAR batches, through the loaders', async () => {
    const rng = new Rng(SEED + 2);
    const npz = npzBytes({
      images: npyBytes('|u1', [4, 2, 2], new Uint8Array(16).fill(3)),
      labels: npyBytes('<i8', [4], BigInt64Array.of(0n, 1n, 0n, 1n)),
    }, false);
    const batch = cifarBytes([[1], [2], [3]], (i, p) => (i + p) & 255);
    const results = { ok: 0, refused: 0 };
    for (let i = 0; i < 60; i++) {
      const dir = join(tmp.dir, `case${i}`);
      mkdirSync(dir, { recursive: true });
      if (i % 2) {
        writeFileSync(join(dir, 'data.npz'), mutate(npz, rng));
        results[await expectCleanAsync(() => loadDataset(`npy:${join(dir, 'data.npz')}`), `npz case ${i}`)]++;
      } else {
        for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), b === 1 + (i % 5) ? mutate(batch, rng) : batch);
        writeFileSync(join(dir, 'test_batch.bin'), batch);
        results[await expectCleanAsync(() => loadDataset(`cifar:${dir}`), `cifar case ${i}`)]++;
      }
    }
    expect(results.refused).toBeGreaterThan(10);
  });

  it('PNG and JPEG files of a folder dataset', () => {
    const rng = new Rng(SEED + 3);
    const valid = [pngBytes(6, 5, (x, y) => [x * 40, y * 40, 90, 200]), jpegBytes(8, 8, (x, y) => [x * 30, y * 30, 60])];
    const start = heapMb();
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < 400; i++) {
      const buf = mutate(valid[i % 2]!, rng);
      seen[expectClean(() => decodeImage(buf, 'set/cat/x.img', 'set/cat/x.img'), 'set/cat/x.img')]++;
    }
    expect(seen.refused).toBeGreaterThan(100);
    expect(heapMb() - start).toBeLessThan(512);
  });

  it('WebSocket frames: one typed reply each, and only valid arguments reach the engine', async () => {
    const rng = new Rng(SEED + 4);
    const reached: { method: LabMethod; args: unknown[] }[] = [];
    const backend: LabBackend = {
      request: async (method, args) => {
        reached.push({ method, args });
        return { ok: true, value: null };
      },
      onEvent: () => () => {},
    };
    const methods = ['system', 'inspectData', 'startRun', 'getRun', 'exportRun', 'control', 'resumeRun', 'pickPath', 'deleteRun', '__proto__', 'constructor', ''];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
    const value = (depth: number): unknown => {
      const r = rng.next();
      if (depth > 3 || r < 0.3) return pick([0, -1, 1e308, NaN, 'x', '', '../../etc', 'a'.repeat(5000), true, null, 2 ** 53]);
      if (r < 0.6) return Array.from({ length: Math.floor(rng.next() * 5) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (const k of ['runId', 'data', 'preset', 'seed', 'what', 'format', 'outDir', 'action', 'steps', '__proto__', 'quick', 'classesPerTask', 'backend']) if (rng.next() < 0.4) o[k] = value(depth + 1);
      return o;
    };
    for (let i = 0; i < 1500; i++) {
      let raw: string;
      const r = rng.next();
      if (r < 0.15) raw = Buffer.from(Array.from({ length: Math.floor(rng.next() * 80) }, () => Math.floor(rng.next() * 256))).toString('latin1');
      else {
        const frame: Record<string, unknown> = { id: pick([i, -1, 1.5, 'x', 2 ** 60, null]), method: pick(methods), args: value(0) };
        if (rng.next() < 0.1) delete frame['id'];
        if (rng.next() < 0.1) frame['extra'] = 1;
        raw = JSON.stringify(frame);
        if (r > 0.9) raw = raw.slice(0, Math.floor(rng.next() * raw.length)); // torn
      }
      const before = reached.length;
      const { id, result } = await handleWsMessage(backend, raw);
      expect(typeof id).toBe('number');
      expect(typeof (result as Result<unknown>).ok).toBe('boolean');
      if (!result.ok) {
        expect(['bad-request', 'unavailable']).toContain(result.error.code);
        expect(result.error.message).not.toMatch(/\n\s+at /);
      }
      if (reached.length > before) {
        const call = reached[reached.length - 1]!;
        expect(validateArgs(call.method, call.args).ok).toBe(true);
      }
    }
  });
});
