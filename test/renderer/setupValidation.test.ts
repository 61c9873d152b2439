import { describe, expect, it } from 'vitest';
import { validateSetup, type SetupForm } from '../../renderer/src/lib/setupValidation';
import { imageToRgba } from '../../renderer/src/lib/imagePixels';

const base: SetupForm = {
  source: 'builtin',
  builtin: 'builtin:digits',
  pathKind: 'folder',
  path: '',
  preset: 'tiny',
  backend: 'auto',
  classesPerTask: '2',
  seed: '0',
  seeds: '',
  orderSeed: '',
  quick: true,
  autonomous: true,
  decoderPhase: false,
  watchDir: '',
  name: '',
};

describe('setup validation', () => {
  const cases: [Partial<SetupForm>, number | null, Partial<Record<keyof SetupForm, string>>][] = [
    [{}, 10, {}],
    [{ source: 'path' }, null, { path: 'Enter the path of the dataset.' }],
    [{ source: 'path', pathKind: 'npy', path: '/x/data.bin' }, null, { path: 'An .npy or .npz file is expected for this format.' }],
    [{ classesPerTask: '0' }, 10, { classesPerTask: 'A whole number of at least 1.' }],
    [{ classesPerTask: '1.5' }, 10, { classesPerTask: 'A whole number of at least 1.' }],
    [{ classesPerTask: '11' }, 10, { classesPerTask: 'The dataset has 10 classes; use at most 10.' }],
    [{ classesPerTask: '11' }, null, {}], // unknown class count: the engine decides
    [{ seed: '-1' }, 10, { seed: 'A whole number from 0 to 2147483647.' }],
    [{ seed: '' }, 10, { seed: 'A whole number from 0 to 2147483647.' }],
    [{ preset: 'huge' }, 10, { preset: "Unknown preset 'huge'." }],
    [{ seeds: '1, 2,3' }, 10, {}],
    [{ seeds: '1,x' }, 10, { seeds: 'Whole numbers from 0 to 2147483647, separated by commas.' }],
    [{ seeds: '4,4' }, 10, { seeds: 'Each seed once.' }],
    [{ seeds: '1,2', watchDir: '/tmp/w' }, 10, { seeds: 'A sweep cannot watch a folder: a watching run never ends.' }],
    [{ orderSeed: '7' }, 10, {}],
    [{ orderSeed: '-2' }, 10, { orderSeed: 'A whole number from 0 to 2147483647, or empty for the natural order.' }],
  ];
  it.each(cases)('%j with %s classes', (patch, k, expected) => {
    expect(validateSetup({ ...base, ...patch }, k, ['tiny', 'mnist-s'])).toEqual(expected);
  });
});

describe('image pixels', () => {
  it('maps [-1, 1] to [0, 255] and picks the batch item', () => {
    const data = Float32Array.from([-1, 1, 0, 2, /* item 1 */ 0.5, 0.5, 0.5, 0.5]);
    const px = imageToRgba(data, [2, 1, 2, 2], 0);
    expect(Array.from(px.slice(0, 8))).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    expect(px[8]).toBe(128); // 0 → 127.5 rounds up
    expect(px[12]).toBe(255); // clamped
    expect(imageToRgba(data, [2, 1, 2, 2], 1)[0]).toBe(191);
  });

  it('reads three channels as RGB planes', () => {
    const data = Float32Array.from([1, -1, -1]); // one pixel: R=1, G=-1, B=-1
    expect(Array.from(imageToRgba(data, [1, 3, 1, 1], 0))).toEqual([255, 0, 0, 255]);
    expect(() => imageToRgba(data, [1, 3, 1, 1], 1)).toThrow('index 1 outside batch of 1');
  });
});
