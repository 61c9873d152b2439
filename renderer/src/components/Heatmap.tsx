import { useEffect, useRef } from 'react';
import { fillHeatmapPixels, scaleValue } from '../lib/colorScale';

/**
 * A matrix drawn pixel-per-cell into a canvas, then scaled up by CSS with crisp edges — cheap even for
 * the 1000 × 1000 |ZᵀZ| picture. Values are mapped from [lo, hi] with the shared viridis scale.
 */
export function HeatmapCanvas({
  values,
  rows,
  cols,
  lo,
  hi,
  label,
  testId,
}: {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  lo: number;
  hi: number;
  label: string;
  testId?: string;
}): React.JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c || rows === 0 || cols === 0) return;
    c.width = cols;
    c.height = rows;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(cols, rows);
    const t = new Float32Array(rows * cols);
    for (let i = 0; i < t.length; i++) t[i] = scaleValue(values[i], lo, hi);
    fillHeatmapPixels(t, cols, rows, img.data);
    ctx.putImageData(img, 0, 0);
  }, [values, rows, cols, lo, hi]);
  return <canvas ref={ref} className="heatmap-canvas" role="img" aria-label={label} data-testid={testId} />;
}

/** A horizontal colour bar with its end labels, to read any heatmap. */
export function ColorBar({ lo, hi, unit }: { lo: string; hi: string; unit?: string }): React.JSX.Element {
  return (
    <div className="colorbar" aria-hidden="true">
      <span>{lo}</span>
      <span className="bar" />
      <span>{hi}</span>
      {unit && <span className="muted">{unit}</span>}
    </div>
  );
}
