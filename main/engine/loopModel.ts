// What the curriculum runner needs from the model side, in host terms (Float32Array in, numbers out). The adapter in
// crateLoopModel.ts implements it on top of models/ (CRATE encoder/decoder, closed-loop step, MCR² warm-up); tests can
// implement it with anything. Keeping the runner behind this seam keeps tensor lifetimes in one file.
import type { TensorRecord } from '../store/checkpoints';
import type { ActivationBasis } from '../../models/training/nullSpace';

export interface StepStats {
  lossEncoder: number;
  lossDecoder: number;
  T: number;
  deltaRZ: number;
  deltaRZhat: number;
  pairTerm: number;
}

export interface TrainBatch {
  /** (n, C, H, W) images in [-1, 1] of the task's new classes */
  x: Float32Array;
  n: number;
  /** labels local to the seen set: 0..k-1 */
  labels: Int32Array;
  k: number;
  /** memory rows replayed in this step (indices into the replay set); absent = all rows */
  memRows?: Int32Array;
  /** (n, F) features of these images under the encoder at the task start: targets of the distillation term */
  distillTarget?: Float32Array;
  /** rows [from, n) of x are decoded memory whose features are held at `target` ((n − from, F)) with weight·mean‖f − t‖²
   *  (recipe warmupAnchorWeight with replayImages) */
  anchor?: { from: number; target: Float32Array; weight: number };
  /** the warm-up's features must also agree with those of the loop's reconstruction g(f(x)) (recipe reconInvariance;
   *  set by the runner where the decoder has learned to draw: later tasks) */
  reconView?: boolean;
  /** (n, F) f(x) of these images under the current encoder, when the caller has them (the decoder phase: f is fixed) */
  z?: Float32Array;
}

export interface MemoryReplay {
  /** (m, F) stored memory vectors of old classes, local labels */
  z: Float32Array;
  labels: Int32Array;
  m: number;
  /** local labels of the task's new classes (λ-weighted paired terms) */
  newClasses: number[];
  /** weight of ‖f(X_mem) − f₀(X_mem)‖² in the encoder objective (0 = off) */
  anchorWeight: number;
  /** f₀(X_mem): the encoder's features of the decoded memory at the start of the task (m, F) */
  anchorTarget: Float32Array | null;
}

export interface LoopModel {
  readonly featureDim: number;
  readonly imageSize: number; // C·H·W
  /** f(x) for n images, batched internally; (n, F) unit rows. */
  encode(x: Float32Array, n: number): Promise<Float32Array>;
  /** g(z) for n features; (n, C·H·W). */
  decode(z: Float32Array, n: number): Promise<Float32Array>;
  /** per-layer compression and sparsity of the encoder on a few images */
  diagnostics(x: Float32Array, n: number): Promise<{ layerCompression: number[]; layerSparsity: number[] }>;
  /** Supervised MCR² step of the encoder only (warm-up before the loop closes). Optional fixed memory rows join ΔR. */
  warmupStep(b: TrainBatch, mem: { z: Float32Array; labels: Int32Array; m: number } | null): Promise<StepStats>;
  /** Fix the decoded memory X_mem = g(Z_mem) for the task (decoded once at task start; restored from a checkpoint). */
  setReplay(mem: MemoryReplay | null, xMem: Float32Array | null): void;
  /** One closed-loop step (encoder up, decoder down) with the replay set by setReplay. */
  loopStep(b: TrainBatch): Promise<StepStats>;
  /** One step of the decoder phase: the decoder alone on the pixels of the batch and of its memory rows (b.memRows of
   *  the replay set by setReplay), at Adam rate `rate`; the encoder does not move (optional). */
  decoderStep?(b: TrainBatch, rate: number): Promise<StepStats>;
  /** Forget the decoder's Adam moments (when the decoder changes objective: into and out of the decoder phase). */
  resetDecoderOptimizer?(): void;
  /** Inputs of the encoder's linear head for n images: (n, dim) (null-space learning; optional). */
  headInputs?(x: Float32Array, n: number): Promise<{ a: Float32Array; dim: number }>;
  /** Learn only the head, in the null space of this basis of old classes' head inputs (null: no restriction; optional). */
  setNullSpace?(basis: ActivationBasis | null): void;
  /** Scale both learning rates relative to the recipe's base rates. */
  setLrScale(scale: number): void;
  /** Parameters of both networks ('enc/…', 'dec/…') and both optimiser states ('opt/…'). */
  exportState(): Promise<Map<string, TensorRecord>>;
  importState(t: Map<string, TensorRecord>): Promise<void>;
  /** A copy of the encoder parameters only (for the frozen-encoder baseline). */
  exportEncoder(): Promise<Map<string, TensorRecord>>;
  dispose(): void;
}

/** A model that can only encode (random-init or frozen encoders of the baselines). */
export interface Encoder {
  encode(x: Float32Array, n: number): Promise<Float32Array>;
  dispose(): void;
}
