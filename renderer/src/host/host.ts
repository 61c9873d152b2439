import type { LabApi } from '../../../preload/api';

/**
 * The renderer talks to a Host, never to window.crateLab directly (STYLE rule 8): the same UI then runs
 * in Electron (ElectronHost) and in a browser tab against `crate-lab serve` (WebSocketHost); the renderer's tests
 * use a fake (test/renderer/fakes/memoryHost.ts, kind 'memory').
 */

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Host extends LabApi {
  readonly kind: 'electron' | 'web' | 'memory';
  /** Connection to the engine side; Electron and memory hosts are always 'open'. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  connectionState(): ConnectionState;
}

export type Listener<T> = (v: T) => void;

/** A tiny listener set; each subscription returns its own unsubscribe. */
export class Emitter<T> {
  private listeners = new Set<Listener<T>>();
  on(l: Listener<T>): () => void {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }
  emit(v: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(v);
      } catch (err) {
        // one broken listener must not starve the others of events
        console.error('event listener failed', err);
      }
    }
  }
  get size(): number {
    return this.listeners.size;
  }
}
