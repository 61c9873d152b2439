/**
 * The TF.js wasm backend on every core of this machine, in Node.
 *
 * @tensorflow/tfjs-backend-wasm ships a threaded SIMD build (XNNPACK on a pthreadpool of emscripten workers) but
 * never uses it in Node: its feature test answers "no threads" whenever it runs in Node (tfjs issue #3830),
 * because its loader hands emscripten a Blob URL for the worker script and the main script, which Node's
 * worker_threads cannot start. So the engine ran on one core while PyTorch used both.
 *
 * This module registers the `wasm` backend with that same threaded build, loaded the way emscripten expects in
 * Node: the worker script (which the package carries as a string) written to a file, the main script by path.
 * Two more details, both through emscripten's documented Module hooks:
 * - `instantiateWasm`: the library caps its pool at emscripten_num_logical_cores() / 2 (it assumes two hardware
 *   threads per core); we answer that import so the cap is the thread count asked for, not half the cores.
 * - kernels: the BackendWasm class and every registered kernel are the library's own, unchanged; only the module
 *   underneath differs. The pool size is fixed when the backend is created, once per process.
 *
 * The arithmetic is XNNPACK's either way; thread count changes how output tiles are shared out, not the sum
 * order inside a tile, so results are identical with 1 and N threads (test/engine/wasmThreads.test.ts).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const nodeRequire = createRequire(import.meta.url);

/** emscripten pre-creates this many workers in this build (cc/BUILD); more threads than that cannot start. */
export const MAX_WASM_THREADS = 8;

/** A Node worker_threads Worker as emscripten keeps them (unref: it no longer holds the process open). */
interface PthreadWorker {
  unref?(): void;
}
interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  tfjs?: unknown;
  PThread?: { unusedWorkers: PthreadWorker[]; runningWorkers: PthreadWorker[]; getNewWorker(): PthreadWorker | undefined };
}
type Factory = (config: object) => Promise<EmscriptenModule>;
interface WasmImports {
  env: Record<string, unknown>;
  [k: string]: unknown;
}

// WebAssembly, typed locally: the node project's lib has no DOM types, and these two are all we need.
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: object) => { exports: object };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let registered: { threads: number } | null = null;
let wasmModule: { getThreadsCount(): number } | null = null;
/** Why the threaded build could not start, when it could not (the backend then runs the package's own build). */
let fallbackReason: string | null = null;

/** Threads to use when none are asked for: every logical core, up to the pool the build carries. */
export function defaultWasmThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_WASM_THREADS, cores));
}

/** The thread count a `CRATE_WASM_THREADS` value asks for, or null when unset; a bad value is an error. */
export function threadsFromEnv(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`CRATE_WASM_THREADS must be a whole number from 1 to ${MAX_WASM_THREADS}, got "${value}"`);
  }
  return n;
}

/**
 * Lets the process end while the pool's workers live. emscripten unrefs a worker in Node only when its "loaded"
 * message arrives, and the worker that the pool's first thread starts on is taken before that: it stayed
 * referenced, so `lab train` on 2 threads printed its summary and never exited (found 2026-12-07; the tests ran on
 * one thread and a probe that called process.exit). The main thread never waits for a worker asynchronously (the
 * pool joins on atomics inside each kernel), so no work is lost when the loop empties.
 */
function unrefWorkers(module: EmscriptenModule): void {
  const pthread = module.PThread;
  if (!pthread) return;
  for (const w of [...pthread.unusedWorkers, ...pthread.runningWorkers]) w.unref?.();
  const getNewWorker = pthread.getNewWorker.bind(pthread);
  pthread.getNewWorker = () => {
    const w = getNewWorker();
    w?.unref?.();
    return w;
  };
}

function wasmOutDir(): string {
  return path.dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
}

/** The worker script on disk, once per process (emscripten starts its workers from a path in Node). */
function writeWorkerScript(outDir: string): string {
  const { wasmWorkerContents } = nodeRequire(path.join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-lab-wasm-'));
  const file = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  // The package keeps the script in a template literal, where the "\n" inside its string literals became real
  // line breaks; the library's own loader escapes them back the same way before making its Blob.
  fs.writeFileSync(file, wasmWorkerContents.replace(/\n/g, '\\n'));
  // Workers read the file when they start, all of them while the module loads; nothing needs it afterwards.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

async function createThreadedModule(threads: number): Promise<EmscriptenModule> {
  const outDir = wasmOutDir();
  const mainScript = path.join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const wasmFile = path.join(outDir, 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerScript = writeWorkerScript(outDir);
  const factory = nodeRequire(mainScript) as Factory;
  // compiled ahead (asynchronously), instantiated inside emscripten's hook
  const compiled = await webAssembly.compile(fs.readFileSync(wasmFile));
  const module = await factory({
    mainScriptUrlOrBlob: mainScript,
    locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? workerScript : file.endsWith('.wasm') ? wasmFile : prefix + file),
    instantiateWasm: (imports: WasmImports, receive: (instance: object, module: object) => void) => {
      // "logical cores" = 2 × threads, so the library's cores / 2 cap lets exactly `threads` through. Synchronous,
      // so that a failure throws here and emscripten rejects the factory (registerWasmBackend then falls back).
      const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
      const instance = new webAssembly.Instance(compiled, { ...imports, env }) as { exports: object };
      receive(instance, compiled);
      return instance.exports;
    },
  });
  // The same bridge the library's init() builds (backend_wasm.ts); BackendWasm's constructor calls these.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * Replaces the package's `wasm` registration with the threaded one, `threads` wide (1 keeps the package's own
 * single-threaded SIMD build). Once per process: the first call decides; later calls return what it set.
 */
export async function registerWasmBackend(threads: number): Promise<{ threads: number }> {
  if (registered) return registered;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be a whole number from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasmModule = wasm;
  const original = (tf.engine() as unknown as { registryFactory: Record<string, { factory: () => Promise<tf.KernelBackend> } | undefined> }).registryFactory.wasm;
  if (threads > 1 && original) {
    tf.removeBackend('wasm');
    tf.registerBackend(
      'wasm',
      async () => {
        try {
          const module = await createThreadedModule(threads);
          const backend = new wasm.BackendWasm(module as never); // starts the pool
          unrefWorkers(module);
          return backend;
        } catch (e) {
          // e.g. a runtime without shared wasm memory: one core is slower, not wrong
          fallbackReason = e instanceof Error ? e.message : String(e);
          wasm.setThreadsCount(1);
          return original.factory();
        }
      },
      2,
    );
    wasm.setThreadsCount(threads);
  }
  registered = { threads };
  return registered;
}

/** Threads the active wasm backend really runs (its XNNPACK pool), or null before it is created. */
export function activeWasmThreads(): number | null {
  if (!wasmModule || tf.findBackend('wasm') == null) return null;
  const n = wasmModule.getThreadsCount();
  return n > 0 ? n : null;
}

/** Why the threaded build did not start, or null when it did (or was not asked for). */
export function wasmThreadsFallback(): string | null {
  return fallbackReason;
}
