/**
 * Compute backends for the engine process: probe what this machine offers and install one into TF.js.
 *
 * Order for `auto` (ARCHITECTURE.md, "Compute backends"): webgpu (Dawn's Node binding, a hardware adapter only) →
 * tensorflow (optional native @tensorflow/tfjs-node) → wasm → cpu. A forced backend that is unavailable is an
 * error, never a silent fallback, because a run record must say what actually computed it.
 *
 * Runs in the engine process only (never in Electron main): loading Dawn or libtensorflow in main would let a
 * driver crash take the window down.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice, BackendName, BackendStatus, GpuAdapterInfo } from '../../preload/api';
import { installWasmBatchMatMul } from '../../models/ops/wasmBatchMatMul';
import { installWasmIdentity } from '../../models/ops/wasmIdentity';
import { installWasmLayerNorm } from '../../models/ops/wasmLayerNorm';
import { installWasmTranspose } from '../../models/ops/wasmTranspose';
import { activeWasmThreads, defaultWasmThreads, registerWasmBackend, threadsFromEnv, wasmThreadsFallback } from './wasmThreads';

const nodeRequire = createRequire(import.meta.url);

export const BACKEND_ORDER: readonly BackendName[] = Object.freeze(['webgpu', 'tensorflow', 'wasm', 'cpu']);

interface Probe {
  available: boolean;
  reason?: string;
}

interface WebGpuProbe extends Probe {
  adapter: GpuAdapterInfo | null;
  /** SwiftShader / lavapipe and other CPU emulations: usable when forced, skipped by `auto` (slower than wasm). */
  software: boolean;
}

// Each probe runs once per process: loading native libraries twice buys nothing, and system() is called often.
let webgpuProbe: Promise<WebGpuProbe> | null = null;
let tensorflowProbe: Promise<Probe> | null = null;
let wasmProbe: Promise<Probe> | null = null;

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // Native loaders put the whole search path in the message; the first line names the problem.
  return msg.split('\n')[0]!.trim();
}

// The few WebGPU shapes used here, typed locally: referencing @webgpu/types would add browser globals
// (navigator, canvas contexts) to every file of the node project.
interface DawnAdapter {
  readonly info?: Partial<GpuAdapterInfo>;
  readonly isFallbackAdapter?: boolean;
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}

/** The Dawn `GPU` object, created once; also installed as navigator.gpu for tfjs-backend-webgpu. */
let dawnGpu: DawnGpu | null = null;

async function loadDawn(): Promise<DawnGpu> {
  if (dawnGpu) return dawnGpu;
  const specifier = 'webgpu'; // a variable, so tsc does not load the package's global type declarations
  const { create, globals } = (await import(/* @vite-ignore */ specifier)) as { create: (o: string[]) => DawnGpu; globals: object };
  // tfjs-backend-webgpu uses the WebGPU globals (GPUBufferUsage, GPUMapMode...) and navigator.gpu.
  Object.assign(globalThis, globals);
  const gpu = create([]);
  installNavigatorGpu(gpu);
  dawnGpu = gpu;
  return gpu;
}

function installNavigatorGpu(gpu: DawnGpu): void {
  const g = globalThis as { navigator?: { gpu?: DawnGpu } };
  if (g.navigator === undefined) {
    // Node 20 has no navigator; newer Node has a read-only one, hence defineProperty below.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (g.navigator.gpu !== gpu) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

function adapterInfo(adapter: DawnAdapter): GpuAdapterInfo {
  const info = adapter.info ?? {};
  return {
    vendor: String(info.vendor ?? ''),
    architecture: String(info.architecture ?? ''),
    description: String(info.description ?? ''),
  };
}

function isSoftwareAdapter(adapter: DawnAdapter, info: GpuAdapterInfo): boolean {
  if (adapter.isFallbackAdapter) return true;
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software/.test(text);
}

/** The in-process probe: loads Dawn here (its warnings go to this process's stderr). */
async function probeWebGpuHere(): Promise<WebGpuProbe> {
  try {
    const gpu = await loadDawn();
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { available: false, reason: 'no WebGPU adapter found', adapter: null, software: false };
    const info = adapterInfo(adapter);
    return { available: true, adapter: info, software: isSoftwareAdapter(adapter, info) };
  } catch (e) {
    return { available: false, reason: dawnLoadReason(errorText(e)), adapter: null, software: false };
  }
}

function dawnLoadReason(text: string): string {
  return /vulkan/i.test(text) ? `libvulkan not found (install the Vulkan loader, e.g. libvulkan1): ${text}` : `WebGPU (Dawn) failed to load: ${text}`;
}

/** Dawn's first warning line in words, e.g. "vkCreateInstance: Found no drivers!" (its native stack lines dropped). */
export function dawnWarning(stderr: string): string | null {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => /^Warning:/.test(l));
  return line ? line.replace(/^Warning:\s*/, '').slice(0, 160) : null;
}

// Runs in a child Node process: requests an adapter and prints one JSON line.
const PROBE_SCRIPT = `
const url = process.argv[1];
try {
  const mod = await import(url);
  const create = mod.create ?? mod.default?.create;
  const gpu = create([]);
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  const i = (a && a.info) || {};
  const text = (v) => String(v ?? '');
  process.stdout.write(JSON.stringify(a ? { adapter: { vendor: text(i.vendor), architecture: text(i.architecture), description: text(i.description) }, fallback: !!a.isFallbackAdapter } : { adapter: null }) + '\\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String((e && e.message) || e).split('\\n')[0] }) + '\\n');
}
process.exit(0);
`;

/**
 * The probe in a child process, so that Dawn's and Vulkan's warnings (printed by native code on stderr, with native
 * stack lines, when there is no GPU) never reach the user's terminal: they become the `reason` of `backends` instead.
 */
async function probeWebGpuQuietly(): Promise<WebGpuProbe> {
  let entry: string;
  try {
    entry = pathToFileURL(nodeRequire.resolve('webgpu')).href;
  } catch (e) {
    return { available: false, reason: dawnLoadReason(errorText(e)), adapter: null, software: false };
  }
  const { stdout, stderr, failure } = await new Promise<{ stdout: string; stderr: string; failure: string | null }>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, entry], { timeout: 30_000, maxBuffer: 1 << 20, windowsHide: true }, (err, out, errOut) => {
      const e = err as (NodeJS.ErrnoException & { signal?: string; killed?: boolean }) | null;
      resolve({ stdout: String(out), stderr: String(errOut), failure: e ? (e.killed ? 'timed out' : e.signal ? `ended by ${e.signal}` : `failed (${e.message.split('\n')[0]})`) : null });
    });
  });
  let got: { adapter?: GpuAdapterInfo | null; fallback?: boolean; error?: string } | null = null;
  try {
    got = JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    got = null;
  }
  const warning = dawnWarning(stderr);
  if (!got) return { available: false, reason: `the WebGPU probe ${failure ?? 'printed nothing'}${warning ? ` (${warning})` : ''}`, adapter: null, software: false };
  if (got.error) return { available: false, reason: dawnLoadReason(got.error), adapter: null, software: false };
  if (!got.adapter) return { available: false, reason: `no WebGPU adapter found${warning ? ` (${warning})` : ''}`, adapter: null, software: false };
  const info = got.adapter;
  return { available: true, adapter: info, software: isSoftwareAdapter({ isFallbackAdapter: got.fallback }, info) };
}

export function probeWebGpu(): Promise<WebGpuProbe> {
  // Under Electron process.execPath is the app itself, which must not run as Node (the runAsNode fuse is off):
  // the engine there probes in its own process, whose stderr no terminal shows.
  webgpuProbe ??= process.versions.electron || dawnGpu ? probeWebGpuHere() : probeWebGpuQuietly();
  return webgpuProbe;
}

function probeTensorflow(): Promise<Probe> {
  tensorflowProbe ??= (async (): Promise<Probe> => {
    try {
      // Optional dependency: its install may have failed to fetch libtensorflow, which is fine.
      // The specifier is a variable so that bundlers and tsc do not require the package to exist.
      const name = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ name);
      return { available: true };
    } catch (e) {
      const text = errorText(e);
      const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(text);
      return { available: false, reason: missing ? '@tensorflow/tfjs-node not installed' : `@tensorflow/tfjs-node failed to load: ${text}` };
    }
  })();
  return tensorflowProbe;
}

function probeWasm(): Promise<Probe> {
  wasmProbe ??= (async (): Promise<Probe> => {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      // The backend fetches its .wasm binary at init; check it is on disk now so the probe tells the truth.
      nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
      return { available: true };
    } catch (e) {
      return { available: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${errorText(e)}` };
    }
  })();
  return wasmProbe;
}

async function probeOne(name: BackendName): Promise<Probe> {
  switch (name) {
    case 'webgpu':
      return probeWebGpu();
    case 'tensorflow':
      return probeTensorflow();
    case 'wasm':
      return probeWasm();
    case 'cpu':
      return { available: true };
  }
}

/** What this machine offers, in `auto` preference order. Never changes the active TF.js backend. */
export async function probeBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const name of BACKEND_ORDER) {
    const p = await probeOne(name);
    if (name === 'webgpu' && p.available && (p as WebGpuProbe).software) {
      // Available but skipped by `auto`: say so, since the UI and `backends` would otherwise look contradictory.
      const desc = (p as WebGpuProbe).adapter?.description || 'software adapter';
      out.push({ name, available: true, reason: `software adapter (${desc}): slower than wasm, used only when asked for` });
      continue;
    }
    out.push(p.available ? { name, available: true } : { name, available: false, reason: p.reason });
  }
  return out;
}

/** Error thrown when a forced backend cannot be used; the message is meant for a person. */
export class BackendError extends Error {
  constructor(
    readonly backend: BackendName,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

/** Options of initBackend. */
export interface BackendOptions {
  /** wasm only: threads for XNNPACK (default CRATE_WASM_THREADS, else every core up to 8). Fixed per process. */
  threads?: number;
}

/** What initBackend installed. */
export interface ActiveBackend {
  name: BackendName;
  adapter: GpuAdapterInfo | null;
  /** wasm: threads it really runs (the first initialisation in a process decides); other backends: null. */
  threads: number | null;
}

async function activate(name: BackendName, opts: BackendOptions): Promise<void> {
  if (name === 'webgpu') {
    await loadDawn();
    // The backend registers itself on import only when navigator.gpu exists, so import after loadDawn().
    const backendModule = '@tensorflow/tfjs-backend-webgpu'; // a variable for the same reason as in loadDawn()
    // a bundle that cannot follow a variable import (the GPU-machine pack, main/cli/benchDevice.ts) provides its own
    const bundled = (globalThis as { __crateLabWebgpuBackend?: () => Promise<unknown> }).__crateLabWebgpuBackend;
    await (bundled ? bundled() : import(/* @vite-ignore */ backendModule));
  } else if (name === 'wasm') {
    await registerWasmBackend(opts.threads ?? threadsFromEnv(process.env.CRATE_WASM_THREADS) ?? defaultWasmThreads());
  }
  // tensorflow registered itself when probeTensorflow imported it; cpu ships with @tensorflow/tfjs.
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`TF.js could not initialise the ${name} backend`);
  await tf.ready();
  // batched products: the library's wasm kernel is a scalar loop for them (models/ops/wasmBatchMatMul.ts); saved
  // gradient inputs: the library's Identity copies them (models/ops/wasmIdentity.ts); LayerNorm: one fused kernel
  // each way instead of a dozen small ops (models/ops/wasmLayerNorm.ts); transposes: the package moves one float at
  // a time (models/ops/wasmTranspose.ts)
  if (name === 'wasm') {
    await installWasmBatchMatMul();
    await installWasmIdentity();
    await installWasmLayerNorm();
    await installWasmTranspose();
    const why = wasmThreadsFallback();
    if (why) process.stderr.write(`wasm: the threaded build did not start (${why}); running on one thread\n`);
  }
}

/**
 * Installs a backend into TF.js. `auto` takes the first that works in BACKEND_ORDER (a software WebGPU
 * adapter is skipped); a forced choice that is unavailable throws a BackendError naming the reason.
 */
export async function initBackend(choice: BackendChoice, opts: BackendOptions = {}): Promise<ActiveBackend> {
  if (choice !== 'auto' && !BACKEND_ORDER.includes(choice)) {
    throw new BackendError('cpu', `Unknown backend "${String(choice)}"; expected auto, ${BACKEND_ORDER.join(', ')}.`);
  }
  const candidates = choice === 'auto' ? BACKEND_ORDER : [choice];
  const failures: string[] = [];
  for (const name of candidates) {
    const p = await probeOne(name);
    if (!p.available) {
      failures.push(`${name}: ${p.reason ?? 'unavailable'}`);
      continue;
    }
    if (choice === 'auto' && name === 'webgpu' && (await probeWebGpu()).software) {
      failures.push('webgpu: only a software adapter was found');
      continue;
    }
    try {
      await activate(name, opts);
    } catch (e) {
      failures.push(`${name}: ${errorText(e)}`);
      continue;
    }
    return { name, adapter: name === 'webgpu' ? (await probeWebGpu()).adapter : null, threads: name === 'wasm' ? activeWasmThreads() : null };
  }
  if (choice === 'auto') throw new BackendError('cpu', `No TF.js backend could be initialised (${failures.join('; ')}).`);
  throw new BackendError(choice, `Backend "${choice}" is not available on this machine: ${failures.join('; ').replace(`${choice}: `, '')}.`);
}

function packageVersion(name: string): string | null {
  try {
    return (nodeRequire(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Versions shown in the system panel and stored in run records. */
export function runtimeVersions(): { node: string; electron: string | null; tfjs: string; onnxruntime: string | null } {
  return {
    node: process.versions.node,
    electron: process.versions.electron ?? null,
    tfjs: tf.version.tfjs,
    onnxruntime: packageVersion('onnxruntime-node'),
  };
}
