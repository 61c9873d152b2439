import { Canvas, useThree } from '@react-three/fiber';
import { useEffect, useRef } from 'react';
import { CameraRig, HOME_POSITION, type CameraCommand } from './CameraRig';
import { ClassAxes } from './ClassAxes';
import type { CloudFrame } from './cloudFrame';
import { HoverPicker, type HoverInfo } from './HoverPicker';
import { PointCloud, type CloudLive } from './PointCloud';

/**
 * The R3F scene: point cloud, class axes, a floor grid for orientation, camera rig and hover picker.
 *
 * Frames are drawn on demand: whatever changes the picture (a snapshot or legend change, a morph in
 * progress, the camera moving or damping, the pointer for hover) calls invalidate(), so a still view
 * costs no frames at all, which matters on machines where the UI shares the CPU with training.
 */
export function SubspaceCanvas({
  active = true,
  frame,
  hidden,
  selected,
  showAxes,
  resetKey,
  command,
  onHover,
  lasso,
  orbit = true,
  children,
}: {
  active?: boolean;
  frame: CloudFrame | null;
  hidden: ReadonlySet<number>;
  selected?: ReadonlySet<number>;
  lasso?: React.RefObject<((polygon: [number, number][]) => number[]) | null>;
  /** false while the lasso is drawn: the drag selects instead of orbiting */
  orbit?: boolean;
  showAxes: boolean;
  resetKey: number;
  command: React.RefObject<((c: CameraCommand) => void) | null>;
  onHover?: (h: HoverInfo | null) => void;
  children?: React.ReactNode;
}): React.JSX.Element {
  const live = useRef<CloudLive | null>(null);
  return (
    <Canvas
      className="subspace-canvas"
      dpr={[1, 2]}
      frameloop={active ? 'demand' : 'never'}
      camera={{ position: HOME_POSITION.toArray(), fov: 45, near: 0.01, far: 100 }}
      // No MSAA (the point discs smooth their own rims in the fragment shader) and no depth buffer: the
      // points are painted back to front (PointCloud), the grid first, the axes and hover marker last.
      gl={{ antialias: false, depth: false, stencil: false, powerPreference: 'high-performance' }}
      onCreated={({ gl }) => gl.setClearColor('#0d1117')}
    >
      <gridHelper args={[6, 12, '#2b3340', '#1b212b']} position={[0, -1.6, 0]} />
      <PointCloud frame={frame} hidden={hidden} selected={selected} live={live} />
      {showAxes && frame && <ClassAxes classes={frame.classes} hidden={hidden} />}
      {onHover && <HoverPicker live={live} onHover={onHover} lasso={lasso} />}
      <CameraRig resetKey={resetKey} command={command} enabled={orbit} />
      <RedrawOnResume />
      {children}
    </Canvas>
  );
}

/** One frame when the view becomes active again (frameloop 'never' → 'demand'), e.g. on a tab switch. */
function RedrawOnResume(): null {
  const frameloop = useThree((s) => s.frameloop);
  const invalidate = useThree((s) => s.invalidate);
  useEffect(() => {
    if (frameloop !== 'never') invalidate();
  }, [frameloop, invalidate]);
  return null;
}
