/**
 * What the lab's own wasm kernels (wasmBatchMatMul.ts, wasmLayerNorm.ts) share: the TF.js wasm backend's heap, and
 * WebAssembly text compiled by wabt into a module that imports that heap as `env.memory`. A module is compiled once
 * per kind of heap (shared memory in the threaded build, plain otherwise) and instantiated once per heap (a backend
 * re-created after tf.removeBackend has a new one).
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
export interface HeapBackend {
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  wasm: { wasmMemory?: object; asm?: { memory?: object }; _malloc(bytes: number): number; _free(ptr: number): void };
}

// WebAssembly, typed locally: models/ compiles without DOM types.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type WabtModule = {
  parseWat(name: string, text: string, features: Record<string, boolean>): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
};

/** A kernel module: a name and its WebAssembly text for a shared or a plain heap. */
export interface WatSource {
  name: string;
  text(sharedMemory: boolean): string;
}

const compiled = new Map<string, object>();
const instances = new Map<string, WeakMap<object, unknown>>();

const key = (src: WatSource, shared: boolean) => `${src.name}/${shared ? 'shared' : 'plain'}`;

/** The backend's heap (a WebAssembly.Memory), or null when it exposes none. */
export function heapOf(backend: HeapBackend): object | null {
  return backend.wasm.wasmMemory ?? backend.wasm.asm?.memory ?? null;
}

export function isShared(memory: object): boolean {
  const buffer = (memory as { buffer: ArrayBufferLike }).buffer;
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/** Compiles `src` for a shared or a plain heap (wabt, once per kind); throws where SIMD is not supported. */
export async function compileWat(src: WatSource, sharedMemory: boolean): Promise<object> {
  const have = compiled.get(key(src, sharedMemory));
  if (have) return have;
  const init = ((await import('wabt')) as unknown as { default: () => Promise<WabtModule> }).default;
  const wabt = await init();
  const parsed = wabt.parseWat(`${src.name}.wat`, src.text(sharedMemory), { simd: true, threads: sharedMemory });
  try {
    const module = new webAssembly.Module(parsed.toBinary({}).buffer);
    compiled.set(key(src, sharedMemory), module);
    return module;
  } finally {
    parsed.destroy();
  }
}

/** The wasm backend when it is registered and exposes a heap, with that heap; else null. */
export function wasmHeapBackend(): { backend: HeapBackend; memory: object } | null {
  const backend = tf.findBackend('wasm') as unknown as HeapBackend | null;
  const memory = backend ? heapOf(backend) : null;
  return backend && memory ? { backend, memory } : null;
}

/** Compiles `src` for the wasm backend's heap; false where there is none or it cannot compile (no SIMD). */
export async function compileForWasmHeap(src: WatSource): Promise<boolean> {
  const heap = wasmHeapBackend();
  if (!heap) return false;
  try {
    await compileWat(src, isShared(heap.memory));
    return true;
  } catch {
    return false;
  }
}

/** The exports of `src` instantiated on this backend's heap; null before compileWat succeeded for its kind. */
export function instanceFor<T>(src: WatSource, backend: HeapBackend): T | null {
  const memory = heapOf(backend);
  if (!memory) return null;
  let perHeap = instances.get(src.name);
  if (!perHeap) instances.set(src.name, (perHeap = new WeakMap()));
  let k = perHeap.get(memory) as T | undefined;
  if (!k) {
    const module = compiled.get(key(src, isShared(memory)));
    if (!module) return null;
    k = new webAssembly.Instance(module, { env: { memory } }).exports as T;
    perHeap.set(memory, k);
  }
  return k;
}

/** Byte offset of a tensor's data on the heap. */
export function offsetOf(backend: HeapBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
