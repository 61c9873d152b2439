// What the engine's process holds at a task end, for the task record (issue 15, item 4: no growth across tasks).
// Without a collection first, the JS heap and RSS read whatever garbage V8 has not yet swept, which varies with GC
// timing by tens of MB per task (the CI failure of 2026-12-07: 25 MB/task unforced, 4 MB/task after a collection).
// So when the process exposes `gc` (node --expose-gc, or a test that enables it) we collect before reading; normal
// runs don't expose it and pay nothing.
import * as tf from '@tensorflow/tfjs';

export interface MemoryProbe {
  /** peak resident memory of the process so far, bytes */
  peakRssBytes: number;
  /** resident memory now, bytes */
  rssBytes: number;
  /** JS heap in use plus ArrayBuffers (typed arrays such as the memory's features, the wasm heap) now, bytes; after a
   *  collection when `gc` is exposed. heapUsed alone would miss a leak of typed arrays: their stores live off the heap. */
  heapBytes: number;
  /** live TF.js tensors */
  tensors: number;
}

export function probeMemory(): MemoryProbe {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
  const now = process.memoryUsage();
  return {
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    rssBytes: now.rss,
    heapBytes: now.heapUsed + now.arrayBuffers,
    tensors: tf.memory().numTensors,
  };
}
