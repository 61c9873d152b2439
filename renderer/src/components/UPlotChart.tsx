import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

/**
 * uPlot in React: the plot is created once per `specKey` (series layout) and fed new data with setData,
 * so a growing curve costs a redraw, not a rebuild. Width follows the container.
 */

export const AXIS_STYLE: Partial<uPlot.Axis> = {
  stroke: '#9aa4b2',
  grid: { stroke: '#222a35', width: 1 },
  ticks: { stroke: '#2c3440', width: 1 },
  font: '11px system-ui, sans-serif',
  labelFont: '11px system-ui, sans-serif',
};

export function UPlotChart({
  specKey,
  makeOptions,
  data,
  height = 200,
  testId,
  label,
}: {
  specKey: string;
  makeOptions: (width: number) => uPlot.Options;
  data: uPlot.AlignedData;
  height?: number;
  testId?: string;
  label: string;
}): React.JSX.Element {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;
  const makeRef = useRef(makeOptions);
  makeRef.current = makeOptions;

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const width = Math.max(200, el.clientWidth);
    const opts = makeRef.current(width);
    const u = new uPlot({ ...opts, width, height }, dataRef.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [specKey, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div className="uplot-wrap" ref={wrap} data-testid={testId} role="img" aria-label={label} style={{ minHeight: height + 30 }} />;
}
