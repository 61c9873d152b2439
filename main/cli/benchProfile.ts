/**
 * Where the time of one closed-loop step goes, kernel by kernel (`npm run bench -- models --profile`).
 *
 * tf.profile records every kernel with its own timer. Composite entries (a custom gradient's "unnamed scope",
 * named scopes) contain kernels that are recorded too, so only kernels registered for the backend are summed;
 * what the leaves do not cover is host work: the float64 Cholesky of the rate-reduction Grams, their host
 * reads and uploads, and TF.js's own bookkeeping. Batched products are split from 2-D ones because the wasm
 * backend runs them on different paths (XNNPACK for a 2-D product without transpose flags, a plain loop
 * otherwise: tfjs-backend-wasm batch_mat_mul_impl.cc).
 */
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../models/crate/config';
import { LoopState, closedLoopStep } from '../../models/training/closedLoop';
import { resolveLoopConfig } from '../../models/training/config';

/** One row of the per-kernel profile: total time of a kernel name over one step. */
export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
}

/** A kernel's name, with BatchMatMul split by the path wasm takes for it. */
function kernelLabel(name: string, inputShapes: (number[] | null)[]): string {
  if (name !== 'BatchMatMul' && name !== '_FusedMatMul') return name;
  const batched = inputShapes.some((s) => s !== null && s.length === 3 && s[0] > 1);
  return `${name} (${batched ? 'batched' : '2-D'})`;
}

/** Profiles one step after a warm-up step: kernels slowest first, and the host time they leave. */
export async function profileStep(presetName: string, numClasses = 10): Promise<{ wallMs: number; kernels: KernelTime[] }> {
  const cfg = resolveConfig(presetName);
  const state = new LoopState(cfg, resolveLoopConfig(), 0);
  const n = cfg.batchSize;
  const x = tf.randomUniform([n, ...cfg.imageShape], -1, 1, 'float32', 1) as tf.Tensor4D;
  const labels = Int32Array.from({ length: n }, (_, i) => i % numClasses);
  try {
    await closedLoopStep(state, x, labels, numClasses);
    const leaves = new Set(tf.getKernelsForBackend(tf.getBackend()).map((k) => k.kernelName));
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await closedLoopStep(state, x, labels, numClasses);
    });
    const wallMs = performance.now() - t0;
    const byLabel = new Map<string, KernelTime>();
    let kernelMs = 0;
    for (const k of info.kernels) {
      if (!leaves.has(k.name)) continue;
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const label = kernelLabel(k.name, k.inputShapes);
      const row = byLabel.get(label) ?? { kernel: label, ms: 0, calls: 0 };
      row.ms += ms;
      row.calls += 1;
      byLabel.set(label, row);
      kernelMs += ms;
    }
    const kernels = [...byLabel.values()].sort((a, b) => b.ms - a.ms);
    kernels.push({ kernel: 'host (Cholesky in float64, reads, uploads, TF.js bookkeeping)', ms: Math.max(0, wallMs - kernelMs), calls: 0 });
    return { wallMs, kernels };
  } finally {
    state.dispose();
    x.dispose();
  }
}
