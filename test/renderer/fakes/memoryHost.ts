import type {
  ControlRequest,
  DataInspectResult,
  KnowledgeEvent,
  LabApi,
  LabEvent,
  MetricRecord,
  PresetInfo,
  Result,
  RunDetail,
  FigureStats,
  RunGroup,
  RunStatus,
  RunSummary,
  StartRunRequest,
  SystemInfo,
  TaskRecord,
  WireTensor,
} from '../../../preload/api';
import { gaussian, mulberry32 } from '../../../models/memory/random';
import { classBases, cloudSnapshot } from '../../../renderer/src/bench/syntheticCloud';
import { encodeWireTensor } from '../../../renderer/src/lib/wireTensor';
import { Emitter, type ConnectionState, type Host } from '../../../renderer/src/host/host';

/**
 * A fake of the lab's API for the renderer's tests: a scripted in-memory engine (no model, no files) that streams
 * events of the exact shapes of preload/api.ts, so the run store and the views are tested without a server. It is a
 * test double, not a second implementation: the one implementation of every API method is the engine's
 * (main/engine/labService.ts), reached through Electron's IPC or web mode's WebSocket. Class features are drawn around
 * random low-rank subspaces (renderer/src/bench/syntheticCloud.ts) that tighten as "training" proceeds.
 */

export interface MemoryHostOptions {
  tickMs?: number; // wall time between simulated step batches
  stepsPerTick?: number;
  taskSteps?: number; // steps per task
  snapshotEvery?: number; // steps between 3D snapshots
  snapshotPoints?: number; // points per snapshot (class-balanced)
  featureDim?: number;
  numClasses?: number;
  imageSize?: number; // reconstructions are 1 × size × size
  seed?: number;
  runs?: RunDetail[]; // pre-existing runs in the "store"
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface SimRun {
  detail: RunDetail;
  req: StartRunRequest;
  status: RunStatus;
  task: number;
  step: number;
  taskStep: number;
  tasksTotal: number;
  autonomous: boolean;
  timer: ReturnType<typeof setInterval> | null;
  rand: () => number;
  /** standard normal draws from `rand` */
  normal: () => number;
  bases: Float64Array[]; // per class (d, 3) column-major: 3 unit columns
  bestAcc: number[];
}

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const err = (code: 'bad-request' | 'not-found' | 'conflict' | 'bad-data' | 'unavailable', message: string, hint?: string): Result<never> => ({
  ok: false,
  error: { code, message, ...(hint ? { hint } : {}) },
});

export class MemoryHost implements Host {
  readonly kind = 'memory' as const;
  private events = new Emitter<LabEvent>();
  private runs = new Map<string, SimRun>();
  private readonly o: Required<Omit<MemoryHostOptions, 'runs'>>;
  private counter = 0;
  /** seeds of the simulated sweep still to start when the current member finishes */
  private sweepQueue: { req: StartRunRequest; seeds: number[]; group: string } | null = null;
  /** Every request made, for tests that check what the UI asked for. */
  readonly calls: { method: string; args: unknown[] }[] = [];

  constructor(opts: MemoryHostOptions = {}) {
    this.o = {
      tickMs: opts.tickMs ?? 100,
      stepsPerTick: opts.stepsPerTick ?? 5,
      taskSteps: opts.taskSteps ?? 200,
      snapshotEvery: opts.snapshotEvery ?? 50,
      snapshotPoints: opts.snapshotPoints ?? 1000,
      featureDim: opts.featureDim ?? 32,
      numClasses: opts.numClasses ?? 10,
      imageSize: opts.imageSize ?? 12,
      seed: opts.seed ?? 1,
    };
    for (const d of opts.runs ?? []) {
      this.runs.set(d.summary.id, this.makeSim(d, { data: d.summary.data, preset: d.summary.preset, backend: 'cpu', classesPerTask: 2, seed: 0, quick: true }));
    }
  }

  // ---------------------------------------------------------------- requests

  system: LabApi['system'] = async () => {
    this.calls.push({ method: 'system', args: [] });
    const info: SystemInfo = {
      backends: [
        { name: 'webgpu', available: false, reason: 'no WebGPU adapter found (simulated host)' },
        { name: 'tensorflow', available: false, reason: '@tensorflow/tfjs-node not installed' },
        { name: 'wasm', available: true },
        { name: 'cpu', available: true },
      ],
      chosen: 'wasm',
      adapter: null,
      versions: { app: '0.1.0', node: 'n/a', electron: null, tfjs: '4.22.0', onnxruntime: null },
      host: 'web',
      runsRoot: '(in memory)',
      platform: 'simulation',
      cpus: 2,
    };
    return ok(info);
  };

  presets: LabApi['presets'] = async () => {
    const p: PresetInfo[] = [
      { name: 'tiny', description: 'Smoke-test size: 1 layer, width 32', imageShape: [1, 12, 12], featureDim: 16, pool: 'flat', encoderParams: 9_000, decoderParams: 8_500 },
      { name: 'mnist-s', description: 'MNIST-sized CRATE, patch 7', imageShape: [1, 28, 28], featureDim: 128, pool: 'flat', encoderParams: 420_000, decoderParams: 400_000 },
      { name: 'cifar-s', description: 'CIFAR-sized CRATE, patch 4', imageShape: [3, 32, 32], featureDim: 128, pool: 'flat', encoderParams: 1_200_000, decoderParams: 1_100_000 },
    ];
    return ok(p);
  };

  inspectData: LabApi['inspectData'] = async (spec) => {
    this.calls.push({ method: 'inspectData', args: [spec] });
    if (!/^(builtin|idx|cifar|folder|npy):.+/.test(spec)) {
      return err('bad-data', `'${spec}' is not a dataset spec.`, 'Use builtin:digits, idx:DIR, cifar:DIR, folder:DIR or npy:FILE.');
    }
    if (spec.startsWith('folder:/missing')) return err('bad-data', `${spec.slice(7)}: folder does not exist.`, 'Check the path.');
    const k = this.o.numClasses;
    const res: DataInspectResult = {
      spec,
      classes: DIGITS.slice(0, k),
      counts: Array.from({ length: k }, (_, i) => ({ train: 150 + i, test: 30 })),
      shape: [1, this.o.imageSize, this.o.imageSize],
      range: [-1, 1],
      conversion: `${this.o.imageSize}x${this.o.imageSize} grayscale (simulated)`,
      gridPng: this.gridSvg(k),
    };
    return ok(res);
  };

  listRuns: LabApi['listRuns'] = async () => {
    this.calls.push({ method: 'listRuns', args: [] });
    const list: RunSummary[] = [...this.runs.values()].map((r) => ({ ...r.detail.summary }));
    list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return ok(list);
  };

  getRun: LabApi['getRun'] = async (id) => {
    this.calls.push({ method: 'getRun', args: [id] });
    const r = this.runs.get(id);
    if (!r) return err('not-found', `No run '${id}' in the store.`);
    // copies, so the UI never shares arrays the simulation keeps appending to
    return ok({ ...r.detail, summary: { ...r.detail.summary }, metrics: r.detail.metrics.slice(), knowledge: r.detail.knowledge.slice() });
  };

  deleteRun: LabApi['deleteRun'] = async (id) => {
    this.calls.push({ method: 'deleteRun', args: [id] });
    const r = this.runs.get(id);
    if (!r) return err('not-found', `No run '${id}' in the store.`);
    if (r.status === 'running' || r.status === 'paused') return err('conflict', 'A running run cannot be deleted.', 'Stop it first.');
    this.runs.delete(id);
    return ok({ deleted: id });
  };

  startRun: LabApi['startRun'] = async (req) => {
    this.calls.push({ method: 'startRun', args: [req] });
    if (!/^(builtin|idx|cifar|folder|npy):.+/.test(req.data)) return err('bad-data', `'${req.data}' is not a dataset spec.`);
    if (!Number.isInteger(req.classesPerTask) || req.classesPerTask < 1 || req.classesPerTask > this.o.numClasses) {
      return err('bad-request', `classesPerTask must be an integer in 1..${this.o.numClasses}, got ${req.classesPerTask}.`);
    }
    if (this.activeRun()) return err('conflict', 'A run is already active.', 'Pause or stop it, or wait for it to finish.');
    const id = `run-${String(++this.counter).padStart(3, '0')}`;
    const now = new Date().toISOString();
    const tasksTotal = Math.min(req.tasks ?? Infinity, Math.ceil(this.o.numClasses / req.classesPerTask));
    const detail: RunDetail = {
      summary: {
        id,
        name: req.name ?? `${req.preset} on ${req.data}`,
        status: 'running',
        data: req.data,
        preset: req.preset,
        backend: req.backend === 'auto' ? 'wasm' : req.backend,
        createdAt: now,
        updatedAt: now,
        tasksDone: 0,
        tasksTotal,
        classesSeen: 0,
        lastAccuracy: null,
        lastAccuracyPaper: null,
      },
      config: { ...req },
      classNames: DIGITS.slice(0, this.o.numClasses),
      metrics: [],
      knowledge: [],
      reconstructions: null,
      snapshot: null,
    };
    const sim = this.makeSim(detail, req);
    sim.status = 'running';
    this.runs.set(id, sim);
    this.emit({ type: 'run-status', runId: id, status: 'running' });
    this.knowledge(sim, 'task-start', `Task 1 started: classes ${this.taskClasses(sim, 0).join(', ')}`);
    this.startTimer(sim);
    return ok({ runId: id });
  };

  /** Groups by data, preset and length; figures are the last task's two accuracies (enough for the UI to show). */
  listGroups: LabApi['listGroups'] = async () => {
    this.calls.push({ method: 'listGroups', args: [] });
    const byKey = new Map<string, SimRun[]>();
    for (const r of this.runs.values()) {
      const k = `${r.detail.summary.data} | ${r.detail.summary.preset}${r.req.quick ? ' | quick' : ''}`;
      byKey.set(k, [...(byKey.get(k) ?? []), r]);
    }
    const groups: RunGroup[] = [...byKey].map(([key, rs]) => {
      const fin = rs.filter((r) => r.status === 'finished');
      const stats = (pick: (t: TaskRecord) => number): FigureStats => {
        const values = fin.map((r) => {
          const last = r.detail.knowledge.filter((k): k is TaskRecord => k.kind === 'task').pop();
          return { runId: r.detail.summary.id, seed: r.req.seed, value: last ? pick(last) : 0 };
        });
        const m = values.reduce((a, v) => a + v.value, 0) / Math.max(1, values.length);
        const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v.value - m) ** 2, 0) / (values.length - 1)) : null;
        return { mean: m, std, n: values.length, values };
      };
      return {
        key,
        data: rs[0].detail.summary.data,
        preset: rs[0].detail.summary.preset,
        settings: rs[0].req.quick ? ['quick'] : [],
        sweeps: [...new Set(rs.map((r) => r.detail.summary.sweep).filter((x): x is string => !!x))],
        runIds: rs.map((r) => r.detail.summary.id),
        finishedIds: fin.map((r) => r.detail.summary.id),
        seeds: rs.map((r) => r.req.seed),
        figures: (fin.length ? { accAllMemory: stats((t) => t.accAllMemory), accAllPaper: stats((t) => t.accAllPaper) } : {}) as Record<string, FigureStats>,
      };
    });
    return ok(groups);
  };

  /** The members start one after another: the next when the current one finishes. */
  startSweep: LabApi['startSweep'] = async (req) => {
    this.calls.push({ method: 'startSweep', args: [req] });
    if (!req.seeds.length) return err('bad-request', 'A sweep needs at least one seed.');
    const group = req.group ?? `sweep-sim-${String(this.counter + 1)}`;
    const r = await this.startRun({ ...req.run, seed: req.seeds[0] });
    if (!r.ok) return r;
    this.runs.get(r.value.runId)!.detail.summary.sweep = group;
    this.sweepQueue = req.seeds.length > 1 ? { req: req.run, seeds: req.seeds.slice(1), group } : null;
    return ok({ group, runId: r.value.runId });
  };

  resumeRun: LabApi['resumeRun'] = async (id) => {
    this.calls.push({ method: 'resumeRun', args: [id] });
    const r = this.runs.get(id);
    if (!r) return err('not-found', `No run '${id}' in the store.`);
    if (r.status !== 'interrupted' && r.status !== 'stopped') return err('conflict', `Run '${id}' is ${r.status}; only interrupted or stopped runs resume.`);
    if (this.activeRun()) return err('conflict', 'A run is already active.');
    this.setStatus(r, 'running');
    this.knowledge(r, 'resumed', `Resumed at step ${r.step}`);
    this.startTimer(r);
    return ok({ runId: id });
  };

  control: LabApi['control'] = async (req: ControlRequest) => {
    this.calls.push({ method: 'control', args: [req] });
    const r = this.runs.get(req.runId);
    if (!r) return err('not-found', `No run '${req.runId}' in the store.`);
    const live = r.status === 'running' || r.status === 'paused';
    if (!live) return err('conflict', `Run '${req.runId}' is ${r.status}.`);
    switch (req.action) {
      case 'pause':
        this.stopTimer(r);
        this.setStatus(r, 'paused');
        this.progress(r);
        break;
      case 'resume':
        this.setStatus(r, 'running');
        this.startTimer(r);
        break;
      case 'step':
        if (r.status !== 'paused') return err('conflict', 'Step works on a paused run.', 'Pause first.');
        for (let i = 0; i < (req.steps ?? 1); i++) this.advance(r);
        this.progress(r);
        break;
      case 'stop':
        this.stopTimer(r);
        this.setStatus(r, 'stopped');
        this.knowledge(r, 'stopped', `Stopped at step ${r.step}`);
        break;
      case 'nextTask':
        r.taskStep = this.o.taskSteps - 1;
        if (r.status === 'paused') {
          this.advance(r);
          this.progress(r);
        }
        break;
      case 'autonomous':
        r.autonomous = req.enabled ?? !r.autonomous;
        if (req.watchDir) this.log(r, 'info', `Watching ${req.watchDir} for new class folders`);
        break;
    }
    return ok({ runId: r.detail.summary.id, status: r.status });
  };

  exportRun: LabApi['exportRun'] = async (req) => {
    this.calls.push({ method: 'exportRun', args: [req] });
    const r = this.runs.get(req.runId);
    if (!r) return err('not-found', `No run '${req.runId}' in the store.`);
    const outDir = req.outDir ?? `(memory)/${req.runId}/exports`;
    return ok({ outDir, files: [`${outDir}/encoder.onnx`], parity: [{ model: 'encoder', maxAbsError: 2e-6, labelsEqual: true, ok: true }] });
  };

  pickPath: LabApi['pickPath'] = async () => err('unavailable', 'No file picker in the simulated host.', 'Type a path instead.');

  onEvent: LabApi['onEvent'] = (listener) => this.events.on(listener);

  onConnection(listener: (s: ConnectionState) => void): () => void {
    listener('open');
    return () => {};
  }
  connectionState(): ConnectionState {
    return 'open';
  }

  /** Stop every timer (tests and page unload). */
  dispose(): void {
    for (const r of this.runs.values()) this.stopTimer(r);
  }

  /** Inject any event, e.g. an engine crash, to see how the UI shows it. */
  emit(e: LabEvent): void {
    this.events.emit(e);
  }

  // ---------------------------------------------------------------- simulation

  private activeRun(): SimRun | undefined {
    return [...this.runs.values()].find((r) => r.status === 'running' || r.status === 'paused');
  }

  private makeSim(detail: RunDetail, req: StartRunRequest): SimRun {
    const rand = mulberry32(this.o.seed * 7919 + this.runs.size + 1);
    const bases = classBases(rand, this.o.numClasses, this.o.featureDim);
    return {
      detail,
      req,
      status: detail.summary.status,
      task: detail.summary.tasksDone,
      step: detail.metrics.length ? detail.metrics[detail.metrics.length - 1].step : 0,
      taskStep: 0,
      tasksTotal: detail.summary.tasksTotal,
      autonomous: req.autonomous ?? true,
      timer: null,
      rand,
      normal: gaussian(rand),
      bases,
      bestAcc: [],
    };
  }

  private taskClasses(r: SimRun, task: number): number[] {
    const k = r.req.classesPerTask;
    const out: number[] = [];
    for (let c = task * k; c < Math.min(this.o.numClasses, (task + 1) * k); c++) out.push(c);
    return out;
  }

  private seen(r: SimRun): number[] {
    return Array.from({ length: Math.min(this.o.numClasses, (r.task + 1) * r.req.classesPerTask) }, (_, i) => i);
  }

  private startTimer(r: SimRun): void {
    this.stopTimer(r);
    r.timer = setInterval(() => {
      for (let i = 0; i < this.o.stepsPerTick && r.status === 'running'; i++) this.advance(r);
      if (r.status === 'running') this.progress(r);
    }, this.o.tickMs);
  }

  private stopTimer(r: SimRun): void {
    if (r.timer) clearInterval(r.timer);
    r.timer = null;
  }

  private setStatus(r: SimRun, s: RunStatus): void {
    r.status = s;
    r.detail.summary.status = s;
    r.detail.summary.updatedAt = new Date().toISOString();
    this.emit({ type: 'run-status', runId: r.detail.summary.id, status: s });
  }

  private trainedness(r: SimRun): number {
    return Math.min(1, (r.task + r.taskStep / this.o.taskSteps) / Math.max(1, r.tasksTotal) + r.taskStep / this.o.taskSteps / 2);
  }

  private currentT(r: SimRun): number {
    const t = this.trainedness(r);
    return 1 + 9 * t + 0.4 * r.normal() * (1 - t);
  }

  private advance(r: SimRun): void {
    r.step++;
    r.taskStep++;
    const T = this.currentT(r);
    const m: MetricRecord = {
      type: 'step',
      task: r.task,
      step: r.step,
      taskStep: r.taskStep,
      lossEncoder: -T,
      lossDecoder: T,
      T,
      deltaRZ: T * 0.7,
      deltaRZhat: T * 0.5,
      pairTerm: T * 0.2,
      samplesPerSec: 800 + 50 * r.normal(),
      time: r.step * 0.05,
    };
    r.detail.metrics.push(m);
    if (r.step % this.o.snapshotEvery === 0) {
      this.emit(this.snapshot(r));
      this.emit(this.reconstructions(r));
    }
    if (r.taskStep >= this.o.taskSteps) this.finishTask(r);
  }

  private progress(r: SimRun): void {
    const last = r.detail.metrics[r.detail.metrics.length - 1];
    const remaining = (r.tasksTotal - r.task) * this.o.taskSteps - r.taskStep;
    this.emit({
      type: 'progress',
      runId: r.detail.summary.id,
      status: r.status,
      task: r.task,
      tasksTotal: r.tasksTotal,
      step: r.step,
      taskStep: r.taskStep,
      taskSteps: this.o.taskSteps,
      lossEncoder: last?.lossEncoder ?? 0,
      lossDecoder: last?.lossDecoder ?? 0,
      T: last?.T ?? 0,
      samplesPerSec: last?.samplesPerSec ?? 0,
      etaSec: Math.max(0, (remaining * this.o.tickMs) / this.o.stepsPerTick / 1000),
      backend: r.detail.summary.backend,
      adapter: null,
    });
  }

  private finishTask(r: SimRun): void {
    const seen = this.seen(r);
    const fresh = this.taskClasses(r, r.task);
    const acc = seen.map((c) => {
      const isNew = fresh.includes(c);
      const base = isNew ? 0.93 : 0.9 - 0.02 * (r.task - Math.floor(c / r.req.classesPerTask));
      return Math.max(0, Math.min(1, base + 0.03 * r.normal()));
    });
    const forgetting = seen.map((c, i) => Math.max(0, (r.bestAcc[c] ?? acc[i]) - acc[i]));
    seen.forEach((c, i) => (r.bestAcc[c] = Math.max(r.bestAcc[c] ?? 0, acc[i])));
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
    const prevTasks = r.detail.knowledge.filter((k): k is TaskRecord => k.kind === 'task');
    const accAll = mean(acc);
    const cos = seen.map((a) => seen.map((b) => (a === b ? 1 : Math.abs(this.cosBetween(r, a, b)))));
    const layers = 2;
    const rec: TaskRecord = {
      kind: 'task',
      task: r.task,
      classes: fresh,
      seen,
      accMemory: acc,
      accPaper: acc.map((a) => Math.min(1, a + 0.02)),
      accAllMemory: accAll,
      accAllPaper: Math.min(1, accAll + 0.02),
      avgIncrementalMemory: mean([...prevTasks.map((t) => t.accAllMemory), accAll]),
      avgIncrementalPaper: mean([...prevTasks.map((t) => t.accAllPaper), Math.min(1, accAll + 0.02)]),
      forgetting,
      drift: seen.map(() => 0.05 * r.rand()),
      rank: seen.map(() => 3 + Math.floor(r.rand() * 3)),
      codingRate: seen.map(() => 4 + r.rand()),
      subspaceCos: cos,
      layerCompression: Array.from({ length: layers }, (_, l) => 1.5 - 0.3 * l + 0.1 * r.rand()),
      layerSparsity: Array.from({ length: layers }, (_, l) => 0.4 + 0.15 * l + 0.05 * r.rand()),
      memoryBytes: seen.length * 4096,
      elapsed: r.step * 0.05,
    };
    r.detail.knowledge.push(rec);
    r.detail.summary.tasksDone = r.task + 1;
    r.detail.summary.classesSeen = seen.length;
    r.detail.summary.lastAccuracy = rec.accAllMemory;
    r.detail.summary.lastAccuracyPaper = rec.accAllPaper;
    this.emit({ type: 'task-result', runId: r.detail.summary.id, record: rec });
    for (const c of fresh) this.knowledge(r, 'class-learned', `Learned class ${DIGITS[c] ?? c}`);
    this.knowledge(r, 'checkpoint', `Checkpoint at step ${r.step}`);
    r.task++;
    r.taskStep = 0;
    if (r.task >= r.tasksTotal) {
      this.stopTimer(r);
      this.knowledge(r, 'finished', `Finished ${r.tasksTotal} tasks`);
      this.setStatus(r, 'finished');
      const q = this.sweepQueue;
      if (q && r.detail.summary.sweep === q.group) {
        const [seed, ...rest] = q.seeds;
        this.sweepQueue = rest.length ? { ...q, seeds: rest } : null;
        void this.startRun({ ...q.req, seed }).then((n) => {
          if (n.ok) this.runs.get(n.value.runId)!.detail.summary.sweep = q.group;
        });
      }
      return;
    }
    this.knowledge(r, 'task-start', `Task ${r.task + 1} started: classes ${this.taskClasses(r, r.task).join(', ')}`);
    if (!r.autonomous) {
      this.stopTimer(r);
      this.setStatus(r, 'paused');
    }
  }

  private cosBetween(r: SimRun, a: number, b: number): number {
    const d = this.o.featureDim;
    let s = 0;
    for (let j = 0; j < d; j++) s += r.bases[a][j] * r.bases[b][j];
    return s;
  }

  private knowledge(r: SimRun, event: KnowledgeEvent['event'], message: string): void {
    const rec: KnowledgeEvent = { kind: 'event', event, task: r.task, step: r.step, time: r.step * 0.05, message };
    r.detail.knowledge.push(rec);
    this.emit({ type: 'knowledge', runId: r.detail.summary.id, record: rec });
  }

  private log(r: SimRun, level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', runId: r.detail.summary.id, level, message, time: new Date().toISOString() });
  }

  /** Features near each seen class's 3-dim subspace; the noise shrinks with training. */
  snapshot(r: SimRun, points = this.o.snapshotPoints): LabEvent {
    return cloudSnapshot({
      runId: r.detail.summary.id, task: r.task, step: r.step, classNames: r.detail.classNames, seen: this.seen(r),
      bases: r.bases, featureDim: this.o.featureDim, points, noise: 0.7 * (1 - this.trainedness(r)) + 0.12, normal: r.normal,
    });
  }

  /** A snapshot of the given size for the given run. */
  snapshotFor(runId: string, points: number): LabEvent | null {
    const r = this.runs.get(runId);
    return r ? this.snapshot(r, points) : null;
  }

  private reconstructions(r: SimRun): LabEvent {
    const s = this.o.imageSize;
    const seen = this.seen(r);
    const fresh = new Set(this.taskClasses(r, r.task));
    const per = 4;
    const rows = seen.map((c) => {
      const x = new Float32Array(per * s * s);
      const xhat = new Float32Array(per * s * s);
      const q = this.trainedness(r);
      for (let p = 0; p < per; p++) {
        const angle = (c / this.o.numClasses) * Math.PI + p * 0.15;
        for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) {
          const u = (i - s / 2) * Math.cos(angle) + (j - s / 2) * Math.sin(angle);
          const rr = Math.hypot(i - s / 2, j - s / 2);
          const val = Math.max(-1, Math.min(1, Math.cos(u * (0.6 + 0.1 * c)) * (rr < s * 0.45 ? 1 : -1)));
          x[p * s * s + i * s + j] = val;
          xhat[p * s * s + i * s + j] = Math.max(-1, Math.min(1, val * (0.3 + 0.6 * q) + 0.35 * (1 - q) * r.normal()));
        }
      }
      const kind: 'pair' | 'memory' = fresh.has(c) ? 'pair' : 'memory';
      const wx: WireTensor = encodeWireTensor(x, [per, 1, s, s]);
      const wh: WireTensor = encodeWireTensor(xhat, [per, 1, s, s]);
      return kind === 'pair' ? { cls: c, kind, x: wx, xhat: wh } : { cls: c, kind, xhat: wh };
    });
    return {
      type: 'reconstructions',
      runId: r.detail.summary.id,
      task: r.task,
      step: r.step,
      imageShape: [1, s, s],
      rows,
      classNames: r.detail.classNames,
    };
  }

  private gridSvg(k: number): string {
    const cells: string[] = [];
    for (let c = 0; c < k; c++) for (let p = 0; p < 8; p++) {
      const shade = 40 + ((c * 37 + p * 23) % 200);
      cells.push(`<rect x="${p * 14}" y="${c * 14}" width="13" height="13" fill="rgb(${shade},${shade},${shade})"/>`);
    }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${8 * 14}" height="${k * 14}">${cells.join('')}</svg>`;
    return `data:image/svg+xml,${encodeURIComponent(svg)}`;
  }
}
