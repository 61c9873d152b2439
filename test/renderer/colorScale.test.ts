import { describe, expect, it } from 'vitest';
import { fillHeatmapPixels, matrixRange, scaleValue, textOn, viridis } from '../../renderer/src/lib/colorScale';
import { classRgb } from '../../renderer/src/lib/classColors';

describe('heatmap scaling', () => {
  it('maps the range linearly and clamps outside it', () => {
    expect(scaleValue(0.5, 0, 1)).toBe(0.5);
    expect(scaleValue(3, 2, 6)).toBe(0.25);
    expect(scaleValue(-1, 0, 1)).toBe(0);
    expect(scaleValue(9, 0, 1)).toBe(1);
    expect(Number.isNaN(scaleValue(Number.NaN, 0, 1))).toBe(true);
    // a constant matrix (lo == hi) must not divide by zero
    expect(scaleValue(2, 2, 2)).toBe(1);
  });

  it('viridis runs from dark purple to yellow and is monotone in luminance', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    let last = -1;
    for (let t = 0; t <= 1.0001; t += 0.05) {
      const [r, g, b] = viridis(t);
      const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(lum).toBeGreaterThan(last);
      last = lum;
    }
    expect(textOn(viridis(1))).toBe('#111');
    expect(textOn(viridis(0))).toBe('#f2f2f2');
  });

  it('finds the finite range of a ragged matrix', () => {
    expect(matrixRange([[0.2, Number.NaN], [0.9, -0.1, 0.5]])).toEqual([-0.1, 0.9]);
    expect(matrixRange([])).toEqual([0, 1]);
  });

  it('fills RGBA pixels in row-major order', () => {
    const out = new Uint8ClampedArray(2 * 4);
    fillHeatmapPixels([0, 1], 2, 1, out);
    expect(Array.from(out)).toEqual([68, 1, 84, 255, 253, 231, 37, 255]);
  });

  it('gives the first twenty classes pairwise distinct colours', () => {
    const seen = new Set<string>();
    for (let c = 0; c < 20; c++) seen.add(classRgb(c).join(','));
    expect(seen.size).toBe(20);
  });
});
