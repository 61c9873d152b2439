/**
 * Faster transposes for the TF.js wasm backend: 2-D (and batched 2-D) transposes in 4×4 SIMD tiles, and the
 * attention head split (B, N, H, dh) ↔ (B, H, N, dh) as block copies (transpose.wat.ts).
 *
 * Why: with the batched product, LayerNorm and Identity taken care of, Transpose was 10 % of an mnist-s step (310
 * calls, 206 ms, `npm run bench -- models --profile`, 2026-12-07): the package's kernel moves one float at a time
 * with index arithmetic, about 1.3 GB/s for the (8704, 128) activations that every dense layer's weight gradient
 * transposes. No kept library offers TF.js's wasm backend another transpose, so the lab carries one beside its
 * batched product. Other permutations, dtypes and shapes go to the package's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { transposeWat } from './transpose.wat';
import { compileForWasmHeap, instanceFor, offsetOf, type HeapBackend, type WatSource } from './wasmHeap';
import { KernelOverride } from './wasmOverride';

interface KernelExports {
  transpose2d(src: number, dst: number, batch: number, rows: number, cols: number): void;
  transposeBlocks(src: number, dst: number, batch: number, rows: number, cols: number, elem: number): void;
}

const SOURCE: WatSource = { name: 'transpose', text: transposeWat };

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The kernel call for a permutation it handles: (batch, rows, cols, elem), elem = 1 for a plain transpose. */
function plan(shape: readonly number[], perm: readonly number[]): [number, number, number, number] | null {
  if (shape.length === 2 && same(perm, [1, 0])) return [1, shape[0], shape[1], 1];
  if (shape.length === 3 && same(perm, [0, 2, 1])) return [shape[0], shape[1], shape[2], 1];
  if (shape.length === 4 && same(perm, [0, 2, 1, 3]) && shape[3] % 4 === 0) return [shape[0], shape[1], shape[2], shape[3]];
  return null;
}

function transpose(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { perm } = args.attrs as unknown as { perm: number[] };
  const backend = args.backend as HeapBackend;
  const p = x.dtype === 'float32' ? plan(x.shape, perm) : null;
  const kernel = p ? instanceFor<KernelExports>(SOURCE, backend) : null;
  if (!p || !kernel) return override.fallback(args);
  const out = backend.makeOutput(perm.map((i) => x.shape[i]), 'float32');
  const [batch, rows, cols, elem] = p;
  if (batch * rows * cols * elem === 0) return out;
  if (elem === 1) kernel.transpose2d(offsetOf(backend, x), offsetOf(backend, out), batch, rows, cols);
  else kernel.transposeBlocks(offsetOf(backend, x), offsetOf(backend, out), batch, rows, cols, elem);
  return out;
}

const override = new KernelOverride('Transpose', transpose as tf.KernelFunc, () => compileForWasmHeap(SOURCE));

/**
 * Puts the SIMD transposes in front of the wasm backend's Transpose (call once the backend is active; idempotent).
 * Returns false, changing nothing, where they cannot run (no wasm backend, no SIMD).
 */
export function installWasmTranspose(): Promise<boolean> {
  return override.install();
}

/** Restores the package's kernel (for the benchmark's before/after and for tests). */
export function uninstallWasmTranspose(): void {
  override.uninstall();
}

export function wasmTransposeInstalled(): boolean {
  return override.installed;
}
