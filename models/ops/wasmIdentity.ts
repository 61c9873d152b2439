/**
 * A copy-free Identity for the wasm backend.
 *
 * TF.js saves every tensor a custom gradient keeps through `engine.clone`, i.e. the Identity kernel, and the wasm
 * backend's Identity copies the whole buffer on the heap (tfjs-backend-wasm 4.22, kernels/Identity.ts). In the CRATE
 * step that is 791 copies, 8 % of the time (`npm run bench -- models --profile`, 2026-12-07). The cpu backend's
 * Identity instead shares the data and counts a reference (`incRef`), and wasm's own Reshape does the same: tensors
 * on the wasm heap are never written after their kernel made them, so sharing is safe, and disposeData frees the
 * buffer when its last tensor goes.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelOverride } from './wasmOverride';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

function identity(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  // strings live off the heap and the library's kernel rebuilds them; keep its path for them
  if (x.dtype === 'string') return override.fallback(args);
  (args.backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const override = new KernelOverride('Identity', identity as tf.KernelFunc, () => {
  const backend = tf.findBackend('wasm') as unknown as Partial<RefCountingBackend> | null;
  return !!backend && typeof backend.incRef === 'function';
});

/** Puts the copy-free Identity in front of the wasm backend's (idempotent). False, changing nothing, without wasm. */
export function installWasmIdentity(): Promise<boolean> {
  return override.install();
}

/** Restores the library's copying Identity (for the benchmark's before/after and for tests). */
export function uninstallWasmIdentity(): void {
  override.uninstall();
}

/** True while the copy-free Identity is in front of the library's. */
export function wasmIdentityInstalled(): boolean {
  return override.installed;
}
