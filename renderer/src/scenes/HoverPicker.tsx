import { useFrame, useThree } from '@react-three/fiber';
import { useEffect, useMemo, useRef } from 'react';
import * as THREE from 'three';
import { nearestPoint, pointsInPolygon } from './cloudFrame';
import type { CloudLive } from './PointCloud';

export interface HoverInfo {
  index: number;
  cls: number;
  x: number;
  y: number;
}

/**
 * The drawn positions of the cloud (mid-morph included) in canvas pixels, into `out` ((n, 2); NaN for points behind
 * the camera). Shared by hover and the lasso, so both pick what the eye sees.
 */
export function projectToScreen(L: CloudLive, camera: THREE.Camera, w: number, h: number, out: Float32Array, v = new THREE.Vector3()): void {
  const m = L.mix;
  for (let i = 0; i < L.n; i++) {
    v.set(
      L.from[i * 3] + (L.to[i * 3] - L.from[i * 3]) * m,
      L.from[i * 3 + 1] + (L.to[i * 3 + 1] - L.from[i * 3 + 1]) * m,
      L.from[i * 3 + 2] + (L.to[i * 3 + 2] - L.from[i * 3 + 2]) * m,
    ).project(camera);
    if (v.z > 1) {
      out[i * 2] = Number.NaN;
      out[i * 2 + 1] = Number.NaN;
    } else {
      out[i * 2] = (v.x * 0.5 + 0.5) * w;
      out[i * 2 + 1] = (-v.y * 0.5 + 0.5) * h;
    }
  }
}

/**
 * Hover: on pointer move (at most once per frame) the drawn positions are projected to pixels and the
 * nearest visible point within 10 px wins. 10,000 points cost well under a millisecond; React hears
 * about it only when the hovered point changes.
 */
export function HoverPicker({
  live,
  onHover,
  lasso,
}: {
  live: React.RefObject<CloudLive | null>;
  onHover: (h: HoverInfo | null) => void;
  /** filled with a function that returns the visible points inside a canvas-pixel polygon (the lasso) */
  lasso?: React.RefObject<((polygon: [number, number][]) => number[]) | null>;
}): React.JSX.Element {
  const camera = useThree((s) => s.camera);
  const gl = useThree((s) => s.gl);
  const invalidate = useThree((s) => s.invalidate);
  const pointer = useRef<{ x: number; y: number } | null>(null);
  const dirty = useRef(false);
  const last = useRef(-1);
  const screen = useRef(new Float32Array(0));
  const v = useMemo(() => new THREE.Vector3(), []);
  const marker = useRef<THREE.Mesh>(null);

  useEffect(() => {
    const el = gl.domElement;
    const move = (e: PointerEvent): void => {
      const r = el.getBoundingClientRect();
      pointer.current = { x: e.clientX - r.left, y: e.clientY - r.top };
      dirty.current = true;
      invalidate(); // picking runs in the next frame
    };
    const leave = (): void => {
      pointer.current = null;
      dirty.current = true;
      invalidate();
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerleave', leave);
    return () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerleave', leave);
    };
  }, [gl, invalidate]);

  useEffect(() => {
    if (!lasso) return;
    lasso.current = (polygon) => {
      const L = live.current;
      if (!L || L.n === 0 || polygon.length < 3) return [];
      const s = new Float32Array(L.n * 2);
      projectToScreen(L, camera, gl.domElement.clientWidth, gl.domElement.clientHeight, s);
      return pointsInPolygon(s, L.n, polygon, (i) => !L.hidden.has(L.labels[i]));
    };
    return () => {
      lasso.current = null;
    };
  }, [lasso, live, camera, gl]);

  useFrame(() => {
    const L = live.current;
    if (marker.current) {
      const i = last.current;
      const visible = !!L && i >= 0 && i < L.n;
      marker.current.visible = visible;
      if (visible) {
        const m = L.mix;
        marker.current.position.set(
          L.from[i * 3] + (L.to[i * 3] - L.from[i * 3]) * m,
          L.from[i * 3 + 1] + (L.to[i * 3 + 1] - L.from[i * 3 + 1]) * m,
          L.from[i * 3 + 2] + (L.to[i * 3 + 2] - L.from[i * 3 + 2]) * m,
        );
      }
    }
    if (!dirty.current) return;
    dirty.current = false;
    const p = pointer.current;
    if (!L || !p || L.n === 0) {
      if (last.current !== -1) {
        last.current = -1;
        onHover(null);
      }
      return;
    }
    if (screen.current.length < L.n * 2) screen.current = new Float32Array(L.n * 2);
    const w = gl.domElement.clientWidth;
    const h = gl.domElement.clientHeight;
    const s = screen.current;
    projectToScreen(L, camera, w, h, s, v);
    const hidden = L.hidden;
    const idx = nearestPoint(s, L.n, p.x, p.y, 10, (i) => !hidden.has(L.labels[i]));
    if (idx !== last.current) {
      last.current = idx;
      onHover(idx < 0 ? null : { index: idx, cls: L.labels[idx], x: p.x, y: p.y });
    }
  });

  return (
    <mesh ref={marker} visible={false} renderOrder={3}>
      <sphereGeometry args={[0.035, 12, 12]} />
      {/* transparent: drawn with the transparent pass, after the points (renderOrder 1), as there is no depth buffer */}
      <meshBasicMaterial color="#ffffff" wireframe transparent depthTest={false} depthWrite={false} />
    </mesh>
  );
}

