/**
 * One of the wasm package's kernels with the lab's own in front of it (wasmBatchMatMul.ts, wasmIdentity.ts,
 * wasmTranspose.ts): install, uninstall (the benchmark's before/after and the tests), and the package's kernel for
 * the cases the lab's does not take.
 */
import * as tf from '@tensorflow/tfjs';

export class KernelOverride {
  private original: tf.KernelConfig | null = null;

  /** `prepare` says whether the lab's kernel can run here (e.g. compiles its WebAssembly); false leaves the package's. */
  constructor(
    private readonly kernelName: string,
    private readonly kernelFunc: tf.KernelFunc,
    private readonly prepare: () => boolean | Promise<boolean>,
  ) {}

  /** Puts the lab's kernel in front of the package's (call once the backend is active; idempotent). */
  async install(): Promise<boolean> {
    if (this.original) return true;
    const config = tf.getKernel(this.kernelName, 'wasm');
    if (!config || !(await this.prepare())) return false;
    this.original = config;
    tf.unregisterKernel(this.kernelName, 'wasm');
    tf.registerKernel({ kernelName: this.kernelName, backendName: 'wasm', kernelFunc: this.kernelFunc });
    return true;
  }

  /** Restores the package's kernel. */
  uninstall(): void {
    if (!this.original) return;
    tf.unregisterKernel(this.kernelName, 'wasm');
    tf.registerKernel(this.original);
    this.original = null;
  }

  /** True while the lab's kernel is in front. */
  get installed(): boolean {
    return this.original !== null;
  }

  /** The package's kernel on the same arguments. */
  fallback(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
    return this.original!.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
}
