import { useEffect, useMemo, useRef, useState } from 'react';
import { useLab } from '../context';
import { classCss } from '../lib/classColors';
import { downloadFile } from '../lib/download';
import { className } from '../lib/format';
import { classTaskMap, npyFloat32, viewAxes, viewCsv } from '../lib/viewData';
import { useStoreSelector } from '../state/useStore';
import type { CameraCommand } from './CameraRig';
import { decodeSnapshot, type ProjectionMode } from './cloudFrame';
import type { HoverInfo } from './HoverPicker';
import { SubspaceCanvas } from './SubspaceCanvas';
import { useCloudFrame } from './useCloudFrame';

/** The 3D subspace panel: projection choice, legend that hides classes, camera controls, hover readout, point
 *  selection (click a point, or draw a lasso) and the export of what it shows (CSV, projection axes as .npy). */
export function SubspaceView({ active = true }: { active?: boolean }): React.JSX.Element {
  const { store } = useLab();
  const snapshot = useStoreSelector(store, (s) => s.snapshot);
  const mode = useStoreSelector(store, (s) => s.mode);
  const classNames = useStoreSelector(store, (s) => s.classNames);
  const tasks = useStoreSelector(store, (s) => s.tasks);
  const runId = useStoreSelector(store, (s) => s.runId);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [lassoOn, setLassoOn] = useState(false);
  const [lassoPath, setLassoPath] = useState<[number, number][] | null>(null);
  const [withFeatures, setWithFeatures] = useState(false);
  const lasso = useRef<((polygon: [number, number][]) => number[]) | null>(null);
  const down = useRef<{ x: number; y: number } | null>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const [proj, setProj] = useState<'pca' | 'classes'>('pca');
  const [picked, setPicked] = useState<[number, number, number]>([0, 1, 2]);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [showAxes, setShowAxes] = useState(true);
  const [resetKey, setResetKey] = useState(0);
  const [hover, setHover] = useState<HoverInfo | null>(null);
  const command = useRef<((c: CameraCommand) => void) | null>(null);
  const seen = useMemo(() => (snapshot ? snapshot.classes.map((c) => c.cls).sort((a, b) => a - b) : []), [snapshot]);

  // keep picked classes valid as classes appear
  useEffect(() => {
    if (seen.length >= 3 && picked.some((c) => !seen.includes(c))) setPicked([seen[0], seen[1], seen[2]]);
  }, [seen, picked]);

  const projectionMode: ProjectionMode = proj === 'classes' && seen.length >= 3 ? { kind: 'classes', classes: picked } : { kind: 'pca' };
  const { frame, error } = useCloudFrame(snapshot, projectionMode);

  // selections name rows of one snapshot: a new snapshot starts a new selection
  useEffect(() => setSelected(new Set()), [snapshot]);

  const toggleSelected = (i: number): void =>
    setSelected((sel) => {
      const n = new Set(sel);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });

  /** canvas-pixel position of a pointer event (the lasso and the picker share the canvas's frame) */
  const canvasXY = (e: React.PointerEvent): [number, number] => {
    const c = wrap.current?.querySelector('canvas')?.getBoundingClientRect();
    return c ? [e.clientX - c.left, e.clientY - c.top] : [0, 0];
  };
  const lassoDown = (e: React.PointerEvent): void => {
    (e.target as Element).setPointerCapture?.(e.pointerId);
    setLassoPath([canvasXY(e)]);
  };
  const lassoMove = (e: React.PointerEvent): void => {
    if (lassoPath) setLassoPath([...lassoPath, canvasXY(e)]);
  };
  const lassoUp = (e: React.PointerEvent): void => {
    const poly = lassoPath;
    setLassoPath(null);
    if (!poly || poly.length < 3 || !lasso.current) return;
    const inside = lasso.current(poly);
    // shift adds to the selection; a plain lasso replaces it
    setSelected((sel) => new Set([...(e.shiftKey ? sel : []), ...inside]));
  };

  const fileBase = frame ? `${runId ?? 'view'}-task${frame.task + 1}-${projectionMode.kind}` : 'view';
  const exportCsv = (): void => {
    if (!frame || !snapshot) return;
    const csv = viewCsv({
      frame,
      snapshot: withFeatures ? decodeSnapshot(snapshot) : undefined,
      classNames,
      classTask: classTaskMap(tasks),
      hidden,
      selected,
      features: withFeatures,
    });
    downloadFile(`${fileBase}.csv`, csv, 'text/csv');
  };
  const exportAxes = (what: 'axes' | 'center'): void => {
    if (!frame) return;
    const a = viewAxes(frame);
    downloadFile(`${fileBase}-${what}.npy`, what === 'axes' ? npyFloat32(a.axes, [3, a.d]) : npyFloat32(a.center, [a.d]), 'application/octet-stream');
  };

  const counts = useMemo(() => {
    const m = new Map<number, number>();
    if (snapshot) for (const l of snapshot.labels) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  }, [snapshot]);

  const toggle = (c: number): void =>
    setHidden((h) => {
      const n = new Set(h);
      if (n.has(c)) n.delete(c);
      else n.add(c);
      return n;
    });

  const onKey = (e: React.KeyboardEvent): void => {
    const map: Record<string, CameraCommand> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down', '+': 'in', '=': 'in', '-': 'out' };
    if (map[e.key]) {
      e.preventDefault();
      command.current?.(map[e.key]);
    } else if (e.key === 'r' || e.key === '0') setResetKey((k) => k + 1);
  };

  const empty = !frame;
  return (
    <div className="panel subspace" aria-label="3D subspace view">
      <div className="panel-head">
        <h2>Class subspaces</h2>
        <div className="head-tools">
          <span className="view-export" role="group" aria-label="Export the view">
            <label className="check compact" title="Add each point's full feature vector to the CSV">
              <input type="checkbox" checked={withFeatures} onChange={(e) => setWithFeatures(e.target.checked)} />
              features
            </label>
            <button className="btn small" disabled={!frame} onClick={exportCsv} data-testid="export-view-csv" title="The points shown (hidden classes left out): coordinates, class, task, selected">
              CSV
            </button>
            <button className="btn small" disabled={!frame} onClick={() => exportAxes('axes')} data-testid="export-view-axes" title="Projection axes in view units, (3, d) float32: x, y, z = (f − center) · axesᵀ">
              axes .npy
            </button>
            <button className="btn small" disabled={!frame} onClick={() => exportAxes('center')} data-testid="export-view-center" title="The centre subtracted before projecting, (d) float32">
              center .npy
            </button>
          </span>
          <select
            aria-label="Projection"
            title="How the features are projected to 3D"
            value={proj}
            onChange={(e) => setProj(e.target.value as 'pca' | 'classes')}
            disabled={seen.length < 3 && proj === 'pca'}
          >
            <option value="pca">PCA</option>
            <option value="classes" disabled={seen.length < 3}>
              3 class directions
            </option>
          </select>
          {proj === 'classes' &&
            [0, 1, 2].map((k) => (
              <select
                key={k}
                aria-label={`Axis ${k + 1} class`}
                value={picked[k]}
                onChange={(e) => setPicked((p) => p.map((v, i) => (i === k ? Number(e.target.value) : v)) as [number, number, number])}
              >
                {seen.map((c) => (
                  <option key={c} value={c}>
                    {className(classNames, c)}
                  </option>
                ))}
              </select>
            ))}
          <label className="check compact">
            <input type="checkbox" checked={showAxes} onChange={(e) => setShowAxes(e.target.checked)} />
            Axes
          </label>
        </div>
      </div>
      <div
        className="canvas-wrap"
        ref={wrap}
        tabIndex={0}
        onKeyDown={onKey}
        onPointerDown={(e) => (down.current = { x: e.clientX, y: e.clientY })}
        onClick={(e) => {
          // a click, not the end of an orbit drag, on a point selects or deselects it
          const d0 = down.current;
          if (lassoOn || !hover || !d0 || Math.hypot(e.clientX - d0.x, e.clientY - d0.y) > 4) return;
          toggleSelected(hover.index);
        }}
        aria-label="3D view of class features. Arrow keys orbit, plus and minus zoom, R resets."
        data-testid="subspace-view"
      >
        <SubspaceCanvas
          active={active}
          frame={frame}
          hidden={hidden}
          selected={selected}
          showAxes={showAxes}
          resetKey={resetKey}
          command={command}
          onHover={setHover}
          lasso={lasso}
          orbit={!lassoOn}
        />
        {lassoOn && (
          <div className="lasso-layer" data-testid="lasso-layer" onPointerDown={lassoDown} onPointerMove={lassoMove} onPointerUp={lassoUp}>
            {lassoPath && (
              <svg className="lasso-path" aria-hidden="true">
                <polygon points={lassoPath.map((p) => p.join(',')).join(' ')} />
              </svg>
            )}
          </div>
        )}
        <div className="canvas-tools">
          <button
            className={`btn small ${lassoOn ? 'on' : ''}`}
            aria-pressed={lassoOn}
            onClick={() => setLassoOn((v) => !v)}
            title="Lasso: drag around points to select them (shift adds); off: click a point to select it"
            data-testid="lasso"
          >
            Lasso
          </button>
          {selected.size > 0 && (
            <button className="btn small" onClick={() => setSelected(new Set())} title="Clear the selection" data-testid="clear-selection">
              {selected.size} selected ×
            </button>
          )}
          <button className="btn small" onClick={() => command.current?.('in')} aria-label="Zoom in" title="Zoom in (+)">
            +
          </button>
          <button className="btn small" onClick={() => command.current?.('out')} aria-label="Zoom out" title="Zoom out (−)">
            −
          </button>
          <button className="btn small" onClick={() => setResetKey((k) => k + 1)} title="Reset view (R)">
            Reset
          </button>
        </div>
        {frame && (
          <div className="canvas-caption" aria-hidden="true">
            {projectionMode.kind === 'pca' ? 'PC1–PC3 of the snapshot' : 'cosine with each class’s leading direction'} · task {frame.task + 1}, step {frame.step} ·{' '}
            {frame.n.toLocaleString()} points
          </div>
        )}
        {hover && (
          <div className="tooltip" style={{ left: hover.x + 14, top: hover.y + 10 }} role="status">
            <span className="swatch" style={{ background: classCss(hover.cls) }} />
            {className(classNames, hover.cls)} · sample #{hover.index}
          </div>
        )}
        {empty && (
          <div className="empty overlay">
            {error ? (
              <p className="err">{error}</p>
            ) : mode === 'readonly' ? (
              <>
                <h3>No live features for a saved run</h3>
                <p>Runs store their metrics and knowledge records, not feature snapshots. Resume the run or start a new one to watch its class subspaces form.</p>
              </>
            ) : mode === 'live' ? (
              <>
                <h3>Waiting for the first snapshot</h3>
                <p>The engine sends the features of a class-balanced sample every few steps; the points appear here as soon as it does.</p>
              </>
            ) : (
              <>
                <h3>No run yet</h3>
                <p>Start an experiment on the left. Each class will appear as a coloured cloud spanning its own low-dimensional subspace.</p>
              </>
            )}
          </div>
        )}
      </div>
      <div className="legend" role="group" aria-label="Classes (click to hide or show)" data-testid="legend">
        {seen.length === 0 && <span className="muted">Classes appear here as they are learned.</span>}
        {seen.map((c) => (
          <button key={c} className={`chip ${hidden.has(c) ? 'off' : ''}`} aria-pressed={!hidden.has(c)} onClick={() => toggle(c)} title={hidden.has(c) ? 'Show class' : 'Hide class'}>
            <span className="swatch" style={{ background: classCss(c) }} />
            {className(classNames, c)}
            <span className="muted">{counts.get(c) ?? 0}</span>
          </button>
        ))}
      </div>
    </div>
  );
}
