/**
 * Kernels the TF.js 4.22 wasm backend lacks but our gradients need, registered in plain JS.
 *
 * `UnsortedSegmentSum` is the gradient of `gather` (used by the rate-reduction losses to pick class rows);
 * without it every backward pass through a gather throws on wasm. Registration is idempotent, only fills a
 * gap (never replaces a native kernel) and chooses no backend.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmLikeBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }) {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const backend = args.backend as WasmLikeBackend;
  const values = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  const rows = ids.length;
  const inner = rows === 0 ? 0 : values.length / rows;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = backend.makeOutput(outShape, x.dtype);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = ids[r];
    if (s < 0 || s >= numSegments) continue; // TF semantics: out-of-range ids are dropped
    const src = r * inner;
    const dst = s * inner;
    for (let i = 0; i < inner; i++) o[dst + i] += values[src + i];
  }
  return out;
}

export function registerWasmPolyfills(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') == null) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as tf.KernelFunc });
  }
}

registerWasmPolyfills();
