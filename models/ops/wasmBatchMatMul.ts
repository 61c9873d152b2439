/**
 * A SIMD kernel for batched products on the TF.js wasm backend.
 *
 * TF.js 4.22's wasm BatchMatMul sends every product with a batch larger than one, or with a transpose flag, to a
 * plain scalar loop on one thread (tfjs-backend-wasm batch_mat_mul_impl.cc, `slow_batch_matmul`); only a single
 * flag-free product reaches XNNPACK. CRATE's attention is thousands of tiny products per step, (B·H, 17, 17)·
 * (B·H, 17, 32) and their gradients: measured 39 % of an mnist-s step at about 1.7 GFLOP/s (`npm run bench --
 * models --profile`). No kept library offers this product to TF.js (XNNPACK's batched GEMM is not in the
 * backend's build), so the lab carries one kernel, batchMatMul.wat.ts, compiled by wabt and run on the backend's
 * own heap (no copies). Everything else of BatchMatMul stays TF.js's: 2-D products (XNNPACK), other dtypes and
 * ranks go to the kernel it replaces.
 */
import * as tf from '@tensorflow/tfjs';
import { batchMatMulWat } from './batchMatMul.wat';
import { compileForWasmHeap, instanceFor, offsetOf, type HeapBackend, type WatSource } from './wasmHeap';
import { KernelOverride } from './wasmOverride';

interface KernelExports {
  bmm(a: number, b: number, c: number, batch: number, m: number, k: number, n: number, aBatch: number, aRow: number, aCol: number, bBatch: number): void;
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
}

const SOURCE: WatSource = { name: 'batchMatMul', text: batchMatMulWat };

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as Attrs;
  const backend = args.backend as HeapBackend;
  // 2-D products (and other ranks) stay with the library: flag-free ones reach XNNPACK, and its blocked loop is
  // quicker than a transpose for the one flagged 2-D shape the models use, the column sums (M, n)ᵀ·(M, 1)
  const [as3, bs3] = [a.shape, b.shape];
  const [batchA, batchB] = [as3[0], bs3[0]];
  const supported = as3.length === 3 && bs3.length === 3 && a.dtype === 'float32' && b.dtype === 'float32';
  const kernel = supported ? instanceFor<KernelExports>(SOURCE, backend) : null;
  const batched = Math.max(batchA, batchB) > 1 || transposeA || transposeB;
  if (!kernel || !batched || (batchA !== batchB && batchA !== 1 && batchB !== 1)) {
    return override.fallback(args);
  }
  const m = transposeA ? as3[2] : as3[1];
  const k = transposeA ? as3[1] : as3[2];
  const n = transposeB ? bs3[1] : bs3[2];
  const kb = transposeB ? bs3[2] : bs3[1];
  if (k !== kb) throw new Error(`BatchMatMul: inner dimensions ${k} and ${kb} differ (shapes [${a.shape}] and [${b.shape}])`);
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([batch, m, n], 'float32');
  // The kernel reads A and B by rows. A transposed operand is first transposed into scratch heap memory: reading
  // it in place would stride across whole rows per element (the flagged 2-D products are (8704, 128)ᵀ·(8704, 1)).
  const scratch: number[] = [];
  let pa = offsetOf(backend, a);
  let pb = offsetOf(backend, b);
  const pc = offsetOf(backend, out);
  try {
    if (transposeA) {
      scratch.push(backend.wasm._malloc(batchA * m * k * 4));
      kernel.transpose(pa, scratch[scratch.length - 1], batchA, k, m);
      pa = scratch[scratch.length - 1];
    }
    if (transposeB) {
      scratch.push(backend.wasm._malloc(batchB * k * n * 4));
      kernel.transpose(pb, scratch[scratch.length - 1], batchB, n, k);
      pb = scratch[scratch.length - 1];
    }
    const aBatch = batchA === 1 ? 0 : m * k * 4;
    const bBatch = batchB === 1 ? 0 : k * n * 4;
    kernel.bmm(pa, pb, pc, batch, m, k, n, aBatch, k * 4, 4, bBatch);
  } finally {
    for (const p of scratch) backend.wasm._free(p);
  }
  return out;
}

const override = new KernelOverride('BatchMatMul', batchMatMul as tf.KernelFunc, () => compileForWasmHeap(SOURCE));

/**
 * Puts the SIMD kernel in front of the wasm backend's BatchMatMul (call once the backend is active; idempotent).
 * Returns false, changing nothing, where the kernel cannot run (no wasm backend, no SIMD).
 */
export function installWasmBatchMatMul(): Promise<boolean> {
  return override.install();
}

/** Restores the library's kernel (for the benchmark's before/after and for tests). */
export function uninstallWasmBatchMatMul(): void {
  override.uninstall();
}

/** True while the SIMD kernel is in front of the library's. */
export function wasmBatchMatMulInstalled(): boolean {
  return override.installed;
}
