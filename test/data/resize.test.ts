import { describe, expect, it } from 'vitest';
import { LUMA, conversionNotes, makeImageConverter } from '../../main/data/convert';
import { axisWeights, resizeImage } from '../../main/data/resize';

const close = (got: ArrayLike<number>, want: number[], digits = 6) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe('resizeImage', () => {
  it('area-averages 2x2 blocks when halving', () => {
    // (1, 4, 4)
    const src = [1, 3, 10, 20, 5, 7, 30, 40, 0, 0, 8, 8, 4, 4, 8, 8];
    close(resizeImage(src, 1, 4, 4, 2, 2), [4, 25, 2, 8]);
  });

  it('weights partially covered pixels by their overlap (3 → 2)', () => {
    // dst 0 covers src [0, 1.5): (0·1 + 3·0.5) / 1.5 = 1; dst 1 covers [1.5, 3): (3·0.5 + 6·1) / 1.5 = 5
    close(resizeImage([0, 3, 6], 1, 1, 3, 1, 2), [1, 5]);
  });

  it('upsamples bilinearly with half-pixel centres and clamped edges (2x2 → 4x4)', () => {
    const top = [0, 1, 3, 4];
    const want = [...top, ...top.map((v) => v + 2), ...top.map((v) => v + 6), ...top.map((v) => v + 8)];
    close(resizeImage([0, 4, 8, 12], 1, 2, 2, 4, 4), want);
  });

  it('is the identity at the same size and resizes each channel on its own', () => {
    const src = [1, 2, 3, 4, 10, 20, 30, 40];
    close(resizeImage(src, 2, 2, 2, 2, 2), src);
    close(resizeImage(src, 2, 2, 2, 1, 1), [2.5, 25]);
  });

  it('has weights that sum to one for every output pixel, so a constant image stays constant', () => {
    for (const [s, d] of [[28, 32], [32, 28], [7, 3], [3, 7], [100, 28]]) {
      const { weights } = axisWeights(s, d);
      for (const w of weights) expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
});

describe('channel conversion', () => {
  it('maps RGB to gray by BT.601 luma and gray to RGB by replication', () => {
    const toGray = makeImageConverter([3, 1, 2], [1, 1, 2], 'x');
    const out = new Float32Array(2);
    toGray([255, 0, 0, 255, 0, 0], out); // pixel 0 red, pixel 1 green
    close(out, [255 * LUMA[0], 255 * LUMA[1]], 4); // float32 output
    const toRgb = makeImageConverter([1, 1, 2], [3, 1, 2], 'x');
    const rgb = new Float32Array(6);
    toRgb([7, 9], rgb);
    close(rgb, [7, 9, 7, 9, 7, 9]);
  });

  it('refuses conversions other than RGB↔gray and states the ones it makes', () => {
    expect(() => makeImageConverter([2, 4, 4], [1, 4, 4], 'f.npy')).toThrow('f.npy: cannot convert 2-channel images to grayscale (only RGB↔grayscale)');
    expect(conversionNotes([3, 32, 32], [1, 28, 28])).toEqual(['resized 32x32→28x28 (area)', 'RGB→grayscale (0.299R+0.587G+0.114B)']);
    expect(conversionNotes([1, 28, 28], [3, 32, 32])).toEqual(['resized 28x28→32x32 (bilinear)', 'grayscale→RGB (replicated)']);
    expect(conversionNotes([1, 28, 28], [1, 28, 28])).toEqual([]);
  });
});
