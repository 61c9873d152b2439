import { useFrame } from '@react-three/fiber';
import { useEffect, useMemo, useRef, useState } from 'react';
import * as THREE from 'three';
import type { SnapshotEvent } from '../../../preload/api';
import { mulberry32, gaussian } from '../../../models/memory/random';
import type { CameraCommand } from '../scenes/CameraRig';
import type { ProjectionMode } from '../scenes/cloudFrame';
import { SubspaceCanvas } from '../scenes/SubspaceCanvas';
import { useCloudFrame } from '../scenes/useCloudFrame';
import { classBases, cloudSnapshot } from './syntheticCloud';

/**
 * `?bench=1`: the 3D view with N synthetic points (default 10,000; syntheticCloud.ts, no engine), a new snapshot every
 * second (so morphs run during the measurement) and the camera orbiting. Frames are counted in the R3F
 * frame loop for `seconds` after a 1 s warm-up; the result is printed to the page and the console as
 * `BENCH3D {...}` and left on window.__bench3d for scripts (test/e2e/bench3d.ts).
 */

declare global {
  interface Window {
    __bench3d?: BenchResult;
  }
}

export interface BenchResult {
  points: number;
  seconds: number;
  frames: number;
  fps: number;
  worstFrameMs: number;
  /** main-thread milliseconds per frame spent in three.js render (scene traversal + GL command submission) */
  renderCpuMs: number;
  snapshots: number;
  renderer: string;
}

export function BenchPage({ points, seconds, refreshMs = 1000 }: { points: number; seconds: number; refreshMs?: number }): React.JSX.Element {
  // Snapshots are made up front: generating them is not the view's cost. What is measured per snapshot is what the
  // app does: decode the wire tensor, PCA, upload, morph.
  const pool = useMemo(() => benchSnapshots(points), [points]);
  const [snapshot, setSnapshot] = useState<SnapshotEvent | null>(null);
  // the same path as the app: decode + PCA in the worker, then upload and morph
  const { frame } = useCloudFrame(snapshot, PCA);
  const [result, setResult] = useState<BenchResult | null>(null);
  const [phase, setPhase] = useState('starting');
  const snapshots = useRef(0);
  const command = useRef<((c: CameraCommand) => void) | null>(null);
  const glInfo = useRef('unknown');

  useEffect(() => {
    const push = (): void => {
      const snap = pool[snapshots.current % pool.length];
      snapshots.current++;
      setSnapshot(snap);
    };
    push();
    const timer = refreshMs > 0 ? setInterval(push, refreshMs) : null;
    setPhase('warming up');
    return () => {
      if (timer) clearInterval(timer);
    };
  }, [pool, refreshMs]);

  const done = (r: BenchResult): void => {
    r.snapshots = snapshots.current;
    r.renderer = glInfo.current;
    window.__bench3d = r;
    console.log(`BENCH3D ${JSON.stringify(r)}`);
    setResult(r);
    setPhase('done');
  };

  return (
    <div className="bench">
      <div className="bench-canvas">
        <SubspaceCanvas frame={frame} hidden={EMPTY} showAxes resetKey={0} command={command}>
          {frame && <Meter seconds={seconds} points={points} onPhase={setPhase} onDone={done} glInfo={glInfo} />}
        </SubspaceCanvas>
      </div>
      <pre className="bench-result" id="bench-result" data-testid="bench-result">
        {result ? `fps=${result.fps.toFixed(1)} points=${result.points} frames=${result.frames} worst=${result.worstFrameMs.toFixed(1)}ms renderCpu=${result.renderCpuMs.toFixed(2)}ms snapshots=${result.snapshots} renderer=${result.renderer}` : `${phase} (${points} points)`}
      </pre>
    </div>
  );
}

const EMPTY: ReadonlySet<number> = new Set();
const PCA: ProjectionMode = { kind: 'pca' };

function Meter({
  seconds,
  points,
  onPhase,
  onDone,
  glInfo,
}: {
  seconds: number;
  points: number;
  onPhase: (p: string) => void;
  onDone: (r: BenchResult) => void;
  glInfo: React.RefObject<string>;
}): null {
  const t0 = useRef<number | null>(null);
  const frames = useRef(0);
  const last = useRef(0);
  const worst = useRef(0);
  const finished = useRef(false);
  const warm = useRef(false);
  const cpu = useRef(0);
  // priority 1: this callback renders the frame itself, so the CPU side of a frame can be timed
  // (a software GL, as in headless CI, does the GPU work elsewhere and is measured by the fps)
  useFrame(({ gl, scene, camera }) => {
    const t = performance.now();
    gl.render(scene, camera);
    if (warm.current && !finished.current) cpu.current += performance.now() - t;
  }, 1);
  useFrame((state) => {
    if (finished.current) return;
    // the view draws on demand: ask for the next frame until the measurement ends
    state.invalidate();
    // orbit slowly so every frame really redraws a moving scene
    state.camera.position.applyAxisAngle(UP, 0.004);
    state.camera.lookAt(0, 0, 0);
    const now = performance.now();
    if (t0.current === null) {
      t0.current = now;
      const gl = state.gl.getContext();
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      glInfo.current = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER));
      return;
    }
    if (!warm.current) {
      if (now - t0.current < 1000) return;
      warm.current = true;
      t0.current = now;
      last.current = now;
      onPhase('measuring');
      return;
    }
    frames.current++;
    worst.current = Math.max(worst.current, now - last.current);
    last.current = now;
    const elapsed = (now - t0.current) / 1000;
    if (elapsed >= seconds) {
      finished.current = true;
      onDone({ points, seconds: elapsed, frames: frames.current, fps: frames.current / elapsed, worstFrameMs: worst.current, renderCpuMs: cpu.current / Math.max(1, frames.current), snapshots: 0, renderer: '' });
    }
  });
  return null;
}

const UP = new THREE.Vector3(0, 1, 0);

/** Three snapshots of ten digit classes in 32 dimensions, as an untrained run would stream them (widest spread). */
function benchSnapshots(points: number): SnapshotEvent[] {
  const rand = mulberry32(1);
  const bases = classBases(rand, 10, 32);
  const normal = gaussian(rand);
  const classNames = Array.from({ length: 10 }, (_, i) => String(i));
  const seen = classNames.map((_, i) => i);
  return [0, 1, 2].map((i) => cloudSnapshot({ runId: 'bench', task: 0, step: i, classNames, seen, bases, featureDim: 32, points, noise: 0.82, normal }));
}
