// LoopModel on top of models/: CRATE encoder/decoder, the closed-loop step and the MCR² warm-up (models/training),
// plus the engine's recipe extensions (memory rows in the warm-up's ΔR, the memory anchor). All tensors are created
// and freed here; the runner sees Float32Arrays and numbers only.
import * as tf from '@tensorflow/tfjs';
import type { CrateConfig } from '../../models/crate/config';
import { decode } from '../../models/crate/decoder';
import { encode, encodeDiagnostics, headInput } from '../../models/crate/encoder';
import { disposeParams, initEncoderParams, type ParamMap } from '../../models/crate/params';
import { closedLoopObjective, codingRate, rateReduction } from '../../models/losses/rateReduction';
import { closedLoopStep, decoderPixelStep, LoopState, mcr2Step, pixelError, reconstructionStep, type ReplayMemory } from '../../models/training/closedLoop';
import { resolveLoopConfig } from '../../models/training/config';
import { projectOutOf, type ActivationBasis } from '../../models/training/nullSpace';
import type { TensorRecord } from '../store/checkpoints';
import type { Encoder, LoopModel, MemoryReplay, StepStats, TrainBatch } from './loopModel';
import { batchSeed, shiftImages } from './augment';
import type { Recipe } from './recipe';

const INFER_BATCH = 256;

async function paramsToRecords(prefix: string, p: ParamMap, out: Map<string, TensorRecord>): Promise<void> {
  for (const [name, v] of p) out.set(`${prefix}${name}`, { shape: [...v.shape], dtype: 'float32', data: (await v.data()) as Float32Array });
}

/** Frees the tensors of a replay set (the task's, or a step's gathered subset of it). */
function disposeReplay(r: { zMem: tf.Tensor; xMem: tf.Tensor; anchorTarget: tf.Tensor | null }): void {
  tf.dispose([r.zMem, r.xMem, ...(r.anchorTarget ? [r.anchorTarget] : [])]);
}

function assignParams(prefix: string, p: ParamMap, t: Map<string, TensorRecord>, what: string): void {
  for (const [name, v] of p) {
    const r = t.get(`${prefix}${name}`);
    if (!r) throw new Error(`checkpoint: ${what} lacks '${name}'`);
    if (r.shape.join() !== v.shape.join()) throw new Error(`checkpoint: '${name}' is [${r.shape}], the model expects [${v.shape}] (changed preset?)`);
    const value = tf.tensor(r.data as Float32Array, r.shape);
    v.assign(value);
    value.dispose();
  }
}

/** f(x) in inference batches; returns (n, F). */
async function encodeHost(enc: ParamMap, cfg: CrateConfig, x: Float32Array, n: number): Promise<Float32Array> {
  const [C, H, W] = cfg.imageShape;
  const S = C * H * W;
  const out = new Float32Array(n * cfg.featureDim);
  for (let i = 0; i < n; i += INFER_BATCH) {
    const b = Math.min(INFER_BATCH, n - i);
    const z = tf.tidy(() => encode(enc, cfg, tf.tensor4d(x.subarray(i * S, (i + b) * S), [b, C, H, W])));
    out.set(await z.data(), i * cfg.featureDim); // sync point: evaluation only
    z.dispose();
  }
  return out;
}

export class CrateLoopModel implements LoopModel {
  readonly featureDim: number;
  readonly imageSize: number;
  private readonly state: LoopState;
  private replay: (ReplayMemory & { newClasses: number[]; anchorWeight: number; anchorTarget: tf.Tensor2D | null }) | null = null;
  /** basis of old classes' head inputs while later tasks learn in its null space */
  private nullU: tf.Tensor2D | null = null;
  /** the runner's learning-rate scale (later tasks, divergence halving) */
  private lrScale = 1;

  constructor(
    readonly cfg: CrateConfig,
    private readonly recipe: Recipe,
    seed: number,
  ) {
    this.featureDim = cfg.featureDim;
    this.imageSize = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
    const loop = resolveLoopConfig({
      eps2: recipe.eps2,
      lrEncoder: recipe.lrEncoder,
      lrDecoder: recipe.lrDecoder,
      beta1: recipe.beta1,
      beta2: recipe.beta2,
      lambdaNew: recipe.lambdaNew,
      reconWeight: recipe.reconWeight,
    });
    this.state = new LoopState(cfg, loop, seed);
  }

  encode(x: Float32Array, n: number): Promise<Float32Array> {
    return encodeHost(this.state.enc, this.cfg, x, n);
  }

  async headInputs(x: Float32Array, n: number): Promise<{ a: Float32Array; dim: number }> {
    const [C, H, W] = this.cfg.imageShape;
    const S = C * H * W;
    let out: Float32Array | null = null;
    let dim = 0;
    for (let i = 0; i < n; i += INFER_BATCH) {
      const b = Math.min(INFER_BATCH, n - i);
      const h = tf.tidy(() => headInput(this.state.enc, this.cfg, tf.tensor4d(x.subarray(i * S, (i + b) * S), [b, C, H, W])));
      dim = h.shape[1];
      out ??= new Float32Array(n * dim);
      out.set(await h.data(), i * dim); // sync point: once per task
      h.dispose();
    }
    return { a: out ?? new Float32Array(0), dim };
  }

  /**
   * Later tasks learn only the linear head, and only in the null space of old classes' head inputs (basis null: every
   * encoder weight learns freely again). The body that made those inputs stays as the first tasks left it.
   */
  setNullSpace(basis: ActivationBasis | null): void {
    this.nullU?.dispose();
    this.nullU = null;
    if (!basis || basis.k === 0) {
      this.state.setEncoderConstraint(null);
      return;
    }
    const U = tf.tensor2d(basis.U, [basis.dim, basis.k]);
    this.nullU = U;
    this.state.setEncoderConstraint({ trainable: ['enc/head/W'], project: (_name, step) => projectOutOf(U, step as tf.Tensor2D) });
  }

  async decode(z: Float32Array, n: number): Promise<Float32Array> {
    const F = this.featureDim;
    const out = new Float32Array(n * this.imageSize);
    for (let i = 0; i < n; i += INFER_BATCH) {
      const b = Math.min(INFER_BATCH, n - i);
      const xh = tf.tidy(() => decode(this.state.dec, this.cfg, tf.tensor2d(z.subarray(i * F, (i + b) * F), [b, F])));
      out.set(await xh.data(), i * this.imageSize);
      xh.dispose();
    }
    return out;
  }

  async diagnostics(x: Float32Array, n: number): Promise<{ layerCompression: number[]; layerSparsity: number[] }> {
    const xt = tf.tensor4d(x.subarray(0, n * this.imageSize), [n, ...this.cfg.imageShape]);
    try {
      const d = await encodeDiagnostics(this.state.enc, this.cfg, xt);
      d.z.dispose();
      return { layerCompression: d.layerCompression, layerSparsity: d.layerSparsity };
    } finally {
      xt.dispose();
    }
  }

  private batchTensor(b: TrainBatch): tf.Tensor4D {
    return tf.tensor4d(b.x.subarray(0, b.n * this.imageSize), [b.n, ...this.cfg.imageShape]);
  }

  async warmupStep(b: TrainBatch, mem: { z: Float32Array; labels: Int32Array; m: number } | null): Promise<StepStats> {
    this.phaseRates('warmup');
    const x = this.batchTensor(b);
    try {
      const s = await this.encoderWarmupStep(x, b, mem);
      // the decoder learns to draw the images while the encoder warms up (recipe reconWeight)
      return this.recipe.reconWeight > 0 ? { ...s, lossDecoder: await reconstructionStep(this.state, x) } : s;
    } finally {
      x.dispose();
    }
  }

  private async encoderWarmupStep(x: tf.Tensor4D, b: TrainBatch, mem: { z: Float32Array; labels: Int32Array; m: number } | null): Promise<StepStats> {
    if (this.recipe.invarianceWeight > 0) return await this.invariantWarmupStep(x, b, mem && mem.m > 0 ? mem : null);
    const spread = this.recipe.warmupGamma !== 1 || this.recipe.warmupEps2 > 0;
    if ((!mem || mem.m === 0) && spread) return await this.spreadWarmupStep(x, b);
    if (!mem || mem.m === 0) {
      const r = await mcr2Step(this.state, x, b.labels, b.k);
      return { lossEncoder: r.loss, lossDecoder: 0, T: r.deltaRZ, deltaRZ: r.deltaRZ, deltaRZhat: 0, pairTerm: 0 };
    }
    // old classes take part in ΔR through their fixed memory vectors: new subspaces are pushed away from them
    const zMem = tf.tensor2d(mem.z, [mem.m, this.featureDim]);
    const labels = new Int32Array(b.n + mem.m);
    labels.set(b.labels);
    labels.set(mem.labels, b.n);
    const { value, grads } = this.state.encoderOptimizer.computeGradients(
      () => tf.neg(rateReduction(tf.concat([encode(this.state.enc, this.cfg, x), zMem]) as tf.Tensor2D, labels, b.k, this.recipe.eps2)) as tf.Scalar,
      this.state.encoderTrainableVars(),
    );
    this.state.applyEncoderGradients(grads);
    zMem.dispose();
    const loss = (await value.data())[0]; // sync point: one per step
    value.dispose();
    return { lossEncoder: loss, lossDecoder: 0, T: -loss, deltaRZ: -loss, deltaRZhat: 0, pairTerm: 0 };
  }

  /**
   * First-task warm-up with R(Z) − γ·R_c(Z|Π) = (1 − γ)·R(Z) + γ·ΔR(Z, Π) (recipe warmupGamma, warmupEps2). From two
   * classes alone, MCR² (γ = 1) squeezes each class onto a low-dimensional subspace, and digits not yet seen land in
   * those same few directions; a smaller γ keeps the expansion of all features ahead of the per-class compression.
   */
  private async spreadWarmupStep(x: tf.Tensor4D, b: TrainBatch): Promise<StepStats> {
    const g = this.recipe.warmupGamma;
    const eps2 = this.warmupEps2();
    const kept: { v?: tf.Tensor1D } = {};
    const { value, grads } = this.state.encoderOptimizer.computeGradients(() => {
      const z = encode(this.state.enc, this.cfg, x);
      const dr = rateReduction(z, b.labels, b.k, eps2);
      const r = codingRate(z, eps2);
      kept.v = tf.keep(tf.stack([dr, r]) as tf.Tensor1D);
      return tf.neg(tf.add(tf.mul(1 - g, r), tf.mul(g, dr))) as tf.Scalar;
    }, this.state.encoderTrainableVars());
    this.state.applyEncoderGradients(grads);
    value.dispose();
    const v = await kept.v!.data(); // sync point: one per step
    kept.v!.dispose();
    const loss = -((1 - g) * v[1] + g * v[0]);
    return { lossEncoder: loss, lossDecoder: 0, T: v[0], deltaRZ: v[0], deltaRZhat: 0, pairTerm: 0 };
  }

  /**
   * The spread warm-up on two shifted views x', x'' of the batch, plus the invariance term (recipe invarianceWeight λ):
   * maximise ½Σ_views [(1 − γ)·R(Z) + γ·ΔR(Z, Π)] + λ·mean⟨f(x'), f(x'')⟩. The features are unit rows, so the
   * inner product is the cosine of the two views; the views come from a generator seeded by the batch (augment.ts).
   * T is ΔR averaged over the views; with γ = 0 it does not enter the objective, so it is taken off the tape from the
   * first view alone (no per-class log-determinants in the backward pass).
   */
  private async invariantWarmupStep(x: tf.Tensor4D, b: TrainBatch, mem: { z: Float32Array; labels: Int32Array; m: number } | null): Promise<StepStats> {
    const g = mem && this.recipe.laterWarmupGamma >= 0 ? this.recipe.laterWarmupGamma : this.recipe.warmupGamma;
    const lam = this.recipe.invarianceWeight;
    const eps2 = this.warmupEps2();
    const shape = this.cfg.imageShape;
    const views = [0, 1].map((v) =>
      tf.tensor4d(shiftImages(b.x, b.n, shape, this.recipe.augShift, batchSeed(b.x.subarray(0, b.n * this.imageSize), b.labels, v)), [b.n, ...shape]),
    ) as tf.Tensor4D[];
    // later tasks: old classes take part in R and ΔR through their fixed memory vectors, as in the MCR² later warm-up
    const zMem = mem ? tf.tensor2d(mem.z, [mem.m, this.featureDim]) : null;
    const labels = mem ? Int32Array.from([...b.labels, ...mem.labels]) : b.labels;
    const target = b.distillTarget && this.recipe.distillWeight > 0 ? tf.tensor2d(b.distillTarget, [b.n, this.featureDim]) : null;
    // recipe reconInvariance: the loop's reconstruction of the first view, x̂ = g(f(x')), is a third view the features
    // must agree with (a constant image here: the decoder does not learn in the warm-up)
    const mu = b.reconView ? this.recipe.reconInvariance : 0;
    const recon = mu > 0 ? tf.tidy(() => decode(this.state.dec, this.cfg, encode(this.state.enc, this.cfg, views[0]))) : null;
    // decoded memory rows of the batch (recipe warmupAnchorWeight): their unshifted features stay at the anchor target
    const an = b.anchor && b.anchor.weight > 0 ? b.anchor : null;
    const anX = an ? tf.tensor4d(b.x.subarray(an.from * this.imageSize, b.n * this.imageSize), [b.n - an.from, ...shape]) : null;
    const anT = an ? tf.tensor2d(an.target, [b.n - an.from, this.featureDim]) : null;
    const kept: { v?: tf.Tensor1D; a1?: tf.Tensor2D } = {};
    try {
      const { value, grads } = this.state.encoderOptimizer.computeGradients(() => {
        const [z1, z2] = views.map((v) => encode(this.state.enc, this.cfg, v));
        const [a1, a2] = [z1, z2].map((z) => (zMem ? (tf.concat([z, zMem]) as tf.Tensor2D) : z));
        const r = tf.mul(0.5, tf.add(codingRate(a1, eps2), codingRate(a2, eps2)));
        const agree = tf.mean(tf.sum(tf.mul(z1, z2), 1));
        const terms = [tf.mul(1 - g, r), tf.mul(lam, agree)];
        if (recon) terms.push(tf.mul(mu, tf.mean(tf.sum(tf.mul(z1, encode(this.state.enc, this.cfg, recon)), 1))));
        if (anX && anT) terms.push(tf.mul(-an!.weight, tf.mean(tf.sum(tf.square(tf.sub(encode(this.state.enc, this.cfg, anX), anT)), 1))));
        if (g > 0) {
          const dr = tf.mul(0.5, tf.add(rateReduction(a1, labels, b.k, eps2), rateReduction(a2, labels, b.k, eps2)));
          terms.push(tf.mul(g, dr));
          kept.v = tf.keep(tf.stack([dr, r, agree]) as tf.Tensor1D);
        } else {
          // γ = 0: ΔR is only reported (T), so it stays off the tape; the first view's features give it below
          kept.a1 = tf.keep(a1);
          kept.v = tf.keep(tf.stack([tf.scalar(0), r, agree]) as tf.Tensor1D);
        }
        if (target) {
          // stability (recipe distillWeight): the unshifted images stay near their features at the task start
          const z = encode(this.state.enc, this.cfg, x);
          terms.push(tf.mul(-this.recipe.distillWeight, tf.mean(tf.sum(tf.square(tf.sub(z, target)), 1))));
        }
        return tf.neg(tf.addN(terms)) as tf.Scalar;
      }, this.state.encoderTrainableVars());
      this.state.applyEncoderGradients(grads);
      value.dispose();
      if (kept.a1) {
        const rest = kept.v!;
        kept.v = tf.tidy(() => tf.concat([tf.reshape(rateReduction(kept.a1!, labels, b.k, eps2), [1]), tf.slice(rest, [1], [2])]) as tf.Tensor1D);
        rest.dispose();
      }
      const v = await kept.v!.data(); // sync point: one per step
      const loss = -((1 - g) * v[1] + g * v[0] + lam * v[2]);
      // the views' mean cosine goes out as pairTerm (0 in other warm-ups): how invariant the features already are
      return { lossEncoder: loss, lossDecoder: 0, T: v[0], deltaRZ: v[0], deltaRZhat: 0, pairTerm: v[2] };
    } finally {
      kept.v?.dispose();
      kept.a1?.dispose();
      tf.dispose([...views, ...(zMem ? [zMem] : []), ...(target ? [target] : []), ...(recon ? [recon] : []), ...(anX ? [anX] : []), ...(anT ? [anT] : [])]);
    }
  }

  /** ε² of the warm-up objectives (recipe warmupEps2; 0 = the run's eps2). */
  private warmupEps2(): number {
    return this.recipe.warmupEps2 > 0 ? this.recipe.warmupEps2 : this.recipe.eps2;
  }

  setReplay(mem: MemoryReplay | null, xMem: Float32Array | null): void {
    if (this.replay) disposeReplay(this.replay);
    this.replay = null;
    if (!mem || mem.m === 0 || !xMem) return;
    this.replay = {
      zMem: tf.tensor2d(mem.z, [mem.m, this.featureDim]),
      yMem: mem.labels,
      xMem: tf.tensor4d(xMem, [mem.m, ...this.cfg.imageShape]),
      newClasses: mem.newClasses,
      anchorWeight: mem.anchorWeight,
      // recipe anchorToMemory: hold f(X_mem) at the stored vectors themselves rather than at f₀(X_mem)
      anchorTarget: mem.anchorTarget ? tf.tensor2d(this.recipe.anchorToMemory ? mem.z : mem.anchorTarget, [mem.m, this.featureDim]) : null,
    };
    if (this.replay.anchorWeight > 0 && !this.replay.anchorTarget) throw new Error('memory anchor: no anchor target f₀(X_mem) given');
  }

  async loopStep(b: TrainBatch): Promise<StepStats> {
    this.phaseRates('loop');
    const x = this.batchTensor(b);
    const full = this.replay;
    // a subset of the memory rows for this step (recipe memPerBatch), gathered from the task's replay set
    const sub = full && b.memRows ? this.gatherReplay(full, b.memRows) : null;
    const rep = sub ?? full;
    try {
      if (!rep || rep.anchorWeight <= 0) {
        const r = await closedLoopStep(this.state, x, b.labels, b.k, rep ? { memory: rep } : {});
        return { lossEncoder: r.lossEncoder, lossDecoder: r.lossDecoder, T: r.T, deltaRZ: r.deltaRZ, deltaRZhat: r.deltaRZhat, pairTerm: r.pair };
      }
      return await this.anchoredStep(x, b, rep);
    } finally {
      x.dispose();
      if (sub) disposeReplay(sub);
    }
  }

  resetDecoderOptimizer(): void {
    this.state.resetDecoderOptimizer();
  }

  async decoderStep(b: TrainBatch, rate: number): Promise<StepStats> {
    this.state.setLearningRates(this.recipe.lrEncoder * this.lrScale, rate); // the encoder's rate is unused here
    const x = this.batchTensor(b);
    const z = b.z ? tf.tensor2d(b.z, [b.n, this.featureDim]) : undefined;
    const full = this.replay;
    const sub = full && b.memRows ? this.gatherReplay(full, b.memRows) : null;
    const rep = sub ?? full;
    try {
      const err = await decoderPixelStep(this.state, x, { z, mem: rep ? { zMem: rep.zMem, xMem: rep.xMem } : null, consistency: this.recipe.decoderConsistency });
      // the phase has no rate-reduction objective: T and the encoder's loss are reported as 0
      return { lossEncoder: 0, lossDecoder: err, T: 0, deltaRZ: 0, deltaRZhat: 0, pairTerm: 0 };
    } finally {
      x.dispose();
      z?.dispose();
      if (sub) disposeReplay(sub);
    }
  }

  private gatherReplay(full: NonNullable<CrateLoopModel['replay']>, rows: Int32Array): NonNullable<CrateLoopModel['replay']> {
    const idx = tf.tensor1d(rows, 'int32');
    try {
      return {
        zMem: tf.gather(full.zMem, idx) as tf.Tensor2D,
        xMem: tf.gather(full.xMem, idx) as tf.Tensor4D,
        yMem: Int32Array.from(rows, (i) => full.yMem[i]),
        newClasses: full.newClasses,
        anchorWeight: full.anchorWeight,
        anchorTarget: full.anchorTarget ? (tf.gather(full.anchorTarget, idx) as tf.Tensor2D) : null,
      };
    } finally {
      idx.dispose();
    }
  }

  /**
   * The i-CTRL memory step (models/training closedLoopStep, code form of SPEC §5.1) with one addition in the encoder
   * objective: w·mean‖f(X_mem) − f₀(X_mem)‖², f₀ the encoder at the start of the task. The decoded memory is the only
   * stand-in for old images, so holding the encoder's response to it fixed is what should keep old classes where their
   * stored memory says they are (bench README: without it, old features drift away from memory).
   */
  private async anchoredStep(x: tf.Tensor4D, b: TrainBatch, rep: NonNullable<CrateLoopModel['replay']>): Promise<StepStats> {
    const { cfg, enc, dec } = this.state;
    const n = b.n;
    const m = rep.yMem.length;
    const yAll = new Int32Array(n + m);
    yAll.set(b.labels);
    yAll.set(rep.yMem, n);
    const weights = (old: number) => {
      const w = new Array<number>(b.k).fill(0);
      for (const y of rep.yMem) w[y] = old;
      for (const y of b.labels) w[y] = this.recipe.lambdaNew;
      return w;
    };
    // (1) encoder: X̂ = g(f(X)) computed first, so it is a constant of the encoder's gradient (CTRL detaches X̂)
    const xHat = tf.tidy(() => decode(dec, cfg, encode(enc, cfg, x)));
    const kept: { enc?: tf.Tensor1D } = {};
    {
      const { value, grads } = this.state.encoderOptimizer.computeGradients(() => {
        const zNew = encode(enc, cfg, x); // (n, F)
        const Z = tf.concat([zNew, rep.zMem]) as tf.Tensor2D; // (n+m, F)
        const Zhat = encode(enc, cfg, tf.concat([xHat, rep.xMem]) as tf.Tensor4D); // (n+m, F)
        const t = closedLoopObjective(Z, Zhat, yAll, b.k, this.recipe.eps2, { pairWeights: weights(-1) });
        const zhatMem = tf.slice(Zhat, [n, 0], [m, cfg.featureDim]); // f(X_mem), (m, F)
        const anchor = tf.mean(tf.sum(tf.square(tf.sub(zhatMem, rep.anchorTarget!)), 1));
        kept.enc = tf.keep(tf.stack([t.T, t.deltaRZ, t.deltaRZhat, t.pair, anchor]) as tf.Tensor1D);
        return tf.add(tf.neg(t.T), tf.mul(rep.anchorWeight, anchor)) as tf.Scalar;
      }, this.state.encoderTrainableVars());
      this.state.applyEncoderGradients(grads);
      value.dispose();
      xHat.dispose();
    }
    // (2) decoder: as models/training closedLoopStep with memory
    let decValue: tf.Scalar;
    {
      const zNew = tf.tidy(() => encode(enc, cfg, x));
      const { value, grads } = this.state.decoderOptimizer.computeGradients(() => {
        const xh = decode(dec, cfg, zNew);
        const Z = tf.concat([zNew, rep.zMem]) as tf.Tensor2D;
        const Zhat = encode(enc, cfg, tf.concat([xh, rep.xMem]) as tf.Tensor4D);
        const t = closedLoopObjective(Z, Zhat, yAll, b.k, this.recipe.eps2, { pairWeights: weights(0) });
        const replay = encode(enc, cfg, decode(dec, cfg, rep.zMem));
        const zhatMem = tf.slice(Zhat, [n, 0], [m, cfg.featureDim]) as tf.Tensor2D;
        const old = closedLoopObjective(replay, zhatMem, rep.yMem, b.k, this.recipe.eps2);
        const rec = this.recipe.reconWeight > 0 ? tf.mul(this.recipe.reconWeight, pixelError(xh, x)) : tf.scalar(0);
        return tf.addN([t.T, old.pair, rec]) as tf.Scalar;
      }, this.state.decoderVars());
      this.state.decoderOptimizer.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer['applyGradients']>[0]);
      tf.dispose(grads);
      zNew.dispose();
      decValue = value;
    }
    const all = tf.tidy(() => tf.concat([kept.enc!, tf.reshape(decValue, [1])]));
    tf.dispose([kept.enc!, decValue]);
    const v = await all.data(); // sync point: one per step
    all.dispose();
    return { T: v[0], lossEncoder: -v[0] + rep.anchorWeight * v[4], lossDecoder: v[5], deltaRZ: v[1], deltaRZhat: v[2], pairTerm: v[3] };
  }

  setLrScale(scale: number): void {
    this.lrScale = scale;
    this.state.setLearningRates(this.recipe.lrEncoder * scale, this.recipe.lrDecoder * scale);
  }

  /** Learning rates of a phase: the loop moves the encoder at loopEncoderLrScale of its warm-up rate (two time scales). */
  private phaseRates(phase: 'warmup' | 'loop'): void {
    const enc = phase === 'loop' ? this.recipe.loopEncoderLrScale : 1;
    this.state.setLearningRates(this.recipe.lrEncoder * this.lrScale * enc, this.recipe.lrDecoder * this.lrScale);
  }

  async exportState(): Promise<Map<string, TensorRecord>> {
    const out = new Map<string, TensorRecord>();
    await paramsToRecords('', this.state.enc, out);
    await paramsToRecords('', this.state.dec, out);
    // Adam state named by parameter (the names LoopState.setOptimizerState reads). Read here rather than through
    // LoopState.getOptimizerState, which leaves the 'iter' scalar of tf's getWeights() undisposed (reported).
    for (const [which, opt, params] of [['enc', this.state.encoderOptimizer, this.state.enc], ['dec', this.state.decoderOptimizer, this.state.dec]] as const) {
      const byInternal = new Map([...params].map(([name, v]) => [v.name, name]));
      const weights = await opt.getWeights(); // [iter, m…, v…]
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i];
        let name = 'iter';
        if (i > 0) {
          const slash = w.name.lastIndexOf('/');
          const param = byInternal.get(w.name.slice(0, slash));
          if (!param) throw new Error(`checkpoint: optimiser slot '${w.name}' belongs to no parameter`);
          name = `${param}${w.name.slice(slash)}`;
        }
        out.set(`opt/${which}/${name}`, { shape: [...w.tensor.shape], dtype: 'float32', data: Float32Array.from(await w.tensor.data()) });
      }
      weights[0]?.tensor.dispose(); // a fresh scalar; the moments are the optimiser's own variables
    }
    return out;
  }

  async importState(t: Map<string, TensorRecord>): Promise<void> {
    assignParams('', this.state.enc, t, 'encoder');
    assignParams('', this.state.dec, t, 'decoder');
    const state = { encoder: [] as { name: string; tensor: tf.Tensor }[], decoder: [] as { name: string; tensor: tf.Tensor }[] };
    for (const [k, r] of t) {
      const m = /^opt\/(enc|dec)\/(.+)$/.exec(k);
      if (!m) continue;
      (m[1] === 'enc' ? state.encoder : state.decoder).push({ name: m[2], tensor: tf.tensor(r.data as Float32Array, r.shape) });
    }
    try {
      if (state.encoder.length && state.decoder.length) await this.state.setOptimizerState(state);
    } finally {
      tf.dispose([...state.encoder.map((s) => s.tensor), ...state.decoder.map((s) => s.tensor)]);
    }
  }

  async exportEncoder(): Promise<Map<string, TensorRecord>> {
    const out = new Map<string, TensorRecord>();
    await paramsToRecords('', this.state.enc, out);
    return out;
  }

  dispose(): void {
    this.setReplay(null, null);
    this.setNullSpace(null);
    this.state.dispose();
  }
}

/** An encoder alone: freshly initialised (random baseline) or from saved parameters (frozen baseline). */
export class StandaloneEncoder implements Encoder {
  private readonly enc: ParamMap;
  constructor(
    private readonly cfg: CrateConfig,
    from: { seed: number } | { params: Map<string, TensorRecord> },
  ) {
    this.enc = initEncoderParams(cfg, 'seed' in from ? from.seed : 0);
    if ('params' in from) assignParams('', this.enc, from.params, 'frozen encoder');
  }
  encode(x: Float32Array, n: number): Promise<Float32Array> {
    return encodeHost(this.enc, this.cfg, x, n);
  }
  dispose(): void {
    disposeParams(this.enc);
  }
}
