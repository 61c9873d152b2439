/**
 * Fused LayerNorm kernels for the TF.js wasm backend: the forward pass (y, x̂, r) and the backward pass (dx, dg, db)
 * each in one kernel, layerNorm.wat.ts, instead of the 9 and 13 TF.js ops of the composite (models/crate/layerNorm.ts).
 *
 * Why: after the batched product and the Identity copies, LayerNorm's small elementwise ops and row means were the
 * largest share of an mnist-s step that was not a 2-D product (Mean, Multiply, Sub, Add, Square and the column-sum
 * products: about 650 ms of 2.3 s, `npm run bench -- models --profile`, 2026-12-07), each a full pass over the
 * (B·N, d) tokens. No kept library offers a fused LayerNorm to TF.js's wasm backend, so the lab carries one, like
 * its batched product. Registered under the lab's own kernel names; models/crate/layerNorm.ts uses them when the
 * active backend is wasm and they are installed, and the composite otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { layerNormWat } from './layerNorm.wat';
import { compileForWasmHeap, instanceFor, offsetOf, type HeapBackend, type WatSource } from './wasmHeap';

export const LAYER_NORM_KERNEL = 'CrateLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'CrateLayerNormGrad';

interface KernelExports {
  forward(x: number, g: number, b: number, y: number, xh: number, r: number, rows: number, d: number, eps: number): void;
  backward(dy: number, xh: number, r: number, g: number, dx: number, dg: number, db: number, rows: number, d: number, weights: number): void;
}

const SOURCE: WatSource = { name: 'layerNorm', text: layerNormWat };

function kernelOf(backend: HeapBackend): KernelExports {
  const k = instanceFor<KernelExports>(SOURCE, backend);
  // registered only after compiling for this heap's kind, so this is a broken invariant, not a user error
  if (!k) throw new Error('wasm LayerNorm kernel used before it was compiled for this heap');
  return k;
}

function checkRows(what: string, x: tf.TensorInfo, vectors: tf.TensorInfo[]): { rows: number; d: number } {
  const d = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || vectors.some((v) => v.dtype !== 'float32' || v.shape.length !== 1 || v.shape[0] !== d)) {
    throw new Error(`${what}: expected float32 (…, ${d}) rows and float32 (${d}) vectors, got [${x.shape}] and ${vectors.map((v) => `[${v.shape}]`).join(', ')}`);
  }
  return { rows: d === 0 ? 0 : tf.util.sizeFromShape(x.shape) / d, d };
}

function forwardKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { x, g, b } = args.inputs as { x: tf.TensorInfo; g: tf.TensorInfo; b: tf.TensorInfo };
  const { eps } = args.attrs as unknown as { eps: number };
  const backend = args.backend as HeapBackend;
  const { rows, d } = checkRows(LAYER_NORM_KERNEL, x, [g, b]);
  const y = backend.makeOutput(x.shape, 'float32');
  const xh = backend.makeOutput(x.shape, 'float32');
  const r = backend.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
  const o = (t: tf.TensorInfo) => offsetOf(backend, t);
  if (rows > 0) kernelOf(backend).forward(o(x), o(g), o(b), o(y), o(xh), o(r), rows, d, eps);
  return [y, xh, r];
}

function backwardKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { dy, xhat, r, g } = args.inputs as { dy: tf.TensorInfo; xhat: tf.TensorInfo; r: tf.TensorInfo; g: tf.TensorInfo };
  const { weights } = args.attrs as unknown as { weights: boolean };
  const backend = args.backend as HeapBackend;
  const { rows, d } = checkRows(LAYER_NORM_GRAD_KERNEL, dy, [g]);
  const dx = backend.makeOutput(dy.shape, 'float32');
  const dg = backend.makeOutput([d], 'float32');
  const db = backend.makeOutput([d], 'float32');
  const o = (t: tf.TensorInfo) => offsetOf(backend, t);
  kernelOf(backend).backward(o(dy), o(xhat), o(r), o(g), o(dx), o(dg), o(db), rows, d, weights ? 1 : 0);
  return [dx, dg, db];
}

/**
 * Registers the fused kernels for the wasm backend (call once the backend is active; idempotent). Returns false,
 * registering nothing, where they cannot run (no wasm backend, no SIMD).
 */
export async function installWasmLayerNorm(): Promise<boolean> {
  if (wasmLayerNormInstalled()) return true;
  // e.g. a runtime without wasm SIMD: the composite LayerNorm stays
  if (!(await compileForWasmHeap(SOURCE))) return false;
  tf.registerKernel({ kernelName: LAYER_NORM_KERNEL, backendName: 'wasm', kernelFunc: forwardKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: LAYER_NORM_GRAD_KERNEL, backendName: 'wasm', kernelFunc: backwardKernel as unknown as tf.KernelFunc });
  return true;
}

/** Removes the fused kernels: LayerNorm falls back to the composite (for the benchmark's before/after and tests). */
export function uninstallWasmLayerNorm(): void {
  if (!wasmLayerNormInstalled()) return;
  tf.unregisterKernel(LAYER_NORM_KERNEL, 'wasm');
  tf.unregisterKernel(LAYER_NORM_GRAD_KERNEL, 'wasm');
}

export function wasmLayerNormInstalled(): boolean {
  return tf.getKernel(LAYER_NORM_KERNEL, 'wasm') != null;
}

/** True when layerNorm should take the fused kernels: the active backend is wasm and they are installed. */
export function fusedLayerNormActive(): boolean {
  return tf.getBackend() === 'wasm' && wasmLayerNormInstalled();
}

/** y, x̂ and r = (σ² + eps)^-½ (…, 1) of LayerNorm over the last axis, in one kernel. */
export function fusedLayerNormForward(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(LAYER_NORM_KERNEL, { x, g, b }, { eps }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/** dx, and dg, db (zeros unless `weights`), of LayerNorm from dy and the forward pass's x̂ and r, in one kernel. */
export function fusedLayerNormBackward(dy: tf.Tensor, xhat: tf.Tensor, r: tf.Tensor, g: tf.Tensor, weights: boolean): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, { dy, xhat, r, g }, { weights }) as unknown as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}
