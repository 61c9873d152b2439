import { useFrame, useThree } from '@react-three/fiber';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import * as THREE from 'three';
import { classRgb } from '../lib/classColors';
import { MAX_CLASSES } from './PointCloud';
import type { ClassGlyph } from './cloudFrame';

/**
 * Each class's principal axes at its mean (lines), scaled by its singular values, plus a marker at
 * the mean. Vertices are preallocated for MAX_CLASSES × 3 axes; a snapshot moves them smoothly.
 */

const SEGMENTS = MAX_CLASSES * 3;
const MORPH_SECONDS = 0.8;

export function ClassAxes({ classes, hidden }: { classes: ClassGlyph[]; hidden: ReadonlySet<number> }): React.JSX.Element {
  const geometry = useMemo(() => {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(SEGMENTS * 2 * 3), 3).setUsage(THREE.DynamicDrawUsage));
    g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(SEGMENTS * 2 * 3), 3));
    g.setDrawRange(0, 0);
    g.boundingSphere = new THREE.Sphere(new THREE.Vector3(), 100);
    return g;
  }, []);
  // drawn over the points (renderOrder 2 in the transparent pass; the canvas has no depth buffer)
  const material = useMemo(() => new THREE.LineBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.95, depthTest: false, depthWrite: false }), []);
  const start = useRef(new Float32Array(SEGMENTS * 2 * 3));
  const target = useRef(new Float32Array(SEGMENTS * 2 * 3));
  const t = useRef(1);
  const invalidate = useThree((s) => s.invalidate);

  useEffect(
    () => () => {
      geometry.dispose();
      material.dispose();
    },
    [geometry, material],
  );

  useLayoutEffect(() => {
    const pos = geometry.getAttribute('position') as THREE.BufferAttribute;
    const col = geometry.getAttribute('color') as THREE.BufferAttribute;
    const p = pos.array as Float32Array;
    const c = col.array as Float32Array;
    start.current.set(p);
    const tg = target.current;
    let v = 0;
    for (const g of classes) {
      if (hidden.has(g.cls)) continue;
      const [r, gg, b] = classRgb(g.cls);
      for (let k = 0; k < g.axes.length; k++) {
        const a = g.axes[k];
        // the minor axes fade so the leading direction stands out
        const w = k === 0 ? 1 : k === 1 ? 0.5 : 0.3;
        for (const sgn of [-1, 1]) {
          tg[v * 3] = g.center[0] + sgn * a[0];
          tg[v * 3 + 1] = g.center[1] + sgn * a[1];
          tg[v * 3 + 2] = g.center[2] + sgn * a[2];
          c[v * 3] = (r / 255) * w + (1 - w) * 0.1;
          c[v * 3 + 1] = (gg / 255) * w + (1 - w) * 0.1;
          c[v * 3 + 2] = (b / 255) * w + (1 - w) * 0.1;
          v++;
        }
      }
    }
    col.needsUpdate = true;
    geometry.setDrawRange(0, v);
    t.current = 0;
    invalidate();
  }, [classes, hidden, geometry, invalidate]);

  useFrame((_, delta) => {
    if (t.current >= 1) return;
    t.current = Math.min(1, t.current + Math.min(delta, 0.1) / MORPH_SECONDS);
    const m = t.current * t.current * (3 - 2 * t.current);
    const pos = geometry.getAttribute('position') as THREE.BufferAttribute;
    const p = pos.array as Float32Array;
    const s = start.current;
    const tg = target.current;
    const count = geometry.drawRange.count * 3;
    for (let i = 0; i < count; i++) p[i] = s[i] + (tg[i] - s[i]) * m;
    // upload only the drawn vertices, not the whole MAX_CLASSES buffer
    pos.clearUpdateRanges();
    pos.addUpdateRange(0, count);
    pos.needsUpdate = true;
    if (t.current < 1) invalidate(); // the morph wants the next frame too
  });

  return <lineSegments geometry={geometry} material={material} frustumCulled={false} renderOrder={2} />;
}
