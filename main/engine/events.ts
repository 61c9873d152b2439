// Event fan-out with throttling: progress is capped per second so a window never receives more than it can draw;
// every other event (task results, knowledge, status, snapshots, reconstructions) is rare and passes through.
import type { LabEvent } from '../../preload/api';

export type Listener = (e: LabEvent) => void;

export class EventHub {
  private readonly listeners = new Set<Listener>();
  private lastProgress = 0;
  private pendingProgress: LabEvent | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly progressIntervalMs = 250) {}

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: LabEvent): void {
    if (e.type === 'progress') return this.emitProgress(e);
    // keep order: the last progress goes out before a status change or an activity (which a later progress clears)
    if (e.type === 'run-status' || e.type === 'task-result' || e.type === 'activity') this.flush();
    this.deliver(e);
  }

  /** Deliver the held-back progress event now (end of run, tests). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pendingProgress) {
      const p = this.pendingProgress;
      this.pendingProgress = null;
      this.lastProgress = Date.now();
      this.deliver(p);
    }
  }

  private emitProgress(e: LabEvent): void {
    const now = Date.now();
    if (now - this.lastProgress >= this.progressIntervalMs && !this.timer) {
      this.lastProgress = now;
      this.deliver(e);
      return;
    }
    this.pendingProgress = e;
    if (!this.timer) {
      const wait = Math.max(0, this.progressIntervalMs - (now - this.lastProgress));
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, wait);
      this.timer.unref?.();
    }
  }

  private deliver(e: LabEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a faulty subscriber must not stop training
      }
    }
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }
}

/** Float32Array → WireTensor base64 (little-endian, which every supported platform is). */
export function toWire(data: Float32Array, shape: number[]): { shape: number[]; b64: string } {
  return { shape, b64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

export function fromWire(w: { shape: number[]; b64: string }): Float32Array {
  const buf = Buffer.from(w.b64, 'base64');
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return new Float32Array(ab);
}
