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
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice, BackendName, BackendStatus, GpuAdapterInfo } from '../../preload/api';

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

export function probeWebGpu(): Promise<WebGpuProbe> {
  webgpuProbe ??= (async (): Promise<WebGpuProbe> => {
    try {
      const gpu = await loadDawn();
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return { available: false, reason: 'no WebGPU adapter found', adapter: null, software: false };
      const info = adapterInfo(adapter);
      return { available: true, adapter: info, software: isSoftwareAdapter(adapter, info) };
    } catch (e) {
      const text = errorText(e);
      const reason = /vulkan/i.test(text)
        ? `libvulkan not found (install the Vulkan loader, e.g. libvulkan1): ${text}`
        : `WebGPU (Dawn) failed to load: ${text}`;
      return { available: false, reason, adapter: null, software: false };
    }
  })();
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

async function activate(name: BackendName): Promise<void> {
  if (name === 'webgpu') {
    await loadDawn();
    // The backend registers itself on import only when navigator.gpu exists, so import after loadDawn().
    const backendModule = '@tensorflow/tfjs-backend-webgpu'; // a variable for the same reason as in loadDawn()
    await import(/* @vite-ignore */ backendModule);
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
  }
  // tensorflow registered itself when probeTensorflow imported it; cpu ships with @tensorflow/tfjs.
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`TF.js could not initialise the ${name} backend`);
  await tf.ready();
}

/**
 * Installs a backend into TF.js. `auto` takes the first that works in BACKEND_ORDER (a software WebGPU
 * adapter is skipped); a forced choice that is unavailable throws a BackendError naming the reason.
 */
export async function initBackend(choice: BackendChoice): Promise<{ name: BackendName; adapter: GpuAdapterInfo | null }> {
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
      await activate(name);
    } catch (e) {
      failures.push(`${name}: ${errorText(e)}`);
      continue;
    }
    return { name, adapter: name === 'webgpu' ? (await probeWebGpu()).adapter : null };
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
