import { useFrame, useThree } from '@react-three/fiber';
import { useEffect, useMemo } from 'react';
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

export const HOME_POSITION = new THREE.Vector3(2.6, 1.9, 3.2);

/** Orbit and zoom with the mouse, keys from the parent (see SubspaceView), and a reset to the home view. */
export function CameraRig({
  resetKey,
  command,
  enabled = true,
}: {
  resetKey: number;
  command: React.RefObject<((c: CameraCommand) => void) | null>;
  /** mouse orbiting on or off (off while a lasso is drawn) */
  enabled?: boolean;
}): null {
  const camera = useThree((s) => s.camera);
  const gl = useThree((s) => s.gl);
  const invalidate = useThree((s) => s.invalidate);
  const controls = useMemo(() => {
    const c = new OrbitControls(camera, gl.domElement);
    c.enableDamping = true;
    c.dampingFactor = 0.12;
    c.minDistance = 0.5;
    c.maxDistance = 20;
    c.target.set(0, 0, 0);
    return c;
  }, [camera, gl]);

  useEffect(() => () => controls.dispose(), [controls]);
  useEffect(() => {
    controls.enabled = enabled;
  }, [controls, enabled]);

  // On-demand frames: the controls announce every camera change (drag, wheel, each damping step).
  useEffect(() => {
    const redraw = (): void => invalidate();
    controls.addEventListener('change', redraw);
    return () => controls.removeEventListener('change', redraw);
  }, [controls, invalidate]);

  useEffect(() => {
    camera.position.copy(HOME_POSITION);
    controls.target.set(0, 0, 0);
    controls.update();
    invalidate();
  }, [resetKey, camera, controls, invalidate]);

  // Keyboard commands rotate around the target, preallocated spherical to keep the frame loop garbage-free.
  const sph = useMemo(() => new THREE.Spherical(), []);
  const off = useMemo(() => new THREE.Vector3(), []);
  useEffect(() => {
    command.current = (cmd: CameraCommand) => {
      off.copy(camera.position).sub(controls.target);
      sph.setFromVector3(off);
      if (cmd === 'left') sph.theta -= 0.15;
      if (cmd === 'right') sph.theta += 0.15;
      if (cmd === 'up') sph.phi = Math.max(0.1, sph.phi - 0.15);
      if (cmd === 'down') sph.phi = Math.min(Math.PI - 0.1, sph.phi + 0.15);
      if (cmd === 'in') sph.radius = Math.max(controls.minDistance, sph.radius / 1.2);
      if (cmd === 'out') sph.radius = Math.min(controls.maxDistance, sph.radius * 1.2);
      off.setFromSpherical(sph);
      camera.position.copy(controls.target).add(off);
      controls.update();
      invalidate();
    };
    return () => {
      command.current = null;
    };
  }, [camera, controls, command, off, sph, invalidate]);

  // damping continues after the pointer is released; update() emits 'change' (→ another frame) until it settles
  useFrame(() => {
    controls.update();
  });
  return null;
}

export type CameraCommand = 'left' | 'right' | 'up' | 'down' | 'in' | 'out';
