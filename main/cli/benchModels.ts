/**
 * Closed-loop (CTRL) training throughput of the CRATE models, per TF.js backend, beside the PyTorch reference
 * (/shared/bench/torch_closed_loop.py: same preset shapes, same step) measured on this machine in the same run.
 *
 *   npx tsx main/cli/benchModels.ts [--backend wasm] [--preset mnist-s] [--steps 3] [--json]
 *
 * Also measures, on wasm, the speed-up of the custom gradients (explicit-transpose matmuls, models/ops/matmul.ts,
 * and the hand-written LayerNorm backward) over TF.js autodiff of plain tf.matMul with transpose flags.
 * Timings are of whole steps including the losses' host reads. CPU time of this process is reported beside
 * wall time: on a shared machine wall time includes waiting for a core.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveConfig } from '../../models/crate/config';
import { countSpecs, decoderSpecs, encoderSpecs } from '../../models/crate/params';
import { setMatMulMode, type MatMulMode } from '../../models/ops/matmul';
import { installWasmBatchMatMul, uninstallWasmBatchMatMul, wasmBatchMatMulInstalled } from '../../models/ops/wasmBatchMatMul';
import { installWasmIdentity, uninstallWasmIdentity, wasmIdentityInstalled } from '../../models/ops/wasmIdentity';
import { installWasmLayerNorm, uninstallWasmLayerNorm, wasmLayerNormInstalled } from '../../models/ops/wasmLayerNorm';
import { installWasmTranspose, uninstallWasmTranspose, wasmTransposeInstalled } from '../../models/ops/wasmTranspose';

/**
 * What a timed step runs: 'explicit' is the engine's default; 'flags' is TF.js autodiff with transpose flags;
 * 'library-bmm' is the default with the wasm backend's own batched product instead of the lab's SIMD kernel;
 * 'library-identity' the default with the wasm backend's copying Identity instead of the copy-free one;
 * 'composite-layernorm' the default with LayerNorm as TF.js ops instead of the fused kernels;
 * 'library-transpose' the default with the wasm backend's own Transpose instead of the SIMD one.
 */
export type StepVariant = MatMulMode | 'library-bmm' | 'library-identity' | 'composite-layernorm' | 'library-transpose';

/** The lab's wasm kernels that initBackend put in place (the variants take one out and put it back). */
interface LabKernels {
  bmm: boolean;
  identity: boolean;
  layerNorm: boolean;
  transpose: boolean;
}

async function enterVariant(v: StepVariant, wanted: LabKernels): Promise<void> {
  setMatMulMode(v === 'flags' ? 'flags' : 'explicit');
  if (v === 'library-bmm') uninstallWasmBatchMatMul();
  else if (wanted.bmm) await installWasmBatchMatMul();
  if (v === 'library-identity') uninstallWasmIdentity();
  else if (wanted.identity) await installWasmIdentity();
  if (v === 'composite-layernorm') uninstallWasmLayerNorm();
  else if (wanted.layerNorm) await installWasmLayerNorm();
  if (v === 'library-transpose') uninstallWasmTranspose();
  else if (wanted.transpose) await installWasmTranspose();
}
import { LoopState, closedLoopStep } from '../../models/training/closedLoop';
import { resolveLoopConfig } from '../../models/training/config';
import { activeWasmThreads } from '../engine/wasmThreads';
import type { KernelTime } from './benchProfile';

export interface BenchOptions {
  /** One backend, or all available non-reference ones (webgpu on real hardware, tensorflow, wasm) when omitted. */
  backend?: string;
  preset?: string;
  json?: boolean;
  /** Timed steps per measurement (after one warm-up step). */
  steps?: number;
  /** wasm threads (default: every core, up to 8). */
  threads?: number;
  /** wasm with more than one thread: also time one thread, in a child process (threads are fixed per process). */
  compareThreads?: boolean;
  /** Also time each kernel of one step (tf.profile) and print where the time goes. */
  profile?: boolean;
  /** Internal (the one-thread child): time the step on the given backend only; no reference, no comparisons. */
  stepOnly?: boolean;
}

export interface BackendResult {
  backend: string;
  matmul: StepVariant;
  preset: string;
  batch: number;
  stepMs: number;
  /** CPU time of this process per step (user + system, all its threads). */
  cpuMs: number;
  stepsPerS: number;
  samplesPerS: number;
  T: number;
  finite: boolean;
  /** wasm: threads of its XNNPACK pool; other backends: null. */
  threads: number | null;
}


export interface BenchReport {
  preset: string;
  batch: number;
  params: number;
  results: BackendResult[];
  /** wasm: step time with transpose flags ÷ step time with explicit-transpose gradients. */
  customGradSpeedup: number | null;
  /** wasm: step time with the library's batched product ÷ with the lab's SIMD kernel (models/ops/wasmBatchMatMul.ts). */
  batchedKernelSpeedup: number | null;
  /** wasm: step time with the library's copying Identity ÷ with the copy-free one (models/ops/wasmIdentity.ts). */
  identitySpeedup: number | null;
  /** wasm: step time with LayerNorm as TF.js ops ÷ with the fused kernels (models/ops/wasmLayerNorm.ts). */
  layerNormSpeedup: number | null;
  /** wasm: step time with the library's Transpose ÷ with the SIMD one (models/ops/wasmTranspose.ts). */
  transposeSpeedup: number | null;
  torch: { samplesPerS: number; stepMs: number; cpuMs: number | null; threads: number; version: string; peakRssBytes: number | null } | { error: string } | null;
  /** best TF.js samples/s ÷ PyTorch CPU samples/s (wall clock). */
  ratioToTorch: number | null;
  /** PyTorch CPU ms per step ÷ wasm CPU ms per step: the same comparison, insensitive to other load on the machine. */
  cpuRatioToTorch: number | null;
  /** wasm on one thread, timed in a child process of the same run; null when not measured. */
  singleThread: { stepMs: number; cpuMs: number } | { error: string } | null;
  /** one-thread step time ÷ this run's wasm step time. */
  threadSpeedup: number | null;
  /** Peak resident set size of this process (all backends' steps) and of the PyTorch reference, bytes. */
  peakRssBytes: number;
  torchPeakRssBytes: number | null;
  /** --profile: kernels of one wasm (or first) backend step, slowest first; null otherwise. */
  profile: { backend: string; wallMs: number; kernels: KernelTime[] } | null;
}

const NUM_CLASSES = 10;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function activate(name: string, threads: number | undefined): Promise<boolean> {
  try {
    const backends = await import('../engine/backends');
    await backends.initBackend(name as Parameters<typeof backends.initBackend>[0], threads === undefined ? {} : { threads });
    return true;
  } catch {
    // Fallback when the engine's backend module is missing or refuses: plain TF.js registration.
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    try {
      return (await tf.setBackend(name)) && tf.getBackend() === name;
    } catch {
      return false;
    }
  }
}

async function candidateBackends(): Promise<string[]> {
  try {
    const { probeBackends, probeWebGpu } = await import('../engine/backends');
    const avail = (await probeBackends()).filter((b) => b.available).map((b) => b.name as string);
    const softwareGpu = avail.includes('webgpu') && (await probeWebGpu()).software;
    // cpu is the pure-JS reference: minutes per mnist-s step, so only on request.
    return avail.filter((b) => b !== 'cpu' && !(b === 'webgpu' && softwareGpu));
  } catch {
    return ['wasm'];
  }
}

/**
 * Times closed-loop steps on the active backend, one result per matmul mode. With several modes the steps
 * alternate (A, B, A, B…) on one model, so drifting machine load hits every mode alike.
 */
async function timeSteps(backend: string, presetName: string, steps: number, modes: StepVariant[]): Promise<BackendResult[]> {
  const kernelWanted: LabKernels = { bmm: wasmBatchMatMulInstalled(), identity: wasmIdentityInstalled(), layerNorm: wasmLayerNormInstalled(), transpose: wasmTransposeInstalled() };
  const cfg = resolveConfig(presetName);
  const state = new LoopState(cfg, resolveLoopConfig(), 0);
  const n = cfg.batchSize;
  const x = tf.randomUniform([n, ...cfg.imageShape], -1, 1, 'float32', 1) as tf.Tensor4D;
  const labels = Int32Array.from({ length: n }, (_, i) => i % NUM_CLASSES);
  const total = new Map<StepVariant, number>(modes.map((m) => [m, 0]));
  const cpu = new Map<StepVariant, number>(modes.map((m) => [m, 0]));
  const lastT = new Map<StepVariant, number>();
  try {
    for (const m of modes) {
      await enterVariant(m, kernelWanted);
      await closedLoopStep(state, x, labels, NUM_CLASSES); // warm-up: kernels, Adam slots
    }
    for (let i = 0; i < steps; i++) {
      for (const m of modes) {
        await enterVariant(m, kernelWanted);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        lastT.set(m, (await closedLoopStep(state, x, labels, NUM_CLASSES)).T);
        total.set(m, total.get(m)! + performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.set(m, cpu.get(m)! + (c.user + c.system) / 1000);
      }
    }
  } finally {
    await enterVariant('explicit', kernelWanted);
    state.dispose();
    x.dispose();
  }
  return modes.map((m) => {
    const stepMs = total.get(m)! / steps;
    const cpuMs = cpu.get(m)! / steps;
    const T = lastT.get(m) ?? NaN;
    const threads = backend === 'wasm' ? activeWasmThreads() : null;
    return { backend, matmul: m, preset: presetName, batch: n, stepMs, cpuMs, stepsPerS: 1000 / stepMs, samplesPerS: (1000 * n) / stepMs, T, finite: Number.isFinite(T), threads };
  });
}

/**
 * Runs the reference script unchanged, noting process CPU time at each of its time.perf_counter() calls: the
 * script reads the clock exactly twice, around its timed steps, so those two marks give CPU ms per step too.
 * Prints one more JSON line after the script's own.
 */
const TORCH_CPU_WRAPPER = [
  'import json, runpy, sys, time',
  'script = sys.argv[1]; sys.argv = sys.argv[1:]',
  "steps = int(sys.argv[sys.argv.index('--steps') + 1])",
  'marks = []; wall = time.perf_counter',
  'def clock():',
  '    marks.append(time.process_time()); return wall()',
  'time.perf_counter = clock',
  "runpy.run_path(script, run_name='__main__')",
  'import resource',
  "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024",
  "print(json.dumps({'cpu_step_ms': (marks[1] - marks[0]) * 1e3 / steps if len(marks) == 2 else None, 'rss_bytes': rss}))",
].join('\n');

/** What a child process printed, or why it did not start. */
type ChildOutput = { code: number | null; out: string; err: string } | { startError: string };

function runChild(command: string, args: string[], cwd?: string): Promise<ChildOutput> {
  return new Promise((done) => {
    const p = spawn(command, args, { ...(cwd ? { cwd } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => done({ startError: e.message }));
    p.on('close', (code) => done({ code, out, err }));
  });
}

/** The last line of a child's stderr, shortened: its error message. */
const lastErrLine = (err: string) => (err.trim().split('\n').pop() ?? '').slice(0, 200);

async function runTorch(presetName: string, steps: number): Promise<BenchReport['torch']> {
  const script = resolve(repoRoot, '../shared/bench/torch_closed_loop.py');
  if (!existsSync(script)) return { error: `reference script not found at ${script}` };
  if (!existsSync('/usr/bin/python3')) return { error: '/usr/bin/python3 not found' };
  const args = ['-c', TORCH_CPU_WRAPPER, script, '--device', 'cpu', '--preset', presetName, '--steps', String(steps), '--warmup', '1'];
  const c = await runChild('/usr/bin/python3', args);
  if ('startError' in c) return { error: `could not start python3: ${c.startError}` };
  const lines = c.out.trim().split('\n');
  try {
    const cpu = JSON.parse(lines.pop() ?? '') as { cpu_step_ms: number | null; rss_bytes?: number };
    const r = JSON.parse(lines.pop() ?? '') as { samples_per_s: number; step_ms: number; threads: number; version: string };
    return { samplesPerS: r.samples_per_s, stepMs: r.step_ms, cpuMs: cpu.cpu_step_ms, threads: r.threads, version: r.version, peakRssBytes: cpu.rss_bytes ?? null };
  } catch {
    return { error: `torch reference exited ${c.code}: ${lastErrLine(c.err)}` };
  }
}

/** The wasm step on one thread, timed by a child of this process (the thread count is fixed per process). */
async function runSingleThread(presetName: string, steps: number): Promise<BenchReport['singleThread']> {
  const self = fileURLToPath(import.meta.url);
  // tsx loads the TypeScript source, from the repository root where it is installed
  const args = ['--import', 'tsx', self, '--backend', 'wasm', '--threads', '1', '--preset', presetName, '--steps', String(steps), '--step-only', '--json'];
  const c = await runChild(process.execPath, args, repoRoot);
  if ('startError' in c) return { error: `could not start the one-thread bench: ${c.startError}` };
  try {
    const r = (JSON.parse(c.out.trim().split('\n').pop() ?? '') as BenchReport).results[0];
    return r ? { stepMs: r.stepMs, cpuMs: r.cpuMs } : { error: 'the one-thread bench timed nothing' };
  } catch {
    return { error: `the one-thread bench exited ${c.code}: ${lastErrLine(c.err)}` };
  }
}

const MB = 1024 * 1024;

export async function benchModels(opts: BenchOptions = {}): Promise<BenchReport> {
  const presetName = opts.preset ?? 'mnist-s';
  const steps = opts.steps ?? 3;
  const cfg = resolveConfig(presetName); // throws a clear message for an unknown preset
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`benchModels: steps must be a positive integer, got ${steps}`);
  const log = (s: string) => {
    if (!opts.json) process.stdout.write(`${s}\n`);
  };
  const backends = opts.backend ? [opts.backend] : await candidateBackends();
  const results: BackendResult[] = [];
  let customGradSpeedup: number | null = null;
  let batchedKernelSpeedup: number | null = null;
  let identitySpeedup: number | null = null;
  let layerNormSpeedup: number | null = null;
  let transposeSpeedup: number | null = null;
  let profile: BenchReport['profile'] = null;
  // From the shapes alone: no tensor may be made before a backend is active.
  const params = countSpecs(encoderSpecs(cfg)) + countSpecs(decoderSpecs(cfg));
  log(`closed-loop step, preset ${presetName} (batch ${cfg.batchSize}, ${params.toLocaleString('en')} params), ${steps} timed steps`);
  for (const b of backends) {
    if (!(await activate(b, opts.threads))) {
      log(`  ${b}: unavailable, skipped`);
      continue;
    }
    // on wasm, also the same steps with TF.js's own matMul gradients (transpose flags), interleaved
    const modes: StepVariant[] = b === 'wasm' && !opts.stepOnly ? ['explicit', 'library-bmm', 'library-identity', 'composite-layernorm', 'library-transpose', 'flags'] : ['explicit'];
    const [r, libraryBmm, libraryIdentity, compositeLayerNorm, libraryTranspose, flags] = await timeSteps(b, presetName, steps, modes);
    results.push(r);
    const threadText = r.threads === null ? '' : ` on ${r.threads} thread${r.threads === 1 ? '' : 's'}`;
    log(
      `  ${b.padEnd(10)} ${r.stepMs.toFixed(0).padStart(7)} ms/step (cpu ${r.cpuMs.toFixed(0)} ms)  ${r.stepsPerS.toFixed(3)} steps/s  ${r.samplesPerS.toFixed(1)} samples/s${threadText}`,
    );
    if (libraryBmm) {
      results.push(libraryBmm);
      batchedKernelSpeedup = libraryBmm.stepMs / r.stepMs;
      log(`  wasm with the library's batched product: ${libraryBmm.stepMs.toFixed(0)} ms/step → the SIMD batched kernel makes the step ${batchedKernelSpeedup.toFixed(2)}× faster`);
    }
    if (libraryIdentity) {
      results.push(libraryIdentity);
      identitySpeedup = libraryIdentity.stepMs / r.stepMs;
      log(`  wasm with the library's copying Identity: ${libraryIdentity.stepMs.toFixed(0)} ms/step → saving gradient inputs without a copy makes the step ${identitySpeedup.toFixed(2)}× faster`);
    }
    if (compositeLayerNorm) {
      results.push(compositeLayerNorm);
      layerNormSpeedup = compositeLayerNorm.stepMs / r.stepMs;
      log(`  wasm with LayerNorm as TF.js ops: ${compositeLayerNorm.stepMs.toFixed(0)} ms/step → the fused LayerNorm makes the step ${layerNormSpeedup.toFixed(2)}× faster`);
    }
    if (libraryTranspose) {
      results.push(libraryTranspose);
      transposeSpeedup = libraryTranspose.stepMs / r.stepMs;
      log(`  wasm with the library's Transpose: ${libraryTranspose.stepMs.toFixed(0)} ms/step → the SIMD transposes make the step ${transposeSpeedup.toFixed(2)}× faster`);
    }
    if (flags) {
      results.push(flags);
      customGradSpeedup = flags.stepMs / r.stepMs;
      log(`  wasm with TF.js autodiff (tf.matMul transpose flags): ${flags.stepMs.toFixed(0)} ms/step → custom gradients are ${customGradSpeedup.toFixed(2)}× faster`);
    }
    if (opts.profile && !profile) {
      const { profileStep } = await import('./benchProfile');
      const p = await profileStep(presetName);
      profile = { backend: b, ...p };
      log(`  profile of one ${b} step (${p.wallMs.toFixed(0)} ms with the profiler's timers):`);
      for (const k of p.kernels.filter((k) => k.ms >= 0.01 * p.wallMs)) {
        log(`    ${k.kernel.padEnd(30)} ${k.ms.toFixed(0).padStart(6)} ms ${((100 * k.ms) / p.wallMs).toFixed(0).padStart(3)} %${k.calls ? `  ${k.calls} calls` : ''}`);
      }
    }
  }
  const wasm = results.find((r) => r.backend === 'wasm' && r.matmul === 'explicit');
  let singleThread: BenchReport['singleThread'] = null;
  let threadSpeedup: number | null = null;
  if (!opts.stepOnly && wasm && (wasm.threads ?? 1) > 1 && opts.compareThreads !== false) {
    log('  wasm on one thread (child process)...');
    const one = await runSingleThread(presetName, steps);
    singleThread = one;
    if (one && 'stepMs' in one) {
      threadSpeedup = one.stepMs / wasm.stepMs;
      log(`  wasm on 1 thread: ${one.stepMs.toFixed(0)} ms/step (cpu ${one.cpuMs.toFixed(0)} ms) → ${wasm.threads} threads are ${threadSpeedup.toFixed(2)}× faster`);
    } else if (one) {
      log(`  wasm on 1 thread: ${one.error}`);
    }
  }
  let torch: BenchReport['torch'] = null;
  if (!opts.stepOnly) {
    log('  PyTorch reference (CPU)...');
    torch = await runTorch(presetName, steps);
  }
  const best = results.filter((r) => r.matmul === 'explicit').reduce((m, r) => Math.max(m, r.samplesPerS), 0);
  const ratioToTorch = torch && 'samplesPerS' in torch && best > 0 ? best / torch.samplesPerS : null;
  const cpuRatioToTorch = torch && 'samplesPerS' in torch && torch.cpuMs && wasm ? torch.cpuMs / wasm.cpuMs : null;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const torchPeakRssBytes = torch && 'peakRssBytes' in torch ? torch.peakRssBytes : null;
  if (torch && 'samplesPerS' in torch) {
    // torch's "threads" is its own pool; a pthreads BLAS underneath may still use every core
    const cores = torch.cpuMs === null ? 1 : torch.cpuMs / torch.stepMs;
    const coresText = cores > 1.3 ? `, about ${cores.toFixed(1)} cores busy` : '';
    const cpuText = torch.cpuMs === null ? '' : ` (cpu ${torch.cpuMs.toFixed(0)} ms${coresText})`;
    log(`  torch ${torch.version} cpu (${torch.threads} threads): ${torch.stepMs.toFixed(0)} ms/step${cpuText}, ${torch.samplesPerS.toFixed(1)} samples/s`);
    if (ratioToTorch !== null) log(`  best TF.js / PyTorch CPU samples/s = ${ratioToTorch.toFixed(3)} (wall clock)`);
    // with one wasm thread this is the fair measure on a machine shared with other work; with more, wasm's
    // CPU time also counts its pool's threads waiting for work
    if (cpuRatioToTorch !== null) log(`  PyTorch CPU ms / wasm CPU ms per step = ${cpuRatioToTorch.toFixed(3)}`);
  } else if (torch) {
    log(`  torch reference unavailable: ${torch.error}`);
  }
  if (!opts.stepOnly) {
    const torchRss = torchPeakRssBytes === null ? '' : `, PyTorch reference ${(torchPeakRssBytes / MB).toFixed(0)} MB`;
    log(`  peak RSS: this process ${(peakRssBytes / MB).toFixed(0)} MB${torchRss}`);
  }
  const report: BenchReport = {
    preset: presetName,
    batch: cfg.batchSize,
    params,
    results,
    customGradSpeedup,
    batchedKernelSpeedup,
    identitySpeedup,
    layerNormSpeedup,
    transposeSpeedup,
    torch,
    ratioToTorch,
    cpuRatioToTorch,
    singleThread,
    threadSpeedup,
    peakRssBytes,
    torchPeakRssBytes,
    profile,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return report;
}

function parseArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--backend') opts.backend = next();
    else if (a === '--preset') opts.preset = next();
    else if (a === '--steps') opts.steps = Number(next());
    else if (a === '--json') opts.json = true;
    else if (a === '--threads') opts.threads = Number(next());
    else if (a === '--profile') opts.profile = true;
    else if (a === '--no-compare-threads') opts.compareThreads = false;
    else if (a === '--step-only') opts.stepOnly = true;
    else throw new Error(`unknown option ${a} (expected --backend, --preset, --steps, --threads, --profile, --no-compare-threads, --json)`);
  }
  return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  benchModels(parseArgs(process.argv.slice(2))).catch((e: unknown) => {
    process.stderr.write(`benchModels: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
