/**
 * Closed-loop transcription training steps (CTRL, arXiv 2111.06636; i-CTRL, arXiv 2202.05411) for the
 * CRATE encoder f and decoder g. Sign conventions follow LDR `mcrgan/trainer.py` and i-CTRL
 * `incrementalLR/trainer.py` (CRATE_SPEC §4.1, §5.1); the plain step matches `step()` in
 * /shared/bench/torch_closed_loop.py.
 *
 * Letters: n batch rows, m memory rows, F feature size, K classes.
 */
import * as tf from '@tensorflow/tfjs';
import { closedLoopObjective, rateReduction } from '../losses/rateReduction';
import { type CrateConfig } from '../crate/config';
import { decode } from '../crate/decoder';
import { encode } from '../crate/encoder';
import { type ParamMap, disposeParams, initDecoderParams, initEncoderParams } from '../crate/params';
import { withFrozenWeights } from '../ops/matmul';
import { type LoopConfig } from './config';

/** Replayed i-CTRL memory of old classes (§5.2): features, their labels, and g(zMem) decoded at task start. */
export interface ReplayMemory {
  /** (m, F) stored feature samples. */
  zMem: tf.Tensor2D;
  /** (m,) class ids of zMem rows; host-side so class gathers need no sync. */
  yMem: Int32Array;
  /** (m, C, H, W) = g(zMem) from the decoder at the start of the task, frozen. */
  xMem: tf.Tensor4D;
}

export interface StepStats {
  /** T at the encoder step (before its update): ΔR(Z) + ΔR(Ẑ) + Σ_j w_j·ΔR(Z_j, Ẑ_j). */
  T: number;
  /** What the encoder minimised: −T. */
  lossEncoder: number;
  /** What the decoder minimised: T recomputed after the encoder update (+ old-class replay term with memory). */
  lossDecoder: number;
  deltaRZ: number;
  deltaRZhat: number;
  /** Σ_j w_j·ΔR(Z_j, Ẑ_j) at the encoder step. */
  pair: number;
}

export interface OptimizerStateTensor {
  /** 'iter', or `${paramName}/m` / `${paramName}/v` for Adam's moments. */
  name: string;
  tensor: tf.Tensor;
}

function makeAdam(lr: number, loop: LoopConfig): tf.AdamOptimizer {
  return tf.train.adam(lr, loop.beta1, loop.beta2, loop.adamEpsilon);
}

/**
 * A restriction of the encoder's updates (null-space learning of later tasks, nullSpace.ts): only `trainable` learn, and
 * each step of those is replaced by project(name, step) after Adam has proposed it.
 */
export interface EncoderConstraint {
  readonly trainable: readonly string[];
  project(name: string, step: tf.Tensor): tf.Tensor;
}

/** Owns the encoder and decoder weights and their two Adam optimisers (CTRL: separate optimisers for f and g). */
export class LoopState {
  readonly cfg: CrateConfig;
  readonly loop: LoopConfig;
  readonly enc: ParamMap;
  readonly dec: ParamMap;
  private optEnc: tf.AdamOptimizer;
  private optDec: tf.AdamOptimizer;
  private constraint: EncoderConstraint | null = null;
  private disposed = false;

  /** Fresh weights from `seed` (encoder seed, decoder seed + 1) unless `weights` are given (ownership moves here). */
  constructor(cfg: CrateConfig, loop: LoopConfig, seed: number, weights?: { enc: ParamMap; dec: ParamMap }) {
    this.cfg = cfg;
    this.loop = loop;
    this.enc = weights?.enc ?? initEncoderParams(cfg, seed);
    this.dec = weights?.dec ?? initDecoderParams(cfg, seed + 1);
    this.optEnc = makeAdam(loop.lrEncoder, loop);
    this.optDec = makeAdam(loop.lrDecoder, loop);
  }

  get encoderOptimizer(): tf.AdamOptimizer {
    return this.optEnc;
  }
  get decoderOptimizer(): tf.AdamOptimizer {
    return this.optDec;
  }
  encoderVars(): tf.Variable[] {
    return [...this.enc.values()];
  }
  /** The encoder weights that learn under the current constraint (all without one). */
  encoderTrainableVars(): tf.Variable[] {
    if (!this.constraint) return this.encoderVars();
    return this.constraint.trainable.map((n) => {
      const v = this.enc.get(n);
      if (!v) throw new Error(`encoder constraint: no encoder parameter '${n}'`);
      return v;
    });
  }
  /** Restrict the encoder's updates (null: every weight learns freely). The caller keeps ownership of the constraint. */
  setEncoderConstraint(c: EncoderConstraint | null): void {
    if (c) for (const n of c.trainable) if (!this.enc.has(n)) throw new Error(`encoder constraint: no encoder parameter '${n}'`);
    this.constraint = c;
  }
  /** Adam step of the encoder on gradients of encoderTrainableVars(), projected by the constraint; frees the gradients. */
  applyEncoderGradients(grads: tf.NamedTensorMap): void {
    const c = this.constraint;
    if (!c) {
      applyAndFree(this.optEnc, grads);
      return;
    }
    // TF.js Adam keeps its moments by position in the gradient list, so it always gets every encoder weight in
    // ParamMap order (zeros for the fixed ones); what the step does to the fixed weights is then undone.
    const trainable = new Set(c.trainable);
    const full: tf.NamedTensorMap = {};
    const before = new Map<string, tf.Tensor>();
    for (const [name, v] of this.enc) {
      full[v.name] = grads[v.name] ?? tf.zerosLike(v);
      before.set(name, tf.clone(v));
    }
    applyAndFree(this.optEnc, full);
    for (const [name, v] of this.enc) {
      const b = before.get(name)!;
      if (trainable.has(name)) tf.tidy(() => v.assign(tf.add(b, c.project(name, tf.sub(v, b)))));
      else v.assign(b);
    }
    tf.dispose([...before.values()]);
  }
  decoderVars(): tf.Variable[] {
    return [...this.dec.values()];
  }

  /** For LR schedules: TF.js keeps Adam's rate in a protected field, read at every applyGradients. */
  setLearningRates(lrEncoder: number, lrDecoder: number): void {
    (this.optEnc as unknown as { learningRate: number }).learningRate = lrEncoder;
    (this.optDec as unknown as { learningRate: number }).learningRate = lrDecoder;
  }

  /** A fresh Adam for the decoder (same rate): its moments from another objective would steer the first steps of a new
   *  one (the rate-reduction loop's moments made the decoder phase's pixel error jump from 0.18 to 1.6). */
  resetDecoderOptimizer(): void {
    const lr = (this.optDec as unknown as { learningRate: number }).learningRate;
    this.optDec.dispose();
    this.optDec = makeAdam(lr, this.loop);
  }

  /**
   * Adam state with parameter names instead of TF.js's process-local variable names, for checkpoints.
   * Returns clones the caller disposes. Empty moments (no step yet) give only 'iter'.
   */
  async getOptimizerState(): Promise<{ encoder: OptimizerStateTensor[]; decoder: OptimizerStateTensor[] }> {
    return {
      encoder: await exportAdam(this.optEnc, this.enc),
      decoder: await exportAdam(this.optDec, this.dec),
    };
  }

  /** Restores state written by getOptimizerState (replaces both optimisers; input tensors stay the caller's). */
  async setOptimizerState(state: { encoder: OptimizerStateTensor[]; decoder: OptimizerStateTensor[] }): Promise<void> {
    const lrEnc = (this.optEnc as unknown as { learningRate: number }).learningRate;
    const lrDec = (this.optDec as unknown as { learningRate: number }).learningRate;
    const enc = makeAdam(lrEnc, this.loop);
    const dec = makeAdam(lrDec, this.loop);
    try {
      await importAdam(enc, this.enc, state.encoder, 'encoder');
      await importAdam(dec, this.dec, state.decoder, 'decoder');
    } catch (e) {
      enc.dispose();
      dec.dispose();
      throw e;
    }
    this.optEnc.dispose();
    this.optDec.dispose();
    this.optEnc = enc;
    this.optDec = dec;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optEnc.dispose();
    this.optDec.dispose();
    disposeParams(this.enc);
    disposeParams(this.dec);
  }
}

async function exportAdam(opt: tf.AdamOptimizer, params: ParamMap): Promise<OptimizerStateTensor[]> {
  const byInternal = new Map<string, string>();
  for (const [name, v] of params) byInternal.set(v.name, name);
  const weights = await opt.getWeights(); // [iter, m…, v…] in applyGradients order
  return weights.map((w, i) => {
    if (i === 0) return { name: 'iter', tensor: w.tensor.clone() };
    const slash = w.name.lastIndexOf('/');
    const internal = w.name.slice(0, slash);
    const param = byInternal.get(internal);
    if (!param) throw new Error(`getOptimizerState: optimiser slot '${w.name}' belongs to no parameter of this model`);
    return { name: `${param}${w.name.slice(slash)}`, tensor: w.tensor.clone() };
  });
}

async function importAdam(opt: tf.AdamOptimizer, params: ParamMap, state: OptimizerStateTensor[], which: string) {
  const byName = new Map(state.map((s) => [s.name, s.tensor]));
  const iter = byName.get('iter');
  if (!iter) throw new Error(`setOptimizerState: ${which} state has no 'iter' entry`);
  if (state.length === 1) {
    await opt.setWeights([{ name: 'iter', tensor: iter }]);
    return;
  }
  const m: { name: string; tensor: tf.Tensor }[] = [];
  const v: { name: string; tensor: tf.Tensor }[] = [];
  // Adam matches moments to gradients by position; our gradients always come in ParamMap order.
  for (const [name, variable] of params) {
    const tm = byName.get(`${name}/m`);
    const tv = byName.get(`${name}/v`);
    if (!tm || !tv) throw new Error(`setOptimizerState: ${which} state lacks moments for '${name}'`);
    if (!tf.util.arraysEqual(tm.shape, variable.shape) || !tf.util.arraysEqual(tv.shape, variable.shape)) {
      throw new Error(`setOptimizerState: ${which} moments for '${name}' are [${tm.shape}], expected [${variable.shape}]`);
    }
    m.push({ name: `${variable.name}/m`, tensor: tm });
    v.push({ name: `${variable.name}/v`, tensor: tv });
  }
  await opt.setWeights([{ name: 'iter', tensor: iter }, ...m, ...v]);
}

/** Applies and frees gradients (TF.js types the map as variables though the optimiser only reads values). */
function applyAndFree(opt: tf.Optimizer, grads: tf.NamedTensorMap): void {
  opt.applyGradients(grads as unknown as Parameters<tf.Optimizer['applyGradients']>[0]);
  tf.dispose(grads);
}

/** g(z) as a constant of the encoder's gradient: CTRL detaches X̂ (LDR trainer `netG(Z).detach()`). */
function detachedDecode(dec: ParamMap, cfg: CrateConfig): (z: tf.Tensor2D) => tf.Tensor4D {
  // A custom op's forward is not recorded on the tape, so backprop stops here without walking g.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    return { value: decode(dec, cfg, z), gradFunc: (dy: tf.Tensor) => [tf.zerosLike(z)] };
  });
  return (z) => op(z) as tf.Tensor4D;
}

function checkBatch(fn: string, cfg: CrateConfig, x: tf.Tensor4D, labels: Int32Array, numClasses: number): void {
  if (x.rank !== 4) throw new Error(`${fn}: images must be (B, C, H, W), got [${x.shape}]`);
  if (labels.length !== x.shape[0]) {
    throw new Error(`${fn}: ${x.shape[0]} images but ${labels.length} labels`);
  }
  for (const y of labels) {
    if (!(y >= 0 && y < numClasses)) throw new Error(`${fn}: label ${y} outside [0, ${numClasses})`);
  }
  if (cfg.imageShape.some((s, i) => s !== x.shape[i + 1])) {
    throw new Error(`${fn}: images are [${x.shape}], preset expects (B, ${cfg.imageShape.join(', ')})`);
  }
}

/** Per-class pair weights for i-CTRL: λ for classes in the new batch, `old` for classes only in memory. */
function pairWeights(labels: Int32Array, yMem: Int32Array, numClasses: number, lambda: number, old: number): number[] {
  const w = new Array<number>(numClasses).fill(0);
  for (const y of yMem) w[y] = old;
  for (const y of labels) w[y] = lambda;
  return w;
}

function concatLabels(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

interface Batch {
  x: tf.Tensor4D;
  labels: Int32Array;
  numClasses: number;
  mem?: ReplayMemory;
  /** Labels of [X; memory] rows. */
  yAll: Int32Array;
}

function makeBatch(fn: string, state: LoopState, x: tf.Tensor4D, labels: Int32Array, numClasses: number, mem?: ReplayMemory): Batch {
  checkBatch(fn, state.cfg, x, labels, numClasses);
  if (mem) {
    const m = mem.yMem.length;
    if (mem.zMem.shape[0] !== m || mem.xMem.shape[0] !== m) {
      throw new Error(`${fn}: memory rows disagree: zMem ${mem.zMem.shape[0]}, xMem ${mem.xMem.shape[0]}, yMem ${m}`);
    }
    if (mem.zMem.shape[1] !== state.cfg.featureDim) {
      throw new Error(`${fn}: zMem is [${mem.zMem.shape}], expected (m, ${state.cfg.featureDim})`);
    }
    for (const y of mem.yMem) if (!(y >= 0 && y < numClasses)) throw new Error(`${fn}: memory label ${y} outside [0, ${numClasses})`);
  }
  return { x, labels, numClasses, mem, yAll: mem ? concatLabels(labels, mem.yMem) : labels };
}

/**
 * The encoder's objective T (to maximise) with X̂ = g(f(X)) detached; returns [T, ΔR(Z), ΔR(Ẑ), pair] (4,).
 * Memory: Z = [f(X); zMem], Ẑ = f([X̂; xMem]), pair weights λ (new classes) and −1 (old classes).
 */
function encoderTerms(state: LoopState, b: Batch): tf.Tensor1D {
  const { cfg, loop, enc, dec } = state;
  const { mem } = b;
  const w = mem ? pairWeights(b.labels, mem.yMem, b.numClasses, loop.lambdaNew, -1) : undefined;
  const zNew = encode(enc, cfg, b.x); // (n, F)
  const xHat = detachedDecode(dec, cfg)(zNew); // (n, C, H, W), a constant for the gradient
  const Z = mem ? (tf.concat([zNew, mem.zMem]) as tf.Tensor2D) : zNew; // (n+m, F)
  const Zhat = encode(enc, cfg, mem ? (tf.concat([xHat, mem.xMem]) as tf.Tensor4D) : xHat); // (n+m, F)
  const t = closedLoopObjective(Z, Zhat, b.yAll, b.numClasses, loop.eps2, { pairWeights: w });
  return tf.stack([t.T, t.deltaRZ, t.deltaRZhat, t.pair]) as tf.Tensor1D;
}

/**
 * The decoder's loss (to minimise) for features zNew = f(X) held fixed: T of [zNew; zMem] vs f([g(zNew); xMem])
 * with pair weights λ (new) and 0 (old), plus Σ_old ΔR(f(g(zMem))_j, f(xMem)_j) when memory is replayed.
 */
function decoderLoss(state: LoopState, b: Batch, zNew: tf.Tensor2D): tf.Scalar {
  const { cfg, loop, enc, dec } = state;
  const { mem } = b;
  const w = mem ? pairWeights(b.labels, mem.yMem, b.numClasses, loop.lambdaNew, 0) : undefined;
  const xHat = decode(dec, cfg, zNew); // (n, C, H, W)
  const Z = mem ? (tf.concat([zNew, mem.zMem]) as tf.Tensor2D) : zNew; // (n+m, F)
  const Zhat = encode(enc, cfg, mem ? (tf.concat([xHat, mem.xMem]) as tf.Tensor4D) : xHat); // (n+m, F)
  const t = closedLoopObjective(Z, Zhat, b.yAll, b.numClasses, loop.eps2, { pairWeights: w });
  const T = loop.reconWeight > 0 ? (tf.add(t.T, tf.mul(loop.reconWeight, pixelError(xHat, b.x))) as tf.Scalar) : t.T;
  if (!mem) return T;
  // old classes: memory replayed through the current decoder must re-encode where f(xMem) lands
  const replay = encode(enc, cfg, decode(dec, cfg, mem.zMem)); // (m, F)
  const zhatMem = tf.slice(Zhat, [b.x.shape[0], 0], [mem.yMem.length, cfg.featureDim]) as tf.Tensor2D; // (m, F)
  const old = closedLoopObjective(replay, zhatMem, mem.yMem, b.numClasses, loop.eps2);
  return tf.add(T, old.pair) as tf.Scalar;
}

/** mean((x̂ − x)²) over images and pixels. */
export function pixelError(xHat: tf.Tensor4D, x: tf.Tensor4D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(xHat, x))) as tf.Scalar;
}

/**
 * A decoder step on the pixel reconstruction alone, reconWeight·mean((g(f(X)) − X)²) with f held fixed: it trains g
 * while the encoder warms up, so the decoder is not a few loop steps old when the first memory is decoded.
 */
export async function reconstructionStep(state: LoopState, x: tf.Tensor4D): Promise<number> {
  return decoderPixelStep(state, x, { weight: state.loop.reconWeight });
}

/**
 * A decoder step on pixels: weight·mean((g(Z) − X)²) over the batch's images, with Z = f(X) (f held fixed; `z` when the
 * caller has the features already) and, when memory is given, over the replayed pairs (Z_mem, X_mem) too, so the
 * decoder keeps drawing the old classes as it drew them when the task started (generative self-replay; the decoder
 * phase). With `consistency` c > 0 the loss adds c·mean_i ‖f(g(z_i)) − z_i‖² over the same rows: what the decoder
 * draws must re-encode where it came from (the loop closes). The pixel term keeps the images images: the consistency
 * term alone teaches g to fool f (shared/bench torch_loop_fidelity.py: decoded memory re-encoded 0.997, a pixel judge
 * recognised 0.29 of it; with c = 0.1 beside the pixel term 0.99 and 0.91). Returns the loss before the step.
 */
export async function decoderPixelStep(
  state: LoopState,
  x: tf.Tensor4D,
  opts: { z?: tf.Tensor2D; mem?: { zMem: tf.Tensor2D; xMem: tf.Tensor4D } | null; weight?: number; consistency?: number } = {},
): Promise<number> {
  const { cfg, enc, dec } = state;
  const { mem, weight = 1, consistency = 0 } = opts;
  const z = tf.tidy(() => {
    const zx = opts.z ?? encode(enc, cfg, x);
    return (mem ? tf.concat([zx, mem.zMem]) : opts.z ? tf.clone(zx) : zx) as tf.Tensor2D;
  });
  const target = mem ? (tf.concat([x, mem.xMem]) as tf.Tensor4D) : x;
  const loss = (): tf.Scalar => {
    const xHat = decode(dec, cfg, z);
    const pixels = tf.mul(weight, pixelError(xHat, target)) as tf.Scalar;
    if (consistency <= 0) return pixels;
    // f's weights are constants here: only the path back to g is differentiated
    const back = withFrozenWeights(state.encoderVars(), () => encode(enc, cfg, xHat));
    return tf.add(pixels, tf.mul(consistency, tf.mean(tf.sum(tf.square(tf.sub(back, z)), 1)))) as tf.Scalar;
  };
  try {
    const { value, grads } = state.decoderOptimizer.computeGradients(loss, state.decoderVars());
    applyAndFree(state.decoderOptimizer, grads);
    const v = (await value.data())[0]; // sync point: one per step
    value.dispose();
    return v;
  } finally {
    z.dispose();
    if (mem) target.dispose();
  }
}

export type StepPhases = 'both' | 'encoder' | 'decoder';

/**
 * One CTRL iteration (CRATE_SPEC §4.1):
 *   (1) encoder: Z = f(X), X̂ = g(Z) held fixed, Ẑ = f(X̂); Adam step on f minimising −T;
 *   (2) decoder: Z = f(X) with the updated f held fixed, Ẑ = f(g(Z)); Adam step on g minimising +T
 *       (gradients run through f, but only g's weights move).
 * With `memory` (i-CTRL code form, §5.1), Z = [f(X); zMem], Ẑ = f([g(f(X)); xMem]) and
 *   encoder maximises ΔR(Z) + ΔR(Ẑ) + λ·Σ_new ΔR(Z_j, Ẑ_j) − Σ_old ΔR(Z_j, Ẑ_j);
 *   decoder minimises ΔR(Z) + ΔR(Ẑ) + λ·Σ_new ΔR(Z_j, Ẑ_j) + Σ_old ΔR(f(g(zMem))_j, Ẑ_j).
 * Without memory every pair weight is 1 (plain CTRL; λ unused).
 * `phases` runs only one half (tests, ablations); the skipped half's numbers are NaN.
 * Exactly one `await` (host read) for the returned numbers, besides the losses' own logdet reads.
 */
export async function closedLoopStep(
  state: LoopState,
  x: tf.Tensor4D,
  labels: Int32Array,
  numClasses: number,
  opts: { memory?: ReplayMemory; phases?: StepPhases } = {},
): Promise<StepStats> {
  const b = makeBatch('closedLoopStep', state, x, labels, numClasses, opts.memory);
  const phases = opts.phases ?? 'both';
  const kept: { enc?: tf.Tensor1D; dec?: tf.Scalar } = {};

  // (1) encoder step: maximise T with the transcription X̂ detached
  if (phases !== 'decoder') {
    const { value, grads } = state.encoderOptimizer.computeGradients(() => {
      const terms = encoderTerms(state, b); // (4,)
      kept.enc = tf.keep(terms);
      return tf.neg(tf.slice(terms, [0], [1]).reshape([])) as tf.Scalar;
    }, state.encoderTrainableVars());
    state.applyEncoderGradients(grads);
    value.dispose();
  }

  // (2) decoder step: minimise T through the whole loop, only g updated
  if (phases !== 'encoder') {
    const zNew = encode(state.enc, state.cfg, x); // (n, F) from the updated encoder, a constant here
    const { value, grads } = state.decoderOptimizer.computeGradients(
      // f's weights are constants here: skip their gradient products on the way back to g
      () => withFrozenWeights(state.encoderVars(), () => decoderLoss(state, b, zNew)),
      state.decoderVars(),
    );
    applyAndFree(state.decoderOptimizer, grads);
    zNew.dispose();
    kept.dec = value;
  }

  // bookkeeping: one read for everything logged
  const all = tf.tidy(() =>
    tf.concat([kept.enc ?? tf.fill([4], NaN), tf.reshape(kept.dec ?? tf.scalar(NaN), [1])]),
  );
  kept.enc?.dispose();
  kept.dec?.dispose();
  const v = await all.data(); // sync point: one per step
  all.dispose();
  return { T: v[0], lossEncoder: -v[0], lossDecoder: v[4], deltaRZ: v[1], deltaRZhat: v[2], pair: v[3] };
}

/** The encoder's T and its terms for the current weights, with no update (evaluation and tests). */
export async function evaluateClosedLoop(
  state: LoopState,
  x: tf.Tensor4D,
  labels: Int32Array,
  numClasses: number,
  opts: { memory?: ReplayMemory } = {},
): Promise<{ T: number; deltaRZ: number; deltaRZhat: number; pair: number; decoderLoss: number }> {
  const b = makeBatch('evaluateClosedLoop', state, x, labels, numClasses, opts.memory);
  const all = tf.tidy(() => {
    const zNew = encode(state.enc, state.cfg, x);
    return tf.concat([encoderTerms(state, b), tf.reshape(decoderLoss(state, b, zNew), [1])]);
  });
  const v = await all.data(); // sync point
  all.dispose();
  return { T: v[0], deltaRZ: v[1], deltaRZhat: v[2], pair: v[3], decoderLoss: v[4] };
}

/**
 * Supervised MCR² warm-up of the encoder alone: one Adam step maximising ΔR(f(X), Π)
 * (MCR² train_sup.py; the bench README shows warm-up and mean pooling matter for CRATE features).
 */
export async function mcr2Step(
  state: LoopState,
  x: tf.Tensor4D,
  labels: Int32Array,
  numClasses: number,
): Promise<{ deltaRZ: number; loss: number }> {
  const { cfg, loop, enc } = state;
  checkBatch('mcr2Step', cfg, x, labels, numClasses);
  const { value, grads } = state.encoderOptimizer.computeGradients(
    () => tf.neg(rateReduction(encode(enc, cfg, x), labels, numClasses, loop.eps2)) as tf.Scalar,
    state.encoderTrainableVars(),
  );
  state.applyEncoderGradients(grads);
  const loss = (await value.data())[0]; // sync point: one per step
  value.dispose();
  return { deltaRZ: -loss, loss };
}
