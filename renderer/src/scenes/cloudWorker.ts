/**
 * Snapshot → CloudFrame off the UI thread: decoding 5,000 × d floats and the d×d PCA take tens of
 * milliseconds for d ≈ 128, which would drop frames in the 3D view if done on the main thread.
 */
import type { SnapshotEvent } from '../../../preload/api';
import type { Projection } from '../lib/pca';
import { buildCloudFrame, decodeSnapshot, type ProjectionMode } from './cloudFrame';

export interface CloudRequest {
  id: number;
  snapshot: SnapshotEvent;
  mode: ProjectionMode;
  previous: Projection | null;
}

// DOM lib types `self` as Window; in a worker it is the dedicated worker scope
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<CloudRequest>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

scope.onmessage = (e) => {
  const { id, snapshot, mode, previous } = e.data;
  try {
    const frame = buildCloudFrame(decodeSnapshot(snapshot), mode, previous);
    scope.postMessage({ id, frame }, [frame.positions.buffer]);
  } catch (err) {
    scope.postMessage({ id, error: (err as Error).message }, []);
  }
};
