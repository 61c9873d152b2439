// The curriculum runner: learns a run's tasks one after another with the closed loop and the structured memory,
// evaluates after each task, checkpoints, and obeys control messages between steps.
//
// Learner state (what is carried from task to task): the two networks and their optimisers, the memory bank (features
// only), the curriculum position. Raw images exist only for the task being learned (`task.data`) and are dropped when
// the task ends; evaluation reads images from the DataSource, which stands for the user's dataset on disk.
import * as path from 'node:path';
import type { ActivityEvent, KnowledgeEvent, LabEvent, MetricRecord, ReconstructionEvent, RunStatus, SnapshotEvent, TaskRecord, TrainPhase } from '../../preload/api';
import { readLatestCheckpoint, removeStaleCheckpointTmp, writeCheckpoint, type CheckpointPayload, type TensorRecord } from '../store/checkpoints';
import { NdjsonWriter, readNdjson, truncateNdjson } from '../store/ndjson';
import type { RunIndex } from '../store/runIndex';
import { knowledgeFile, metricsFile, reconstructionsFile, snapshotFile, writeStatus, type RunJson } from '../store/runFiles';
import { writeJsonAtomic } from '../store/atomicFile';
import type { DataSource } from './dataSource';
import { accuracyOf, evaluateTask, MEMORY_PROTOCOL, mergeFits, type LabeledImages } from './evaluate';
import { toWire, type EventHub } from './events';
import type { Encoder, LoopModel, StepStats, TrainBatch } from './loopModel';
import { MemoryBank } from './memoryBank';
import type { Recipe } from './recipe';
import { EngineRng } from './rng';
import { fitNearestSubspace, fitNearestSubspaceLarge, type SubspaceModel } from './subspaceAdapter';
import { fitDriftMap } from './driftMap';
import { measureLoopFidelity, type LoopFidelity } from './loopFidelity';
import { StreamingLda } from './streamingLda';

/** Ridge of the linear drift map, relative to the probes' mean variance (driftMap.ts); 0.1 keeps it near identity where probes are thin. */
const DRIFT_MAP_RIDGE = 0.1;
/** images of a task whose head inputs extend the null-space basis (recipe nullSpaceEnergy) */
const NULL_SPACE_ROWS = 400;

export type Phase = 'start' | 'warmup' | 'loop' | 'decoder' | 'finalize';

export interface Position {
  task: number;
  phase: Phase;
  epoch: number;
  batch: number;
  step: number; // global step
  taskStep: number;
  /** the old classes' memory already follows this task's drift (done on entering the decoder phase, so that the
   *  decoder learns to draw the refreshed codes; otherwise at the task end) */
  memoryRefreshed?: boolean;
}

/** Task records carry which memory variant `accMemory` uses and the other variant's figures. */
export type EngineTaskRecord = TaskRecord & {
  memoryProtocol: 'statistics' | 'stored' | 'replayed';
  accAllMemoryReplayed: number;
  accMemoryReplayed: number[];
  accAllMemoryVectors: number;
  accMemoryVectors: number[];
};

export interface RunnerDeps {
  run: RunJson;
  runDir: string;
  recipe: Recipe;
  data: DataSource;
  model: LoopModel;
  hub: EventHub;
  index: RunIndex | null;
  /** false for the in-process baseline re-runs: nothing is written */
  persist: boolean;
  backend: { name: string; adapter: string | null };
  /** encoders for the baselines */
  makeEncoder: (from: { seed: number } | { params: Map<string, TensorRecord> }) => Encoder;
  /** a fresh model with another recipe, for the no-memory baseline */
  makeModel: (recipe: Recipe, seed: number) => LoopModel;
  /** folder watching (autonomous mode) */
  watch?: { poll: () => Promise<number[] | null>; dir: string } | null;
}

export class RunFailure extends Error {}

const MAX_DIVERGENCE_TRIES = 3;

function hashSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h ^= x & 0xffffffff;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** Seeds of the batch order per phase (warm-up and loop kept from before the decoder phase: resumed runs draw the same batches). */
const PHASE_SEED: Partial<Record<Phase, number>> = { warmup: 1, loop: 2, decoder: 3 };

const finite = (s: StepStats) => [s.T, s.lossEncoder, s.lossDecoder].every(Number.isFinite);

export class CurriculumRunner {
  readonly runId: string;
  status: RunStatus = 'created';
  tasks: number[][];
  pos: Position = { task: 0, phase: 'start', epoch: 0, batch: 0, step: 0, taskStep: 0 };
  history: EngineTaskRecord[] = [];
  memory: MemoryBank;
  /** frozen-encoder baseline: the encoder after the first task and a memory drawn with it */
  frozen: { params: Map<string, TensorRecord>; enc: Encoder; memory: MemoryBank; lda: StreamingLda } | null = null;
  /** both networks and optimisers right after the first task: the no-memory baseline branches from here */
  branch: Map<string, TensorRecord> | null = null;
  /** the task being learned: its images exist only while it runs */
  task: { classes: number[]; seen: number[]; data: LabeledImages; localLabels: Int32Array; xMem: Float32Array | null; zAnchor: Float32Array | null } | null = null;
  autonomous = true;
  lastMessage = '';
  /** the lab's classifier after the last task (memory protocol); stored as 'cls/<class>/…' for export */
  classifier: SubspaceModel | null = null;

  private lrScale = 1;
  /** f₀ of the task's new images (encoder at the task start): probes of drift compensation 2/3, targets of distillation */
  private driftProbe: { task: number; z0: Float32Array; n: number } | null = null;
  private divergences = 0;
  private rng: EngineRng;
  private elapsedBefore = 0;
  private startedAt = Date.now();
  private metricsW: NdjsonWriter | null = null;
  private knowledgeW: NdjsonWriter | null = null;
  private perm: { key: string; perm: Int32Array } | null = null;
  /** f(x) of the task's images for its decoder phase, where f does not move (recomputed after a resume) */
  private decoderFeatures: { task: number; z: Float32Array } | null = null;
  private stepTimes: number[] = [];
  /** the loop-fidelity judge's raw-pixel subspace per class (evaluation data from the dataset, never learner state) */
  private pixelFits = new Map<number, SubspaceModel>();
  private resumedFrom: number | null = null;
  private resumeNote: string | null = null;
  /** classes known before the first task: learned by the run this one continues from (`train --from`) */
  private readonly base: number[];

  /** set on the no-memory baseline's sub-run: where it is, for the parent's activity events */
  private onStep: ((task: number, taskStep: number, taskSteps: number) => void) | null = null;

  // control
  private pauseRequested = false;
  private stopRequested = false;
  private stepBudget = 0;
  private skipTask = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly d: RunnerDeps) {
    this.runId = d.run.id;
    this.tasks = d.run.tasks.map((t) => [...t]);
    this.memory = new MemoryBank(d.model.featureDim);
    this.rng = new EngineRng(d.run.seed);
    this.autonomous = d.run.request.autonomous ?? true;
    this.base = [...(d.run.from?.known ?? [])];
  }

  /** A continued run's starting point: the source's networks (fresh optimisers), memory and classifier. */
  async continueFrom(s: { weights: Map<string, TensorRecord>; memory: MemoryBank; classifier: SubspaceModel | null }): Promise<void> {
    if (this.pos.step !== 0 || this.pos.task !== 0 || this.history.length) throw new Error('continueFrom: the run has already started');
    await this.d.model.importState(s.weights);
    const mem = new MemoryBank(this.d.model.featureDim);
    for (const c of this.base) {
      const e = s.memory.classes.get(c);
      if (!e) throw new Error(`continueFrom: the source's memory has no class ${c}`);
      mem.classes.set(c, e);
    }
    mem.activations = s.memory.activations; // the span of the known classes' head inputs (null-space learning)
    this.memory = mem;
    this.classifier = s.classifier;
  }

  /** Whether the current task has earlier knowledge to keep (a later task, or any task of a continued run). */
  private later(): boolean {
    return this.pos.task > 0 || this.base.length > 0;
  }

  get recipe(): Recipe {
    return this.d.recipe;
  }
  get elapsed(): number {
    return this.elapsedBefore + (Date.now() - this.startedAt) / 1000;
  }

  // ------------------------------------------------------------------------------------------------------------
  // control (called from the service between steps; the loop yields to the event loop after every step)

  pause(): void {
    if (this.status === 'running') this.pauseRequested = true;
  }
  resume(): void {
    this.pauseRequested = false;
    this.stepBudget = 0;
    this.kick();
  }
  step(n: number): void {
    this.stepBudget = Math.max(1, Math.floor(n));
    this.pauseRequested = true;
    this.kick();
  }
  stop(): void {
    this.stopRequested = true;
    this.kick();
  }
  nextTask(): void {
    // inside a task: end its training now; between tasks (paused with autonomous off): just start the next one
    if (this.task) this.skipTask = true;
    this.pauseRequested = false;
    this.kick();
  }
  setAutonomous(on: boolean): void {
    this.autonomous = on;
    this.kick();
  }
  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
  /** Pause is asked for and not overruled by step N, stop or next task. */
  private holding(): boolean {
    return this.pauseRequested && this.stepBudget === 0 && !this.stopRequested;
  }

  /**
   * A pause point inside a long task end (the last task's baselines run for minutes): the run reports 'paused' and
   * waits here, as it does between steps, instead of making a Pause wait for the whole stretch.
   */
  private async pausePoint(): Promise<void> {
    await new Promise<void>((res) => setImmediate(res)); // let a control message in
    while (this.holding()) {
      if (this.status !== 'paused') await this.setStatus('paused');
      await this.sleep(200);
    }
    if (this.status === 'paused') await this.setStatus('running');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.wake = null;
        res();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        res();
      };
    });
  }

  /** Record (at the next start) that this run continues from a checkpoint; `note` says why it starts over instead. */
  markResumed(restored: boolean, note?: string): void {
    this.resumedFrom = restored ? this.pos.step : 0;
    this.resumeNote = note ?? null;
  }

  /** Start (or continue) in the background; the promise settles when the run ends. */
  start(): Promise<void> {
    if (!this.done) this.done = this.run();
    return this.done;
  }

  // ------------------------------------------------------------------------------------------------------------
  // store plumbing

  private openLogs(): void {
    if (!this.d.persist) return;
    this.metricsW = new NdjsonWriter(metricsFile(this.d.runDir));
    this.knowledgeW = new NdjsonWriter(knowledgeFile(this.d.runDir));
  }

  private emit(e: LabEvent): void {
    if (this.d.persist) this.d.hub.emit(e);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', runId: this.runId, level, message, time: new Date().toISOString() });
  }

  private activity(activity: ActivityEvent['activity'], detail = '', fraction: number | null = null): void {
    this.emit({ type: 'activity', runId: this.runId, activity, detail, fraction });
  }

  private knowledge(event: KnowledgeEvent['event'], message: string): void {
    const rec: KnowledgeEvent = { kind: 'event', event, task: this.pos.task, step: this.pos.step, time: this.elapsed, message };
    this.knowledgeW?.append(rec);
    this.emit({ type: 'knowledge', runId: this.runId, record: rec });
  }

  private async setStatus(status: RunStatus, message?: string): Promise<void> {
    this.status = status;
    if (message) this.lastMessage = message;
    if (this.d.persist) {
      const live = status === 'running' || status === 'paused';
      writeStatus(this.d.runDir, {
        status,
        updatedAt: new Date().toISOString(),
        ...(message ? { message } : {}),
        ...(live ? { pid: process.pid } : {}),
        tasksTotal: this.tasks.length,
      });
      await this.d.index?.refresh(this.runId);
    }
    this.emit({ type: 'run-status', runId: this.runId, status, ...(message ? { message } : {}) });
  }

  async checkpoint(): Promise<void> {
    if (!this.d.persist) return;
    const tensors = await this.d.model.exportState();
    for (const [k, v] of this.memory.toTensors('mem')) tensors.set(k, v);
    if (this.frozen) {
      for (const [k, v] of this.frozen.params) tensors.set(`frozen/${k}`, v);
      for (const [k, v] of this.frozen.memory.toTensors('fmem')) tensors.set(k, v);
      for (const [k, v] of this.frozen.lda.toTensors('flda')) tensors.set(k, v);
    }
    if (this.branch) for (const [k, v] of this.branch) tensors.set(`branch/${k}`, v);
    if (this.classifier) {
      const F = this.classifier.featureDim;
      this.classifier.classes.forEach((c, i) => {
        const b = this.classifier!.bases[i];
        tensors.set(`cls/${c}/mean`, { shape: [F], dtype: 'float32', data: this.classifier!.means[i] });
        tensors.set(`cls/${c}/basis`, { shape: [F, b.length / F], dtype: 'float32', data: b });
        tensors.set(`cls/${c}/sigma`, { shape: [this.classifier!.sigma[i].length], dtype: 'float32', data: this.classifier!.sigma[i] });
      });
    }
    // f₀ of the task's new images (drift compensation 2/3): without it a task resumed mid-way could not compensate
    if (this.driftProbe?.task === this.pos.task)
      tensors.set('task/driftprobe', { shape: [this.driftProbe.n, this.d.model.featureDim], dtype: 'float32', data: this.driftProbe.z0 });
    if (this.task?.zAnchor) tensors.set('task/zanchor', { shape: [this.task.zAnchor.length / this.d.model.featureDim, this.d.model.featureDim], dtype: 'float32', data: this.task.zAnchor });
    if (this.task?.xMem) tensors.set('task/xmem', { shape: [this.task.xMem.length / this.d.model.imageSize, this.d.model.imageSize], dtype: 'float32', data: this.task.xMem });
    const payload: CheckpointPayload = {
      step: this.pos.step,
      tensors,
      state: {
        runId: this.runId,
        pos: { ...this.pos },
        tasks: this.tasks,
        classNames: this.d.data.classNames,
        lrScale: this.lrScale,
        divergences: this.divergences,
        rng: this.rng.state,
        elapsed: this.elapsed,
        autonomous: this.autonomous,
        recipe: this.d.recipe,
        config: this.d.run.config,
        metricsBytes: this.metricsW!.sync(),
        knowledgeBytes: this.knowledgeW!.sync(),
      },
    };
    writeCheckpoint(this.d.runDir, payload, this.d.recipe.keep);
  }

  /** Restore the newest valid checkpoint (resume, divergence). Returns false when there is none. */
  async restore(): Promise<boolean> {
    removeStaleCheckpointTmp(this.d.runDir);
    const got = readLatestCheckpoint(this.d.runDir);
    if (!got) {
      // killed before the first checkpoint: start over with empty logs
      truncateNdjson(metricsFile(this.d.runDir), 0);
      truncateNdjson(knowledgeFile(this.d.runDir), 0);
      return false;
    }
    const { tensors, state } = got.payload;
    const s = state as {
      pos: Position; tasks: number[][]; classNames: string[]; lrScale: number; divergences: number; rng: number;
      elapsed: number; autonomous: boolean; metricsBytes: number; knowledgeBytes: number;
    };
    truncateNdjson(metricsFile(this.d.runDir), s.metricsBytes);
    truncateNdjson(knowledgeFile(this.d.runDir), s.knowledgeBytes);
    await this.d.model.importState(tensors);
    const allClasses = s.classNames.map((_, i) => i);
    this.memory = MemoryBank.fromTensors('mem', this.d.model.featureDim, tensors, allClasses);
    this.frozen?.enc.dispose();
    this.frozen = null;
    const fparams = new Map<string, TensorRecord>();
    for (const [k, v] of tensors) if (k.startsWith('frozen/')) fparams.set(k.slice('frozen/'.length), v);
    if (fparams.size) {
      this.frozen = {
        params: fparams,
        enc: this.d.makeEncoder({ params: fparams }),
        memory: MemoryBank.fromTensors('fmem', this.d.model.featureDim, tensors, allClasses),
        lda: StreamingLda.fromTensors('flda', this.d.model.featureDim, tensors) ?? new StreamingLda(this.d.model.featureDim),
      };
    }
    this.classifier = classifierFrom(tensors, this.d.model.featureDim);
    const branch = new Map<string, TensorRecord>();
    for (const [k, v] of tensors) if (k.startsWith('branch/')) branch.set(k.slice('branch/'.length), v);
    this.branch = branch.size ? branch : null;
    this.pos = { ...s.pos };
    this.tasks = s.tasks.map((t) => [...t]);
    this.lrScale = s.lrScale;
    this.divergences = s.divergences;
    this.rng = EngineRng.fromState(s.rng);
    this.elapsedBefore = s.elapsed;
    this.startedAt = Date.now();
    this.autonomous = s.autonomous;
    this.history = readNdjson<TaskRecord>(knowledgeFile(this.d.runDir)).records.filter((r): r is EngineTaskRecord => r.kind === 'task');
    this.task = null;
    if (this.pos.phase === 'warmup' || this.pos.phase === 'loop' || this.pos.phase === 'decoder' || this.pos.phase === 'finalize') {
      const xm = tensors.get('task/xmem');
      const za = tensors.get('task/zanchor');
      const dp = tensors.get('task/driftprobe');
      this.driftProbe = dp ? { task: this.pos.task, z0: dp.data as Float32Array, n: dp.shape[0] } : null;
      this.enterTask(xm ? (xm.data as Float32Array) : null, za ? (za.data as Float32Array) : null);
    }
    return true;
  }

  // ------------------------------------------------------------------------------------------------------------
  // the loop

  private async run(): Promise<void> {
    try {
      this.openLogs();
      if (this.resumedFrom !== null)
        this.knowledge('resumed', this.resumedFrom > 0 ? `resumed from the checkpoint at step ${this.resumedFrom} (task ${this.pos.task + 1})` : (this.resumeNote ?? 'restarted from the beginning (no checkpoint was written before the interruption)'));
      await this.setStatus('running');
      if (this.pos.step === 0 && this.pos.phase === 'start' && this.pos.task === 0) await this.checkpoint();
      for (;;) {
        await new Promise<void>((r) => setImmediate(r)); // let control messages in
        if (this.stopRequested) break;
        if (this.holding()) {
          if (this.status !== 'paused') await this.setStatus('paused');
          await this.sleep(200);
          continue;
        }
        if (this.status === 'paused') await this.setStatus('running');
        if (this.pos.task >= this.tasks.length) {
          if (this.d.watch && this.autonomous) {
            const found = await this.d.watch.poll();
            if (found && found.length) {
              this.tasks.push(found);
              this.knowledge('watch-found', `new class folder(s) in ${this.d.watch.dir}: ${found.map((c) => this.d.data.classNames[c]).join(', ')}`);
              await this.setStatus('running');
              continue;
            }
            await this.sleep(500);
            continue;
          }
          break;
        }
        if (this.pos.phase === 'start') await this.startTask();
        else if (this.pos.phase === 'finalize') await this.finishTask();
        else await this.trainStep();
      }
      // the closing event goes into the log before the checkpoint, so a later resume keeps it
      if (this.stopRequested) {
        this.knowledge('stopped', 'stopped on request');
        await this.checkpoint();
        await this.setStatus('stopped');
      } else {
        this.knowledge('finished', `curriculum finished: ${this.history.length} task(s) in ${this.elapsed.toFixed(1)} s`);
        await this.checkpoint();
        await this.setStatus('finished');
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.log('error', msg);
      try {
        this.knowledgeW?.sync();
        await this.setStatus('failed', msg);
      } catch {
        // the store itself failed: the status stays 'running' and the index reports 'interrupted'
      }
      if (!this.d.persist) throw e;
    } finally {
      this.d.hub.flush();
      this.metricsW?.close();
      this.knowledgeW?.close();
    }
  }

  private seenThrough(taskIndex: number): number[] {
    return [...this.base, ...this.tasks.slice(0, taskIndex + 1).flat()];
  }

  /** Build the task's working set: its images, local labels and the replay (X_mem given when restoring). */
  private enterTask(xMem: Float32Array | null, zAnchor: Float32Array | null): void {
    const classes = this.tasks[this.pos.task];
    const seen = this.seenThrough(this.pos.task);
    const local = new Map(seen.map((c, i) => [c, i]));
    const data = this.d.data.subset('train', classes);
    const localLabels = Int32Array.from(data.y, (c) => local.get(c)!);
    const old = seen.filter((c) => !classes.includes(c));
    const useMemory = this.later() && !this.d.recipe.noMemory && old.length > 0;
    const mem = this.memory.rows(old);
    this.task = { classes, seen, data, localLabels, xMem: useMemory ? xMem : null, zAnchor: useMemory ? zAnchor : null };
    if (useMemory && xMem) {
      this.d.model.setReplay(
        {
          z: mem.z,
          labels: Int32Array.from(mem.labels, (c) => local.get(c)!),
          m: mem.m,
          newClasses: classes.map((c) => local.get(c)!),
          anchorWeight: zAnchor ? this.d.recipe.anchorWeight : 0,
          anchorTarget: zAnchor,
        },
        xMem,
      );
    } else this.d.model.setReplay(null, null);
    this.d.model.setLrScale((this.later() ? this.d.recipe.laterLrScale : 1) * this.lrScale);
    // recipe nullSpaceEnergy: later tasks learn the head only, away from old classes' head inputs
    this.d.model.setNullSpace?.(this.later() && this.d.recipe.nullSpaceEnergy > 0 && !this.d.recipe.noMemory ? this.memory.activations : null);
    this.perm = null;
  }

  private warmupEpochs(): number {
    return this.later() ? this.d.recipe.laterWarmupEpochs : this.d.recipe.warmupEpochs;
  }

  private decoderEpochs(): number {
    const r = this.d.recipe;
    return this.later() && r.laterDecoderEpochs >= 0 ? r.laterDecoderEpochs : r.decoderEpochs;
  }

  private async startTask(): Promise<void> {
    const classes = this.tasks[this.pos.task];
    // the no-memory baseline gets the probes too: compensating drift from the new images needs no replay, and a
    // baseline without it would be weaker than a careful learner without memory
    if ((this.d.recipe.driftCompensation >= 2 || this.d.recipe.distillWeight > 0) && this.later()) {
      const data = this.d.data.subset('train', classes); // f₀ of the new images: drift probes for compensateDrift
      this.driftProbe = { task: this.pos.task, z0: await this.d.model.encode(data.x, data.n), n: data.n };
    }
    const seen = this.seenThrough(this.pos.task);
    const old = seen.filter((c) => !classes.includes(c));
    let xMem: Float32Array | null = null;
    let zAnchor: Float32Array | null = null;
    if (this.later() && !this.d.recipe.noMemory && old.length) {
      const mem = this.memory.rows(old);
      xMem = await this.d.model.decode(mem.z, mem.m); // X_mem = g(Z_mem), decoded once per task and frozen
      if (this.d.recipe.anchorWeight > 0 || this.d.recipe.warmupAnchorWeight > 0 || this.d.recipe.driftCompensation === 1 || this.d.recipe.driftCompensation === 4) zAnchor = await this.d.model.encode(xMem, mem.m); // f₀(X_mem)
    }
    if (this.d.recipe.nullSpaceEnergy > 0 && this.later() && !this.d.recipe.noMemory && old.length && !this.memory.activations)
      this.log('warn', `null space: the classes known before this run came without the span of their head inputs (an export folder keeps only features), so task ${this.pos.task + 1} learns without protecting them`);
    this.pos = { ...this.pos, epoch: 0, batch: 0, taskStep: 0, phase: 'warmup', memoryRefreshed: false };
    this.enterTask(xMem, zAnchor);
    if (this.warmupEpochs() === 0) this.pos.phase = 'loop';
    if (this.d.recipe.freezeAfterFirst && this.later()) this.pos.phase = 'finalize';
    this.knowledge('task-start', `task ${this.pos.task + 1}/${this.tasks.length}: classes ${classes.map((c) => this.d.data.classNames[c]).join(', ')}${xMem ? ` with ${xMem.length / this.d.model.imageSize} memory rows replayed` : ''}`);
    this.log('info', `task ${this.pos.task + 1}/${this.tasks.length} started (${this.task!.data.n} images)`);
  }

  /** Images per step of a phase: the decoder phase has its own (smaller) batch. */
  private batchOf(phase: Phase): number {
    return Math.min(phase === 'decoder' ? this.d.recipe.decoderBatch : this.d.recipe.batchSize, this.task!.data.n);
  }

  private batchesPerEpoch(phase: Phase = this.pos.phase): number {
    const n = this.task!.data.n;
    const B = this.batchOf(phase);
    return n >= B ? Math.floor(n / B) : 1;
  }

  private taskSteps(): number {
    if (this.d.recipe.freezeAfterFirst && this.later()) return 0;
    return this.batchesPerEpoch('loop') * (this.warmupEpochs() + this.d.recipe.epochs) + this.batchesPerEpoch('decoder') * this.decoderEpochs();
  }

  /** Go on to `next` within the task. The decoder phase and the loop give the decoder different objectives, so
   *  entering or leaving the decoder phase starts the decoder's Adam afresh. */
  private movePhase(next: Phase): void {
    if (next === 'decoder' || this.pos.phase === 'decoder') this.d.model.resetDecoderOptimizer?.();
    this.pos = { ...this.pos, phase: next, epoch: 0, batch: 0 };
  }

  /** The phase after `phase` within a task. */
  private nextPhase(phase: Phase): Phase {
    if (phase === 'warmup') return 'loop';
    if (phase === 'loop' && this.decoderEpochs() > 0) return 'decoder';
    return 'finalize';
  }

  private async trainStep(): Promise<void> {
    const t = this.task!;
    const phaseEpochs = this.pos.phase === 'warmup' ? this.warmupEpochs() : this.pos.phase === 'decoder' ? this.decoderEpochs() : this.d.recipe.epochs;
    if (this.skipTask) {
      this.skipTask = false;
      this.movePhase('finalize');
      this.log('info', `task ${this.pos.task + 1}: moving on to the next task on request`);
      return;
    }
    if (this.pos.epoch >= phaseEpochs) {
      const next = this.nextPhase(this.pos.phase);
      if (next === 'decoder' && !this.pos.memoryRefreshed) await this.refreshMemory();
      this.movePhase(next);
      return;
    }
    // 1. the batch: a permutation per (task, phase, epoch) from the run seed, so a resumed run draws the same batches
    const key = `${this.pos.task}/${this.pos.phase}/${this.pos.epoch}`;
    if (this.perm?.key !== key)
      this.perm = { key, perm: new EngineRng(hashSeed(this.d.run.seed, this.pos.task, PHASE_SEED[this.pos.phase] ?? 2, this.pos.epoch)).permutation(t.data.n) };
    const B = this.batchOf(this.pos.phase);
    const idx = this.perm.perm.subarray(this.pos.batch * B, this.pos.batch * B + B);
    const S = this.d.model.imageSize;
    const x = new Float32Array(idx.length * S);
    const labels = new Int32Array(idx.length);
    idx.forEach((j, i) => {
      x.set(t.data.x.subarray(j * S, (j + 1) * S), i * S);
      labels[i] = t.localLabels[j];
    });
    const batch: TrainBatch = { x, n: idx.length, labels, k: t.seen.length };
    if (this.pos.phase === 'loop' && t.xMem && this.d.recipe.memPerBatch > 0) {
      const rows = this.memoryRowsForStep(t);
      if (rows) batch.memRows = rows;
    }
    if (this.pos.phase === 'decoder') {
      // f is fixed in this phase: the task's images are encoded once, not at every step
      if (this.decoderFeatures?.task !== this.pos.task) this.decoderFeatures = { task: this.pos.task, z: await this.d.model.encode(t.data.x, t.data.n) };
      batch.z = gatherRows(this.decoderFeatures.z, idx, this.d.model.featureDim);
    }
    if (this.pos.phase === 'decoder' && t.xMem) {
      // generative self-replay: every old class gets as many rows as a new class has images in the step
      const old = t.seen.length - t.classes.length;
      const balanced = Math.ceil(B / t.classes.length) * old;
      const rows = this.memoryRowsForStep(t, this.d.recipe.decoderMemRows > 0 ? Math.min(balanced, this.d.recipe.decoderMemRows) : balanced);
      if (rows) batch.memRows = rows;
    }

    // 2. the step
    const t0 = performance.now();
    let stats: StepStats;
    try {
      if (this.pos.phase === 'warmup') {
        const old = t.seen.filter((c) => !t.classes.includes(c));
        const local = new Map(t.seen.map((c, i) => [c, i]));
        const all = this.later() && !this.d.recipe.noMemory ? this.memory.rows(old) : null;
        // the same class-balanced subset of at most memPerBatch rows as the loop steps replay (bounds the step's size)
        const sel = all && this.d.recipe.memPerBatch > 0 ? this.memoryRowsForStep(t) : null;
        let mem = all && sel ? subsetRows(all, sel, this.d.model.featureDim) : all;
        if (all && this.d.recipe.replayImages && t.xMem) {
          // recipe replayImages: the decoded memory joins the batch as images of the old classes (the first task's
          // objective on all of them), instead of entering the rate terms as fixed vectors
          const rows = sel ?? Int32Array.from({ length: all.m }, (_, i) => i);
          const S = this.d.model.imageSize;
          const xb = new Float32Array((batch.n + rows.length) * S);
          xb.set(batch.x);
          rows.forEach((r, i) => xb.set(t.xMem!.subarray(r * S, (r + 1) * S), (batch.n + i) * S));
          const lb = new Int32Array(batch.n + rows.length);
          lb.set(batch.labels);
          rows.forEach((r, i) => (lb[batch.n + i] = local.get(all.labels[r])!));
          const F = this.d.model.featureDim;
          if (this.d.recipe.warmupAnchorWeight > 0 && t.zAnchor) {
            const src = this.d.recipe.anchorToMemory ? all.z : t.zAnchor;
            const target = new Float32Array(rows.length * F);
            rows.forEach((r, i) => target.set(src.subarray(r * F, (r + 1) * F), i * F));
            batch.anchor = { from: batch.n, target, weight: this.d.recipe.warmupAnchorWeight };
          }
          batch.x = xb;
          batch.labels = lb;
          batch.n += rows.length;
          mem = null;
        }
        if (all && mem && this.d.recipe.distillWeight > 0 && this.driftProbe?.task === this.pos.task) {
          const F = this.d.model.featureDim;
          const z0 = this.driftProbe.z0;
          batch.distillTarget = new Float32Array(idx.length * F);
          idx.forEach((j, i) => batch.distillTarget!.set(z0.subarray(j * F, (j + 1) * F), i * F));
        }
        if (this.later() && this.d.recipe.reconInvariance > 0) batch.reconView = true;
        stats = await this.d.model.warmupStep(batch, mem ? { z: mem.z, labels: Int32Array.from(mem.labels, (c) => local.get(c)!), m: mem.m } : null);
      } else if (this.pos.phase === 'decoder') {
        if (!this.d.model.decoderStep) throw new Error('this model has no decoder phase (recipe decoderEpochs must be 0)');
        stats = await this.d.model.decoderStep(batch, this.d.recipe.decoderLr * this.lrScale);
      } else stats = await this.d.model.loopStep(batch);
    } catch (e) {
      // the losses refuse non-finite features (NaN/Inf, or a Gram that is no longer positive definite): a divergence
      const msg = e instanceof Error ? e.message : String(e);
      if (!/NaN|Inf|non-finite|positive definite/i.test(msg)) throw e;
      return this.diverged({ T: NaN, lossEncoder: NaN, lossDecoder: NaN, deltaRZ: NaN, deltaRZhat: NaN, pairTerm: NaN }, msg);
    }
    const dt = (performance.now() - t0) / 1000;

    // 3. divergence guard
    if (!finite(stats)) return this.diverged(stats);

    // 4. bookkeeping
    this.pos.batch++;
    if (this.pos.batch >= this.batchesPerEpoch()) {
      this.pos.batch = 0;
      this.pos.epoch++;
    }
    this.pos.step++;
    this.pos.taskStep++;
    if (this.stepBudget > 0) this.stepBudget--;
    this.stepTimes.push(dt);
    if (this.stepTimes.length > 20) this.stepTimes.shift();
    const meanDt = this.stepTimes.reduce((a, b) => a + b, 0) / this.stepTimes.length;
    const samplesPerSec = batch.n / Math.max(meanDt, 1e-9);
    if (this.pos.step % this.d.recipe.logEvery === 0) {
      const rec: MetricRecord = {
        type: 'step', task: this.pos.task, step: this.pos.step, taskStep: this.pos.taskStep,
        lossEncoder: stats.lossEncoder, lossDecoder: stats.lossDecoder, T: stats.T, deltaRZ: stats.deltaRZ,
        deltaRZhat: stats.deltaRZhat, pairTerm: stats.pairTerm, samplesPerSec, time: this.elapsed, phase: this.pos.phase as TrainPhase,
      };
      this.metricsW?.append(rec);
    }
    const taskSteps = this.taskSteps();
    this.onStep?.(this.pos.task, this.pos.taskStep, taskSteps);
    this.emit({
      type: 'progress', runId: this.runId, status: this.status, task: this.pos.task, tasksTotal: this.tasks.length,
      step: this.pos.step, taskStep: this.pos.taskStep, taskSteps, lossEncoder: stats.lossEncoder, lossDecoder: stats.lossDecoder,
      T: stats.T, samplesPerSec, etaSec: Math.max(0, taskSteps - this.pos.taskStep) * meanDt + (this.tasks.length - this.pos.task - 1) * taskSteps * meanDt,
      backend: this.d.backend.name, adapter: this.d.backend.adapter, phase: this.pos.phase as TrainPhase,
    });
    if (this.pos.step % this.d.recipe.checkpointEvery === 0) await this.checkpoint();
  }

  /** A class-balanced random subset of the replayed memory rows for this step (seeded by run, task and step). */
  private memoryRowsForStep(t: NonNullable<CurriculumRunner['task']>, want = this.d.recipe.memPerBatch): Int32Array | null {
    const old = t.seen.filter((c) => !t.classes.includes(c));
    const counts = old.map((c) => this.memory.classes.get(c)?.m ?? 0);
    const m = counts.reduce((a, b) => a + b, 0);
    if (m <= want) return null;
    const rng = new EngineRng(hashSeed(this.d.run.seed, 11, this.pos.task, this.pos.step));
    const per = Math.max(1, Math.floor(want / old.length));
    const rows: number[] = [];
    let offset = 0;
    for (const cnt of counts) {
      const p = rng.permutation(cnt);
      for (let i = 0; i < Math.min(per, cnt); i++) rows.push(offset + p[i]);
      offset += cnt;
    }
    return Int32Array.from(rows.sort((a, b) => a - b));
  }

  private async diverged(stats: StepStats, cause?: string): Promise<void> {
    this.divergences++;
    const what = `non-finite ${cause ? 'features' : 'loss'} at task ${this.pos.task + 1}, step ${this.pos.step + 1} (${cause ?? `T=${stats.T}, encoder ${stats.lossEncoder}, decoder ${stats.lossDecoder}`})`;
    if (!this.d.persist || this.divergences > MAX_DIVERGENCE_TRIES)
      throw new RunFailure(`training diverged: ${what}; gave up after ${MAX_DIVERGENCE_TRIES} restarts with halved learning rates — try a smaller --lr or a larger --eps2`);
    const tries = this.divergences;
    const scale = this.lrScale * 0.5;
    await this.restore();
    this.divergences = tries;
    this.lrScale = scale;
    this.d.model.setLrScale((this.later() ? this.d.recipe.laterLrScale : 1) * this.lrScale);
    this.knowledge('divergence', `${what}: restored step ${this.pos.step}, learning rates ×${this.lrScale} (try ${tries}/${MAX_DIVERGENCE_TRIES})`);
    this.log('warn', `divergence: ${what}; restarting from step ${this.pos.step} with learning rates halved`);
  }

  private async finishTask(): Promise<void> {
    const t = this.task!;
    this.decoderFeatures = null; // the decoder phase is over: its features are not kept beyond the task
    const r = this.d.recipe;
    const F = this.d.model.featureDim;
    const tStart = performance.now();
    this.activity('evaluating', `task ${this.pos.task + 1}: memory of ${t.classes.map((c) => this.d.data.classNames[c]).join(', ')}, evaluation on every class seen`);

    // the new images under the encoder as it is now: drift probes (f) and the new classes' memory below
    const zNew = await this.d.model.encode(t.data.x, t.data.n);

    // 0. recipe driftCompensation: old classes' stored statistics follow the drift estimated from probes (unless the
    // decoder phase did it already)
    if (!this.pos.memoryRefreshed) await this.compensate(zNew);
    this.driftProbe = null;

    // 1. memory of the new classes
    const memOpts = { directions: r.memDirections, explore: r.memExplore, perDirection: r.memPerDirection, rank: r.subspaceRank };
    for (const c of t.classes) {
      const rows = pick(zNew, t.data.y, F, c);
      this.memory.addClass(c, rows.z, rows.n, memOpts, hashSeed(this.d.run.seed, 7, c));
    }

    // 1b. the span of the new classes' head inputs joins the null-space basis (a seeded subset of ≤ 400 images: the
    // basis grows from an n×n eigenproblem on the host)
    if (r.nullSpaceEnergy > 0 && !r.noMemory && this.d.model.headInputs) {
      const keep = t.data.n <= NULL_SPACE_ROWS ? Array.from({ length: t.data.n }, (_, i) => i) : [...new EngineRng(hashSeed(this.d.run.seed, 13, this.pos.task)).permutation(t.data.n).slice(0, NULL_SPACE_ROWS)].sort((p, q) => p - q);
      const { a, dim } = await this.d.model.headInputs(gatherRows(t.data.x, keep, this.d.model.imageSize), keep.length);
      const b = this.memory.extendActivations(a, keep.length, dim, r.nullSpaceEnergy);
      this.log('info', `null space: old classes' head inputs span ${b.k} of ${dim} directions`);
    }

    // 2. frozen-encoder baseline: keep the encoder of the first task and only add memory afterwards
    if (r.baselines && this.d.persist && !r.noMemory && !r.freezeAfterFirst) {
      if (this.pos.task === 0 && !this.frozen) {
        const params = await this.d.model.exportEncoder();
        this.frozen = { params, enc: this.d.makeEncoder({ params }), memory: new MemoryBank(F), lda: new StreamingLda(F) };
      }
      if (this.frozen) {
        const zf = await this.frozen.enc.encode(t.data.x, t.data.n);
        for (const c of t.classes) {
          const rows = pick(zf, t.data.y, F, c);
          this.frozen.memory.addClass(c, rows.z, rows.n, memOpts, hashSeed(this.d.run.seed, 7, c));
        }
        this.frozen.lda.update(zf, t.data.y, t.data.n); // streaming LDA / NCM: the task's new classes join the statistics
      }
    }

    if (this.pos.task === 0 && r.baselines && this.d.persist && !r.noMemory && !this.branch) this.branch = await this.d.model.exportState();

    // 3. evaluation on every seen class
    const test = this.d.data.subset('test', t.seen);
    const isLast = this.pos.task === this.tasks.length - 1 && !this.d.watch;
    const oldClasses = t.seen.filter((c) => !t.classes.includes(c));
    const ev = await evaluateTask({
      model: this.d.model, seen: t.seen, newClasses: t.classes, test, zNew, yNew: t.data.y, paperTrain: this.d.data.subset('train', oldClasses),
      memory: this.memory, rank: r.subspaceRank, eps2: r.eps2, previous: this.history,
    });
    const diag = await this.d.model.diagnostics(test.x, Math.min(32, test.n));
    const baselines: Record<string, number> = { accMemoryReplayed: ev.accAllReplayed, accMemoryVectors: ev.accAllVectors };
    // does the loop close? (the baselines' in-process re-runs skip it: nobody reads their records)
    const fidelity = this.d.persist ? await this.loopFidelity(test, t.seen, ev.zTest, ev.classifier) : null;
    if (this.frozen) Object.assign(baselines, await this.frozenBaseline(test, t.seen, t.classes, isLast));
    if (isLast && r.baselines && this.d.persist) Object.assign(baselines, await this.finalBaselines());

    const record: EngineTaskRecord = {
      kind: 'task',
      task: this.pos.task,
      classes: [...t.classes],
      ...ev.record,
      layerCompression: diag.layerCompression,
      layerSparsity: diag.layerSparsity,
      memoryBytes: this.memory.bytes(),
      elapsed: this.elapsed,
      baselines,
      memoryProtocol: MEMORY_PROTOCOL,
      accAllMemoryReplayed: ev.accAllReplayed,
      accMemoryReplayed: ev.accReplayed,
      accAllMemoryVectors: ev.accAllVectors,
      accMemoryVectors: ev.accVectors,
      ...(fidelity ? { loopFidelity: fidelity } : {}),
    };

    // 4. record, then forget the task's images
    for (const c of t.classes) this.knowledge('class-learned', `class ${this.d.data.classNames[c]} learned: accuracy ${(record.accMemory[t.seen.indexOf(c)] * 100).toFixed(1)}% from memory`);
    this.knowledgeW?.append(record);
    this.history.push(record);
    this.classifier = ev.classifier;
    this.emit({ type: 'task-result', runId: this.runId, record });
    this.emitSnapshot(ev.zTest, ev.yTest, ev.classifier);
    await this.emitReconstructions(test, t.classes, t.seen);
    this.activity(null);
    this.task = null;
    this.d.model.setReplay(null, null);
    this.pos = { ...this.pos, task: this.pos.task + 1, phase: 'start', epoch: 0, batch: 0, taskStep: 0 };
    await this.checkpoint();
    if (this.d.persist) await this.d.index?.refresh(this.runId);
    this.log('info', `task ${record.task + 1} done: accuracy ${(record.accAllMemory * 100).toFixed(1)}% from memory, ${(record.accAllPaper * 100).toFixed(1)}% paper protocol (evaluation ${((performance.now() - tStart) / 1000).toFixed(1)} s)`);
    if (!this.autonomous && this.pos.task < this.tasks.length) this.pauseRequested = true;
  }

  /**
   * Old classes' memory follows the encoder's drift of this task (recipe driftCompensation), before the decoder phase:
   * the decoder then learns to draw the refreshed codes Z_mem as the images X_mem decoded at the task start, and to
   * re-encode them where the moved encoder now has them (i-CTRL's memory update, with the stored class statistics
   * moved the same way).
   */
  private async refreshMemory(): Promise<void> {
    const t = this.task!;
    if (t.xMem) {
      const z = await this.d.model.encode(t.data.x, t.data.n);
      this.decoderFeatures = { task: this.pos.task, z }; // f does not move in the decoder phase: its features are these
      await this.compensate(z);
      const old = t.seen.filter((c) => !t.classes.includes(c));
      const local = new Map(t.seen.map((c, i) => [c, i]));
      const mem = this.memory.rows(old);
      this.d.model.setReplay(
        { z: mem.z, labels: Int32Array.from(mem.labels, (c) => local.get(c)!), m: mem.m, newClasses: t.classes.map((c) => local.get(c)!), anchorWeight: 0, anchorTarget: null },
        t.xMem,
      );
    }
    this.pos.memoryRefreshed = true;
  }

  /** Drift compensation of the old classes given f(new images) now (recipe driftCompensation 1–4). */
  private async compensate(zNew: Float32Array): Promise<void> {
    const t = this.task!;
    const r = this.d.recipe;
    const F = this.d.model.featureDim;
    const probe = this.driftProbe?.task === this.pos.task ? this.driftProbe : null;
    if (r.driftCompensation === 1 && t.xMem && t.zAnchor) this.compensateDrift(t.zAnchor, await this.d.model.encode(t.xMem, t.zAnchor.length / F), null);
    if (r.driftCompensation === 2 && probe) this.compensateDrift(probe.z0, zNew, probe.n);
    if (r.driftCompensation === 3 && probe) this.compensateDriftLinear(probe.z0, zNew, probe.n);
    if (r.driftCompensation === 4 && probe && t.xMem && t.zAnchor) {
      // one affine map fitted on the new images and on the decoded memory: probes where the old classes are
      const m = t.zAnchor.length / F;
      const z0 = new Float32Array((probe.n + m) * F);
      z0.set(probe.z0.subarray(0, probe.n * F));
      z0.set(t.zAnchor, probe.n * F);
      const z1 = new Float32Array((probe.n + m) * F);
      z1.set(zNew.subarray(0, probe.n * F));
      z1.set(await this.d.model.encode(t.xMem, m), probe.n * F);
      this.compensateDriftLinear(z0, z1, probe.n + m);
    }
  }

  /**
   * Shift each old class by a weighted mean of probe drifts f(x) − f₀(x), given as the probes' features z0 = f₀(x) at
   * the task start and z1 = f(x) now. Probes are either the decoded memory
   * (n = null: rows in memory.rows(old) order, each class from its own rows) or the task's n new images, weighted for
   * class c by exp(−‖f₀(x) − μ_c‖²/2σ²). The probe features at the task start are checkpointed ('task/driftprobe'), so a
   * task resumed in the middle compensates as an uninterrupted one does.
   */
  private compensateDrift(z0: Float32Array, z1: Float32Array, n: number | null): void {
    const t = this.task!;
    const F = this.d.model.featureDim;
    const old = t.seen.filter((c) => !t.classes.includes(c));
    const mem = n === null ? this.memory.rows(old) : null;
    const count = mem ? mem.m : n!;
    const SIGMA2 = 0.3 * 0.3;
    for (const c of old) {
      const mu = this.memory.classes.get(c)!.mean;
      const acc = new Float64Array(F);
      let wsum = 0;
      for (let i = 0; i < count; i++) {
        let w: number;
        if (mem) w = mem.labels[i] === c ? 1 : 0;
        else {
          let d2 = 0;
          for (let j = 0; j < F; j++) d2 += (z0[i * F + j] - mu[j]) ** 2;
          w = Math.exp(-d2 / (2 * SIGMA2));
        }
        if (w === 0) continue;
        for (let j = 0; j < F; j++) acc[j] += w * (z1[i * F + j] - z0[i * F + j]);
        wsum += w;
      }
      if (wsum < 1e-30) continue;
      this.memory.shift(c, Float32Array.from(acc, (v) => v / wsum));
    }
  }

  /** driftCompensation 3: one affine map f₀ → f fitted on the task's new images moves every old class (driftMap.ts). */
  private compensateDriftLinear(z0: Float32Array, z1: Float32Array, n: number): void {
    const t = this.task!;
    const F = this.d.model.featureDim;
    const map = fitDriftMap(z0, z1, n, F, DRIFT_MAP_RIDGE);
    for (const c of t.seen.filter((k) => !t.classes.includes(k))) this.memory.transform(c, map);
  }

  /** The encoder frozen after the first task, old classes from its memory, new classes from their features. */
  private async frozenBaseline(test: LabeledImages, seen: number[], newClasses: number[], withPaper: boolean): Promise<Record<string, number>> {
    const f = this.frozen!;
    const F = this.d.model.featureDim;
    const r = Math.min(this.d.recipe.subspaceRank, F);
    const zt = await f.enc.encode(test.x, test.n);
    const newTrain = this.d.data.subset('train', newClasses);
    const zNew = await f.enc.encode(newTrain.x, newTrain.n);
    const fits = new Map<number, SubspaceModel>();
    for (const c of seen) {
      if (newClasses.includes(c)) {
        const rows = pick(zNew, newTrain.y, F, c);
        fits.set(c, fitNearestSubspace(rows.z, rows.n, F, new Int32Array(rows.n).fill(c), [c], r));
      } else fits.set(c, f.memory.statisticsFit(c)); // same protocol as the lab's accMemory
    }
    const out: Record<string, number> = { frozenMemory: accuracyOf(mergeFits(fits, seen, r, F), zt, test.y, test.n, seen).all };
    // streaming LDA and nearest class mean on the same frozen encoder (a run checkpointed before they existed has
    // no statistics of its earlier classes: then they are left out)
    if (seen.every((c) => f.lda.classes.has(c))) {
      const s = f.lda.score(zt, test.y, test.n, seen);
      out.frozenLda = s.lda.all;
      out.frozenNcm = s.ncm.all;
      const earlier = (k: string) => this.history.map((h) => h.baselines?.[k]).filter((v): v is number => v !== undefined);
      const lda = earlier('frozenLda');
      const ncm = earlier('frozenNcm');
      if (lda.length === this.history.length) out.frozenLdaAvg = (lda.reduce((a, b) => a + b, 0) + s.lda.all) / (lda.length + 1);
      if (ncm.length === this.history.length) out.frozenNcmAvg = (ncm.reduce((a, b) => a + b, 0) + s.ncm.all) / (ncm.length + 1);
    }
    if (withPaper) {
      const train = this.d.data.subset('train', seen);
      const zp = await f.enc.encode(train.x, train.n);
      out.frozenPaper = accuracyOf(fitNearestSubspace(zp, train.n, F, train.y, seen, r), zt, test.y, test.n, seen).all;
    }
    return out;
  }

  /**
   * Loop fidelity of every seen class (loopFidelity.ts): test images through x → g(f(x)) → f, the memory samples through
   * z → g(z) → f, both classified by the lab's classifier, and g(z) judged by nearest subspace on raw pixels. The
   * judge's per-class fits are cached: a class's training images do not change.
   */
  private async loopFidelity(test: LabeledImages, seen: number[], zTest: Float32Array, classifier: SubspaceModel): Promise<LoopFidelity> {
    const S = this.d.model.imageSize;
    const r = this.d.recipe.subspaceRank;
    for (const c of seen) {
      if (this.pixelFits.has(c)) continue;
      const tr = this.d.data.subset('train', [c]);
      if (tr.n > 1) this.pixelFits.set(c, fitNearestSubspaceLarge(tr.x, tr.n, S, tr.y, [c], Math.min(r, tr.n - 1)));
    }
    const judged = seen.filter((c) => this.pixelFits.has(c)); // a class continued from another dataset has no images here
    const mem = this.memory.rows(seen);
    return measureLoopFidelity({
      encode: (x, n) => this.d.model.encode(x, n),
      decode: (z, n) => this.d.model.decode(z, n),
      seen,
      test,
      zTest,
      classifier,
      memory: mem,
      pixelJudge: judged.length ? mergeFits(this.pixelFits, judged, Math.min(r, ...judged.map((c) => this.pixelFits.get(c)!.r)), S) : null,
    });
  }

  /** Baselines in the same run and split: raw pixels, a random encoder (both with no learning), no-memory continuation. */
  private async finalBaselines(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const r = this.d.recipe;
    const prefixes = this.tasks.map((_, i) => this.seenThrough(i));
    const all = prefixes[prefixes.length - 1];
    const train = this.d.data.subset('train', all);
    const test = this.d.data.subset('test', all);
    const S = this.d.model.imageSize;
    const incremental = (fit: SubspaceModel, zTest: Float32Array, D: number) => {
      const accs = prefixes.map((seen) => {
        const m = restrict(fit, seen);
        const keep = indicesOf(test.y, seen);
        const z = gatherRows(zTest, keep, D);
        const y = Int32Array.from(keep, (i) => test.y[i]);
        return accuracyOf(m, z, y, keep.length, seen).all;
      });
      return { last: accs[accs.length - 1], avg: accs.reduce((a, b) => a + b, 0) / accs.length };
    };
    // raw-pixel nearest subspace: each class is fitted on its own, so one fit per class serves every task prefix
    await this.pausePoint();
    this.log('info', 'baseline: raw-pixel nearest subspace');
    this.activity('baselines', 'nearest subspace on raw pixels');
    const px = incremental(fitNearestSubspaceLarge(train.x, train.n, S, train.y, all, r.subspaceRank), test.x, S);
    out.rawPixelLast = px.last;
    out.rawPixelAvg = px.avg;
    await this.pausePoint();
    // randomly initialised encoder
    this.log('info', 'baseline: randomly initialised encoder');
    this.activity('baselines', 'a randomly initialised encoder');
    const rnd = this.d.makeEncoder({ seed: hashSeed(this.d.run.seed, 99) });
    try {
      const F = this.d.model.featureDim;
      const ztr = await rnd.encode(train.x, train.n);
      const zte = await rnd.encode(test.x, test.n);
      const re = incremental(fitNearestSubspace(ztr, train.n, F, train.y, all, r.subspaceRank), zte, F);
      out.randomEncoderLast = re.last;
      out.randomEncoderAvg = re.avg;
    } finally {
      rnd.dispose();
    }
    // continuing without memory: the same curriculum re-run with nothing replayed
    if (this.tasks.length > 1 && !r.noMemory) {
      await this.pausePoint();
      this.log('info', 'baseline: re-running the curriculum without memory');
      const rec: Recipe = { ...r, noMemory: true, baselines: false, epochs: Math.max(1, Math.round(r.epochs * r.baselineEpochScale)), warmupEpochs: Math.round(r.warmupEpochs * r.baselineEpochScale) };
      const model = this.d.makeModel(rec, this.d.run.seed);
      const sub = new CurriculumRunner({ ...this.d, recipe: rec, model, persist: false, index: null, watch: null });
      sub.tasks = this.tasks.map((x) => [...x]);
      if (this.branch && this.history.length) {
        // the first task is the same with or without memory: branch from its end instead of learning it again
        await model.importState(this.branch);
        for (const c of this.tasks[0]) {
          const e = this.memory.classes.get(c);
          if (e) sub.memory.classes.set(c, e);
        }
        sub.history = [this.history[0]];
        sub.pos = { task: 1, phase: 'start', epoch: 0, batch: 0, step: 0, taskStep: 0 };
      }
      // the re-run is minutes of training: its progress shows as the run's activity, throttled to 2 per second
      const first = sub.pos.task;
      const span = Math.max(1, this.tasks.length - first);
      let shown = 0;
      const report = (task: number, taskStep: number, taskSteps: number, force = false) => {
        const now = Date.now();
        if (!force && now - shown < 500) return;
        shown = now;
        const f = Math.min(1, (task - first + (taskSteps > 0 ? taskStep / taskSteps : 0)) / span);
        this.activity('baselines', `re-run without memory · task ${task + 1} of ${this.tasks.length}`, f);
      };
      sub.onStep = report;
      report(first, 0, 1, true);
      // Stop and Pause reach the re-run (the run reports 'paused' while it waits)
      let settled = false;
      const mirror = (async () => {
        let held = false;
        while (!settled) {
          await new Promise<void>((res) => setTimeout(res, 100));
          if (settled) break;
          if (this.stopRequested) sub.stop();
          const hold = this.holding();
          if (hold === held) continue;
          held = hold;
          sub.pauseRequested = hold; // set directly: the sub-run may not have reached 'running' yet
          if (!hold) sub.resume();
          await this.setStatus(hold ? 'paused' : 'running');
        }
      })();
      try {
        await sub.start();
        const last = sub.history[sub.history.length - 1];
        if (last && sub.history.length === this.tasks.length) {
          out.noMemoryLastMemory = last.accAllMemory;
          out.noMemoryLastPaper = last.accAllPaper;
          out.noMemoryAvgMemory = last.avgIncrementalMemory;
        }
      } finally {
        settled = true;
        await mirror;
        model.dispose();
      }
    }
    return out;
  }

  private emitSnapshot(z: Float32Array, y: Int32Array, cls: SubspaceModel): void {
    if (!this.d.persist) return;
    const F = this.d.model.featureDim;
    const classes = cls.classes;
    const per = Math.max(1, Math.floor(5000 / Math.max(1, classes.length)));
    const keep: number[] = [];
    const count = new Map<number, number>();
    const order = this.rng.permutation(y.length);
    for (const i of order) {
      const c = y[i];
      if ((count.get(c) ?? 0) >= per) continue;
      count.set(c, (count.get(c) ?? 0) + 1);
      keep.push(i);
    }
    const e: SnapshotEvent = {
      type: 'snapshot', runId: this.runId, task: this.pos.task, step: this.pos.step,
      labels: keep.map((i) => y[i]),
      features: toWire(gatherRows(z, keep, F), [keep.length, F]),
      classes: classes.map((c, i) => ({
        cls: c, mean: Array.from(cls.means[i]), basis: toWire(Float32Array.from(cls.bases[i]), [F, cls.bases[i].length / F]), sigma: Array.from(cls.sigma[i]),
      })),
      classNames: this.d.data.classNames,
    };
    // kept with the run (the latest task end only: at most ≈ 3.5 MB at F = 128, 5,000 points), so a reopened run shows its classes in 3D
    writeJsonAtomic(snapshotFile(this.d.runDir), e);
    this.emit(e);
  }

  private async emitReconstructions(test: LabeledImages, newClasses: number[], seen: number[]): Promise<void> {
    if (!this.d.persist) return;
    const S = this.d.model.imageSize;
    const F = this.d.model.featureDim;
    const rows: { cls: number; kind: 'pair' | 'memory'; x?: { shape: number[]; b64: string }; xhat: { shape: number[]; b64: string } }[] = [];
    const shape = [...this.d.data.shape];
    const per = reconstructionCounts(seen.length - newClasses.length);
    for (const c of newClasses) {
      const idx = indicesOf(test.y, [c]).slice(0, per.pairs);
      if (!idx.length) continue;
      const x = gatherRows(test.x, idx, S);
      const xh = await this.d.model.decode(await this.d.model.encode(x, idx.length), idx.length);
      rows.push({ cls: c, kind: 'pair', x: toWire(x, [idx.length, ...shape]), xhat: toWire(xh, [idx.length, ...shape]) });
    }
    for (const c of seen.filter((s) => !newClasses.includes(s))) {
      const m = this.memory.classes.get(c);
      if (!m) continue;
      const k = Math.min(per.memory, m.m);
      const xh = await this.d.model.decode(m.z.subarray(0, k * F), k);
      rows.push({ cls: c, kind: 'memory', xhat: toWire(xh, [k, ...shape]) });
    }
    const e: ReconstructionEvent = { type: 'reconstructions', runId: this.runId, task: this.pos.task, step: this.pos.step, imageShape: this.d.data.shape, rows, classNames: this.d.data.classNames };
    // kept with the run (the latest task end only: ≈ 0.25 MB for ten digit classes), so a reopened run shows them
    writeJsonAtomic(reconstructionsFile(this.d.runDir), e);
    this.emit(e);
  }

  dispose(): void {
    this.frozen?.enc.dispose();
    this.frozen = null;
    this.d.model.dispose();
  }

  get runDir(): string {
    return this.d.runDir;
  }
  get checkpointsDir(): string {
    return path.join(this.d.runDir, 'checkpoints');
  }
}

/**
 * Images per class row of a task end's reconstructions: what the window shows (3 x | x̂ pairs, 6 samples of g(Z_mem)),
 * and fewer memory samples when many classes are old, so that the event and reconstructions.json stay near 1.5 MB
 * even for CIFAR-100 (8 of each for 100 classes were ≈ 13 MB, rewritten at every task end).
 */
export function reconstructionCounts(oldClasses: number): { pairs: number; memory: number } {
  return { pairs: 3, memory: Math.max(1, Math.min(6, Math.floor(120 / Math.max(1, oldClasses)))) };
}

function pick(z: Float32Array, y: Int32Array, F: number, cls: number): { z: Float32Array; n: number } {
  const idx = indicesOf(y, [cls]);
  return { z: gatherRows(z, idx, F), n: idx.length };
}

export function indicesOf(y: Int32Array, classes: number[]): number[] {
  const set = new Set(classes);
  const out: number[] = [];
  for (let i = 0; i < y.length; i++) if (set.has(y[i])) out.push(i);
  return out;
}

export function gatherRows(z: Float32Array, idx: ArrayLike<number>, D: number): Float32Array {
  const out = new Float32Array(idx.length * D);
  for (let i = 0; i < idx.length; i++) out.set(z.subarray(idx[i] * D, (idx[i] + 1) * D), i * D);
  return out;
}

/** A fitted classifier restricted to some of its classes (per-class fits are independent). */
function restrict(m: SubspaceModel, classes: number[]): SubspaceModel {
  const at = classes.map((c) => m.classes.indexOf(c));
  return { ...m, classes: [...classes], means: at.map((i) => m.means[i]), bases: at.map((i) => m.bases[i]), sigma: at.map((i) => m.sigma[i]) };
}

function classifierFrom(t: Map<string, TensorRecord>, F: number): SubspaceModel | null {
  const classes = [...t.keys()]
    .map((k) => /^cls\/(\d+)\/mean$/.exec(k)?.[1])
    .filter((c): c is string => c !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (!classes.length) return null;
  return {
    classes,
    means: classes.map((c) => t.get(`cls/${c}/mean`)!.data as Float32Array),
    bases: classes.map((c) => t.get(`cls/${c}/basis`)!.data as Float32Array),
    sigma: classes.map((c) => t.get(`cls/${c}/sigma`)!.data as Float32Array),
    r: Math.max(...classes.map((c) => t.get(`cls/${c}/basis`)!.shape[1])),
    featureDim: F,
  };
}

/** The given rows of a stacked memory (z (m, F), labels). */
function subsetRows(mem: { z: Float32Array; labels: Int32Array }, rows: Int32Array, F: number): { z: Float32Array; labels: Int32Array; m: number } {
  const z = new Float32Array(rows.length * F);
  rows.forEach((r, i) => z.set(mem.z.subarray(r * F, (r + 1) * F), i * F));
  return { z, labels: Int32Array.from(rows, (r) => mem.labels[r]), m: rows.length };
}
