// What a run is made of while it learns: the deps it was built with (RunnerDeps) and the learner state it carries from
// task to task (LearnerState). Every step module reads and updates these; the checkpoint (persistence.ts) stores them.
//
// Learner state: the two networks and their optimisers (inside the LoopModel), the memory bank (features only), the
// curriculum position. Raw images exist only for the task being learned (`task.data`) and are dropped when the task
// ends; evaluation reads images from the DataSource, which stands for the user's dataset on disk.
import type { TaskRecord } from '../../../preload/api';
import type { TensorRecord } from '../../store/checkpoints';
import type { RunIndex } from '../../store/runIndex';
import type { RunJson } from '../../store/runFiles';
import type { DataSource } from '../dataSource';
import type { LabeledImages } from '../evaluate';
import type { EventHub } from '../events';
import type { Encoder, LoopModel } from '../loopModel';
import { MemoryBank } from '../memoryBank';
import type { Recipe } from '../recipe';
import { EngineRng } from '../rng';
import type { StreamingLda } from '../streamingLda';
import type { SubspaceModel } from '../subspaceAdapter';

/** The phases of a task, in order: start → warm-up → closed loop → decoder phase → task end ('finalize'). */
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

/** The task being learned: its images exist only while it runs. */
export interface TaskWork {
  classes: number[];
  seen: number[];
  data: LabeledImages;
  /** labels of `data` as indices into `seen` */
  localLabels: Int32Array;
  /** X_mem = g(Z_mem) of the old classes, decoded once at the task start (null: nothing replayed) */
  xMem: Float32Array | null;
  /** f₀(X_mem): the encoder's features of the decoded memory at the task start */
  zAnchor: Float32Array | null;
}

/** Frozen-encoder baseline: the encoder after the first task and a memory drawn with it. */
export interface FrozenEncoder {
  params: Map<string, TensorRecord>;
  enc: Encoder;
  memory: MemoryBank;
  lda: StreamingLda;
}

/** f₀ of the task's new images (encoder at the task start): probes of drift compensation 2/3, targets of distillation. */
export interface DriftProbe {
  task: number;
  z0: Float32Array;
  n: number;
}

export class LearnerState {
  tasks: number[][];
  pos: Position = { task: 0, phase: 'start', epoch: 0, batch: 0, step: 0, taskStep: 0 };
  history: EngineTaskRecord[] = [];
  memory: MemoryBank;
  frozen: FrozenEncoder | null = null;
  /** both networks and optimisers right after the first task: the no-memory baseline branches from here */
  branch: Map<string, TensorRecord> | null = null;
  task: TaskWork | null = null;
  /** the lab's classifier after the last task (memory protocol); stored as 'cls/<class>/…' for export */
  classifier: SubspaceModel | null = null;
  /** halved after each divergence */
  lrScale = 1;
  divergences = 0;
  rng: EngineRng;
  driftProbe: DriftProbe | null = null;
  elapsedBefore = 0;
  startedAt = Date.now();
  /** classes known before the first task: learned by the run this one continues from (`train --from`) */
  readonly base: number[];

  constructor(run: RunJson, featureDim: number) {
    this.tasks = run.tasks.map((t) => [...t]);
    this.memory = new MemoryBank(featureDim);
    this.rng = new EngineRng(run.seed);
    this.base = [...(run.from?.known ?? [])];
  }

  get elapsed(): number {
    return this.elapsedBefore + (Date.now() - this.startedAt) / 1000;
  }

  /** Whether the current task has earlier knowledge to keep (a later task, or any task of a continued run). */
  later(): boolean {
    return this.pos.task > 0 || this.base.length > 0;
  }

  /** The classes known once task `taskIndex` is learned. */
  seenThrough(taskIndex: number): number[] {
    return [...this.base, ...this.tasks.slice(0, taskIndex + 1).flat()];
  }
}

/** The task's classes learned before it (the ones memory stands for). */
export const oldClasses = (t: Pick<TaskWork, 'seen' | 'classes'>): number[] => t.seen.filter((c) => !t.classes.includes(c));

/** Global class → index into the task's seen classes. */
export const localIndex = (seen: number[]): Map<number, number> => new Map(seen.map((c, i) => [c, i]));
