import { useEffect, useRef, useState } from 'react';
import type { SnapshotEvent } from '../../../preload/api';
import type { Projection } from '../lib/pca';
import { buildCloudFrame, decodeSnapshot, type CloudFrame, type ProjectionMode } from './cloudFrame';
import type { CloudRequest } from './cloudWorker';

type Reply = { id: number; frame?: CloudFrame; error?: string };

/**
 * The frame for the current snapshot and projection, computed in a worker (synchronously where
 * workers are unavailable). Results of superseded requests are dropped; the previous PCA axes are
 * passed along so the picture keeps its orientation from one snapshot to the next.
 */
export function useCloudFrame(snapshot: SnapshotEvent | null, mode: ProjectionMode): { frame: CloudFrame | null; error: string | null } {
  const [state, setState] = useState<{ frame: CloudFrame | null; error: string | null }>({ frame: null, error: null });
  const worker = useRef<Worker | null>(null);
  const seq = useRef(0);
  const prev = useRef<Projection | null>(null);
  const modeKey = JSON.stringify(mode);

  useEffect(() => {
    let w: Worker | null = null;
    try {
      w = new Worker(new URL('./cloudWorker.ts', import.meta.url), { type: 'module' });
    } catch {
      w = null; // e.g. a CSP or environment without workers: compute inline
    }
    worker.current = w;
    return () => {
      w?.terminate();
      worker.current = null;
    };
  }, []);

  useEffect(() => {
    if (!snapshot) {
      setState({ frame: null, error: null });
      return;
    }
    const id = ++seq.current;
    const done = (r: Reply): void => {
      if (r.id !== seq.current) return;
      if (r.frame) {
        if (mode.kind === 'pca') prev.current = r.frame.projection;
        setState({ frame: r.frame, error: null });
      } else setState({ frame: null, error: `The engine sent a snapshot this view cannot read: ${r.error}` });
    };
    const inline = (): void => {
      try {
        done({ id, frame: buildCloudFrame(decodeSnapshot(snapshot), mode, mode.kind === 'pca' ? prev.current : null) });
      } catch (e) {
        done({ id, error: (e as Error).message });
      }
    };
    const w = worker.current;
    if (!w) return inline();
    const onMessage = (e: MessageEvent<Reply>): void => {
      if (e.data.id !== id) return;
      w.removeEventListener('message', onMessage);
      done(e.data);
    };
    const onError = (): void => {
      w.removeEventListener('error', onError);
      worker.current = null; // the worker failed to load: fall back for good
      inline();
    };
    w.addEventListener('message', onMessage);
    w.addEventListener('error', onError);
    const req: CloudRequest = { id, snapshot, mode, previous: mode.kind === 'pca' ? prev.current : null };
    w.postMessage(req);
    return () => {
      w.removeEventListener('message', onMessage);
      w.removeEventListener('error', onError);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [snapshot, modeKey]);

  return state;
}
