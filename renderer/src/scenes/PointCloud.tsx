import { useFrame, useThree } from '@react-three/fiber';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import * as THREE from 'three';
import { classRgb } from '../lib/classColors';
import type { CloudFrame } from './cloudFrame';
import { DepthOrder } from './depthOrder';

/**
 * The point cloud: one THREE.Points draw call for every point. The morph between snapshots runs on
 * the GPU: each point has `from` and `position` (target) and the shader mixes them with one uniform;
 * position buffers are written once per snapshot. Colour and visibility are a per-point RGBA byte
 * attribute (alpha 0 = hidden), rewritten only when a snapshot arrives or the legend changes; a texture
 * lookup per vertex was measurably slower on software GL.
 *
 * There is no depth test (the canvas has no depth buffer, see SubspaceCanvas): the points are drawn
 * through an index buffer sorted back to front (DepthOrder) whenever the view direction or the morph
 * changes, which gives the same picture as a depth test, lets each disc's rim blend smoothly into what
 * lies behind it (antialiased discs without MSAA) and keeps hidden classes out of the draw. It costs the
 * sort and an index upload (n × 2 bytes) per changed frame; on SwiftShader the whole frame costs about
 * what the depth-tested version did (test/e2e/bench3d.ts).
 */

export const MAX_CLASSES = 256;
const NONE: ReadonlySet<number> = new Set();
const MORPH_SECONDS = 0.8;

/** What the picker and the view share with the frame loop; mutated in place, never via React. */
export interface CloudLive {
  n: number;
  from: Float32Array;
  to: Float32Array;
  labels: Int32Array;
  mix: number;
  hidden: Set<number>;
}

const vertex = /* glsl */ `
  attribute vec3 from;
  attribute vec4 rgba;
  uniform float uMix;
  uniform float uSize;
  uniform float uScale;
  varying vec3 vColor;
  varying float vSize;
  void main() {
    vec4 info = rgba;
    vec3 p = mix(from, position, uMix);
    vec4 mv = modelViewMatrix * vec4(p, 1.0);
    // size attenuates with distance; a hidden class is moved outside the clip volume, because some
    // drivers (SwiftShader among them) still draw a 1-pixel point for gl_PointSize 0
    bool shown = info.a > 0.5;
    gl_Position = shown ? projectionMatrix * mv : vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = shown ? max(1.5, uSize * uScale / -mv.z) : 0.0;
    vColor = info.rgb;
    vSize = gl_PointSize;
  }
`;

const fragment = /* glsl */ `
  varying vec3 vColor;
  varying float vSize;
  void main() {
    vec2 c = gl_PointCoord - vec2(0.5);
    float r2 = dot(c, c);
    // coverage of the disc's edge, about one pixel wide and centred on radius 0.5 (0.25 - r2 ≈ 0.5 - r
    // there, in sprite units; × size in pixels), so the disc keeps its size and loses its jagged rim
    float alpha = clamp(0.5 + (0.25 - r2) * max(vSize, 2.0), 0.0, 1.0);
    if (alpha <= 0.0) discard;
    // a soft rim reads as a sphere without lighting
    float shade = 1.0 - 0.45 * smoothstep(0.08, 0.25, r2);
    gl_FragColor = vec4(vColor * shade, alpha);
  }
`;

function ease(t: number): number {
  return t < 0.5 ? 4 * t * t * t : 1 - Math.pow(-2 * t + 2, 3) / 2;
}

export function PointCloud({
  frame,
  hidden,
  selected = NONE,
  live,
  pointSize = 7,
}: {
  frame: CloudFrame | null;
  hidden: ReadonlySet<number>;
  /** snapshot rows picked by click or lasso: drawn white */
  selected?: ReadonlySet<number>;
  live: React.RefObject<CloudLive | null>;
  pointSize?: number;
}): React.JSX.Element | null {
  const size = useThree((s) => s.size);
  const dpr = useThree((s) => s.viewport.dpr);
  const invalidate = useThree((s) => s.invalidate);
  const progress = useRef(1);

  const palette = useMemo(() => {
    const data = new Uint8Array(MAX_CLASSES * 4);
    for (let c = 0; c < MAX_CLASSES; c++) {
      const [r, g, b] = classRgb(c);
      data.set([r, g, b, 255], c * 4);
    }
    return data;
  }, []);

  const material = useMemo(
    () =>
      new THREE.ShaderMaterial({
        vertexShader: vertex,
        fragmentShader: fragment,
        uniforms: {
          uMix: { value: 1 },
          uSize: { value: pointSize },
          uScale: { value: 1 },
        },
        // painted back to front (see the index order below), blended at the rims
        transparent: true,
        depthTest: false,
        depthWrite: false,
      }),
    [pointSize],
  );

  // Geometry is reallocated only when a snapshot outgrows it (rule 20: dispose on shape change).
  const capacity = frame ? Math.max(1024, 2 ** Math.ceil(Math.log2(frame.n))) : 1024;
  const geometry = useMemo(() => {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(capacity * 3), 3).setUsage(THREE.DynamicDrawUsage));
    g.setAttribute('from', new THREE.BufferAttribute(new Float32Array(capacity * 3), 3).setUsage(THREE.DynamicDrawUsage));
    g.setAttribute('rgba', new THREE.BufferAttribute(new Uint8Array(capacity * 4), 4, true).setUsage(THREE.DynamicDrawUsage));
    // draw order, rewritten by the depth sort; 16-bit indices while they fit (half the upload)
    const index = capacity <= 65536 ? new Uint16Array(capacity) : new Uint32Array(capacity);
    g.setIndex(new THREE.BufferAttribute(index, 1).setUsage(THREE.DynamicDrawUsage));
    g.setDrawRange(0, 0);
    // the cloud lives inside a few units of the origin; a fixed sphere avoids recomputing bounds per snapshot
    g.boundingSphere = new THREE.Sphere(new THREE.Vector3(), 100);
    return g;
  }, [capacity]);

  useEffect(() => () => geometry.dispose(), [geometry]);
  useEffect(() => () => material.dispose(), [material]);
  const labels = useRef<Int32Array>(new Int32Array(0));
  const sorter = useMemo(() => new DepthOrder(), []);
  // bumped whenever positions or visibility change, so the next frame re-sorts
  const version = useRef(0);
  const writeColors = (n: number, lab: Int32Array, hide: ReadonlySet<number>, sel: ReadonlySet<number> = selected): void => {
    const attr = geometry.getAttribute('rgba') as THREE.BufferAttribute;
    const out = attr.array as Uint8Array;
    for (let i = 0; i < n; i++) {
      const c = Math.min(MAX_CLASSES - 1, Math.max(0, lab[i]));
      const white = sel.has(i);
      out[i * 4] = white ? 255 : palette[c * 4];
      out[i * 4 + 1] = white ? 255 : palette[c * 4 + 1];
      out[i * 4 + 2] = white ? 255 : palette[c * 4 + 2];
      out[i * 4 + 3] = hide.has(lab[i]) ? 0 : 255;
    }
    attr.clearUpdateRanges();
    attr.addUpdateRange(0, n * 4);
    attr.needsUpdate = true;
    version.current++;
    invalidate();
  };

  // A new snapshot: start the morph from wherever the points are drawn now.
  useLayoutEffect(() => {
    if (!frame) {
      geometry.setDrawRange(0, 0);
      if (live.current) live.current.n = 0;
      version.current++;
      invalidate();
      return;
    }
    const pos = geometry.getAttribute('position') as THREE.BufferAttribute;
    const from = geometry.getAttribute('from') as THREE.BufferAttribute;
    const to = pos.array as Float32Array;
    const fr = from.array as Float32Array;
    const prev = live.current;
    const prevN = prev && prev.to === to ? prev.n : 0;
    const m = ease(Math.min(1, progress.current));
    const centers = new Map(frame.classes.map((c) => [c.cls, c.center]));
    for (let i = 0; i < frame.n; i++) {
      const c = frame.labels[i];
      if (i < prevN && prev!.labels[i] === c) {
        // where point i is drawn now
        for (let k = 0; k < 3; k++) fr[i * 3 + k] = fr[i * 3 + k] + (to[i * 3 + k] - fr[i * 3 + k]) * m;
      } else {
        // a new point (or a new class) grows out of its class centre
        const ctr = centers.get(c) ?? [0, 0, 0];
        fr[i * 3] = ctr[0];
        fr[i * 3 + 1] = ctr[1];
        fr[i * 3 + 2] = ctr[2];
      }
    }
    to.set(frame.positions.subarray(0, frame.n * 3));
    pos.needsUpdate = true;
    from.needsUpdate = true;
    // upload only the used range
    for (const a of [pos, from]) {
      a.clearUpdateRanges();
      a.addUpdateRange(0, frame.n * 3);
    }
    labels.current = Int32Array.from(frame.labels);
    writeColors(frame.n, labels.current, hidden);
    progress.current = 0;
    material.uniforms.uMix.value = 0;
    live.current = { n: frame.n, from: fr, to, labels: labels.current, mix: 0, hidden: new Set(hidden) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [frame, geometry, material]);

  // Legend toggles and selections rewrite the colour bytes once (a click, not a frame).
  useEffect(() => {
    const n = live.current?.n ?? 0;
    if (n > 0) writeColors(n, labels.current, hidden, selected);
    if (live.current) live.current.hidden = new Set(hidden);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hidden, selected, live]);

  useEffect(() => {
    // point size in pixels at distance 1, relative to a 800 px tall view
    material.uniforms.uScale.value = (size.height / 800) * dpr * 4;
    invalidate();
  }, [size.height, dpr, material, invalidate]);

  useFrame((_, delta) => {
    if (progress.current >= 1) return;
    progress.current = Math.min(1, progress.current + Math.min(delta, 0.1) / MORPH_SECONDS);
    const m = ease(progress.current);
    material.uniforms.uMix.value = m;
    if (live.current) live.current.mix = m;
    if (progress.current < 1) invalidate(); // the morph wants the next frame too
  });

  // Sort just before the draw, when the renderer has updated the camera for this frame.
  const onBeforeRender = (_r: THREE.WebGLRenderer, _s: THREE.Scene, camera: THREE.Camera): void => {
    const L = live.current;
    const index = geometry.index;
    if (!L || !index || L.to !== geometry.getAttribute('position').array) {
      geometry.setDrawRange(0, 0);
      return;
    }
    const e = camera.matrixWorldInverse.elements;
    const rgba = geometry.getAttribute('rgba').array as Uint8Array;
    const out = index.array as Uint16Array | Uint32Array;
    const m = sorter.order(L.n, L.from, L.to, material.uniforms.uMix.value as number, rgba, e[2], e[6], e[10], version.current, out);
    if (m === null) return;
    geometry.setDrawRange(0, m);
    index.clearUpdateRanges();
    index.addUpdateRange(0, m);
    index.needsUpdate = true;
  };

  return <points geometry={geometry} material={material} frustumCulled={false} renderOrder={1} onBeforeRender={onBeforeRender} />;
}
