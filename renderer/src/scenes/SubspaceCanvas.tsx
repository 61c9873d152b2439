import { Canvas } from '@react-three/fiber';
import { useRef } from 'react';
import { CameraRig, HOME_POSITION, type CameraCommand } from './CameraRig';
import { ClassAxes } from './ClassAxes';
import type { CloudFrame } from './cloudFrame';
import { HoverPicker, type HoverInfo } from './HoverPicker';
import { PointCloud, type CloudLive } from './PointCloud';

/** The R3F scene: point cloud, class axes, a floor grid for orientation, camera rig and hover picker. */
export function SubspaceCanvas({
  active = true,
  frame,
  hidden,
  showAxes,
  resetKey,
  command,
  onHover,
  children,
}: {
  active?: boolean;
  frame: CloudFrame | null;
  hidden: ReadonlySet<number>;
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
      frameloop={active ? 'always' : 'never'}
      camera={{ position: HOME_POSITION.toArray(), fov: 45, near: 0.01, far: 100 }}
      // no MSAA: points are discs cut in the fragment shader, which multisampling would not smooth anyway
      gl={{ antialias: false, powerPreference: 'high-performance' }}
      onCreated={({ gl }) => gl.setClearColor('#0d1117')}
    >
      <gridHelper args={[6, 12, '#2b3340', '#1b212b']} position={[0, -1.6, 0]} />
      <PointCloud frame={frame} hidden={hidden} live={live} />
      {showAxes && frame && <ClassAxes classes={frame.classes} hidden={hidden} />}
      {onHover && <HoverPicker live={live} onHover={onHover} />}
      <CameraRig resetKey={resetKey} command={command} />
      {children}
    </Canvas>
  );
}
