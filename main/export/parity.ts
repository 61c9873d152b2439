/**
 * The parity check: every exported ONNX model is run in onnxruntime-node and compared with the lab's TF.js model on the
 * same inputs. An export is only published when features and images agree to `tolerance` (max abs error) and the
 * classifier predicts the same labels.
 */
import * as ort from 'onnxruntime-node';

export const PARITY_TOLERANCE = 1e-4;
export const PARITY_INPUTS = 256;

export interface ParityEntry {
  model: string;
  maxAbsError: number;
  labelsEqual: boolean | null;
  ok: boolean;
}

export type OrtOutputs = Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>;

/** Run a serialised ONNX model once on float32 inputs. */
export async function runOnnx(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<OrtOutputs> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.dims);
    const out = await session.run(inputs);
    const res: OrtOutputs = {};
    for (const [k, t] of Object.entries(out)) res[k] = { data: t.data as Float32Array | BigInt64Array, dims: t.dims };
    return res;
  } finally {
    await session.release();
  }
}

/** Largest |a−b|; Infinity when lengths differ or any value is not finite, so a NaN can never pass. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!Number.isFinite(d)) return Infinity;
    if (d > m) m = d;
  }
  return m;
}

export function sameLabels(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Number(a[i]) !== Number(b[i])) return false;
  return true;
}

export function parityEntry(model: string, maxAbsError: number, labelsEqual: boolean | null, tolerance: number): ParityEntry {
  return { model, maxAbsError, labelsEqual, ok: maxAbsError <= tolerance && labelsEqual !== false };
}

export function describeFailures(entries: ParityEntry[], tolerance: number): string {
  return entries
    .filter((e) => !e.ok)
    .map((e) =>
      e.labelsEqual === false
        ? `${e.model}: predicted labels differ from the lab's (max abs error ${e.maxAbsError.toExponential(2)})`
        : `${e.model}: max abs error ${e.maxAbsError.toExponential(2)} > ${tolerance}`,
    )
    .join('; ');
}
