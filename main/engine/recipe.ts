// The training recipe of a run: every knob that changes the result is a field here, recorded in run.json and in every
// checkpoint. Defaults follow the bench README findings (mean pooling, Adam β₁ 0.9, lr 1e-3, ε² 0.5 for the MCR²
// warm-up) and the i-CTRL code for the incremental loop (λ 10, memory 12 directions × 30 samples from the top 40).

export interface Recipe {
  /** ε² of all coding rates (bench README: 0.5 best for the warm-up; i-CTRL yamls 1.0). */
  eps2: number;
  /** encoder / decoder Adam learning rates of the first task (bench README: 1e-3 with β₁ 0.9). */
  lrEncoder: number;
  lrDecoder: number;
  /** multiplier on both learning rates for tasks after the first (small steps keep old features where memory says). */
  laterLrScale: number;
  /** encoder learning rate in the closed-loop phases relative to the warm-up's (1 = same). The loop exists to teach
   *  the decoder; a slower encoder keeps what the invariance warm-up built (two time-scale updates, Heusel et al. 2017). */
  loopEncoderLrScale: number;
  /** Adam β₁ (bench README: 0.9 beat i-CTRL's 0.5 for CRATE) and β₂. */
  beta1: number;
  beta2: number;
  /** weight of the pixel reconstruction mean((g(f(x)) − x)²) for the decoder, in the loop and (decoder steps) in the
   *  warm-ups (0 = pure CTRL: the decoder learns only in the loop, from rate reduction). */
  reconWeight: number;
  /** a decoder phase after each task's loop (0 = none): the decoder alone learns to draw the task's images from their
   *  features, mean((g(f(x)) − x)²), for this many epochs, and keeps drawing the old classes by replaying (Z_mem, X_mem)
   *  pairs decoded at the task start (generative self-replay). The loop alone leaves g(Z_mem) as blobs that the encoder
   *  classifies at chance; 1,000 steps of 64 make 64–67 % of reconstructions recognisable (docs/RECIPE.md). */
  decoderEpochs: number;
  /** weight c of the decoder phase's consistency term c·mean‖f(g(z)) − z‖² over its rows (0 = pixels only): what the
   *  decoder draws must re-encode where it came from, or decoded memory cannot stand in for an old class (issue 14). */
  decoderConsistency: number;
  /** decoder-phase epochs of tasks after the first (−1 = decoderEpochs): the decoder already draws; it has two new
   *  classes to learn and the old ones to keep. */
  laterDecoderEpochs: number;
  /** at most this many memory rows per decoder-phase step, class-balanced (0 = as many per old class as a new class
   *  has images in the step, which grows the step with every task). */
  decoderMemRows: number;
  /** images per step of the decoder phase (memory rows are added: as many per old class as per new class). */
  decoderBatch: number;
  /** Adam rate of the decoder phase, every task (later tasks do not scale it: the decoder has new classes to learn). */
  decoderLr: number;
  /** λ on the new-class paired terms when memory is replayed (i-CTRL mnist.yaml LAMBD = 10). */
  lambdaNew: number;
  /** closed-loop epochs per task over the task's new-class images. */
  epochs: number;
  /** encoder warm-up epochs of the first task before the loop closes (0 = none): R(Z) − γ·R_c (warmupGamma) plus the
   *  invariance term (invarianceWeight). */
  warmupEpochs: number;
  /** objective of warm-ups without memory rows (the first task; later ones only with noMemory): R(Z) − γ·R_c(Z|Π).
   *  γ = 1 is MCR²; γ < 1 weighs expansion over compression, so features learned from the first classes alone stay
   *  spread instead of collapsing onto one subspace per class. */
  warmupGamma: number;
  /** γ of the warm-ups of later tasks that replay memory (−1 = warmupGamma). With null-space learning the old classes
   *  cannot move, so later tasks can afford the supervised objective: new classes compact and away from old ones. */
  laterWarmupGamma: number;
  /** ε² of those warm-ups' coding rates (0 = eps2). */
  warmupEps2: number;
  /** invariance term of the warm-ups (the first task's, and later ones when laterWarmupEpochs > 0): two views of every image, each moved by up to ±augShift pixels, and
   *  invarianceWeight·mean⟨f(x'), f(x'')⟩ added to R − γR_c (0 = off). Expansion keeps features spread, the
   *  invariance term makes them agree across small shifts of the same digit: a property of the whole image domain,
   *  so it carries over to classes not yet seen (EMP-SSL, Tong et al. 2023; U-CTRL, Tong et al. 2022). */
  invarianceWeight: number;
  augShift: number;
  /** later warm-ups: −distillWeight·mean‖f(x) − f₀(x)‖² over the new images (f₀ = encoder at the task start), a
   *  stability term that limits how far the feature map, and with it every old class, drifts (0 = off). */
  distillWeight: number;
  /** warm-up epochs of each later task before its loop: the first task's objective on the new images, with the old
   *  classes' memory vectors in the rate terms. */
  laterWarmupEpochs: number;
  /** images per step (new-class images; memory rows are added on top). */
  batchSize: number;
  /** weight of the memory anchor ‖f(X_mem) − target‖² in the encoder objective of later tasks' loops (0 = off). */
  anchorWeight: number;
  /** anchor target: false = f₀(X_mem), the encoder's response at the task start; true = the stored memory vectors
   *  Z_mem themselves, so old classes are pulled back to where their stored subspaces are. */
  anchorToMemory: boolean;
  /** at each later task's end, move every old class's stored mean and vectors by an estimate of its drift f − f₀
   *  (f₀ = encoder at the task start; no old images needed): 0 off; 1 the mean drift of the class's decoded memory
   *  X_mem; 2 the drift of the task's new images weighted by closeness to the class mean, exp(−‖f₀(x) − μ‖²/2σ²),
   *  σ = 0.3 (semantic drift compensation, Yu et al. 2020); 3 one affine map f₀ → f fitted on the new images (ridge
   *  toward the identity) applied to each old class's mean, vectors and principal directions (driftMap.ts); 4 the same
   *  map fitted on the new images and on the decoded memory X_mem (f₀(X_mem) → f(X_mem)), probes where the old classes
   *  are. With a decoder phase this happens on entering it, so the decoder learns the refreshed codes. */
  driftCompensation: number;
  /** later warm-ups: weight μ of μ·mean⟨f(x), f(g(f(x)))⟩, the features of an image and of its reconstruction must agree
   *  (0 = off). The CTRL encoder is rewarded for telling x and x̂ apart; an encoder that does, moves decoded memory and
   *  real old images differently, so the memory cannot follow it. Invariance to the loop, learned on the new images,
   *  is what lets decoded memory stand in for the old images (issue 14). */
  reconInvariance: number;
  /** later warm-ups learn on the new images and the decoded memory X_mem = g(Z_mem) as images of the old classes, with
   *  the first task's objective (no memory vectors in the rate terms): generative replay in the warm-up. */
  replayImages: boolean;
  /** with replayImages: weight of w·mean‖f(X_mem) − target‖² over the decoded memory rows of later warm-ups (target as
   *  the loop's anchor: f₀(X_mem), or Z_mem with anchorToMemory; 0 = off): old classes kept as a constraint while the
   *  encoder learns on everything. */
  warmupAnchorWeight: number;
  /** later tasks learn only the encoder's linear head, and only in the null space of the head inputs of every class
   *  learned before (Gradient Projection Memory, Saha et al. 2021): the basis keeps this fraction of those inputs'
   *  energy, so old classes' features stay where their memory says while new ones move (0 = off: every weight learns). */
  nullSpaceEnergy: number;
  /** structured memory (SPEC §5.2): principal directions per class, top samples per direction, samples drawn per direction. */
  memDirections: number;
  memExplore: number;
  memPerDirection: number;
  /** memory rows replayed per step, class-balanced random subset (0 = all rows in every batch, as i-CTRL; the default
   *  bounds the step cost, which otherwise grows to 2,880 extra rows per step by the fifth digit task). */
  memPerBatch: number;
  /** nearest-subspace rank r (i-CTRL PCACOMP = 15). */
  subspaceRank: number;
  /** keep at most this many training images per class (0 = all): quick runs and tests. */
  maxPerClass: number;
  /** checkpoint every N steps (and at every task end); keep the last K. */
  checkpointEvery: number;
  keep: number;
  /** log a metrics line every N steps. */
  logEvery: number;
  /** compute baselines for the final summary. */
  baselines: boolean;
  /** no-memory baseline trains only this fraction of the recipe's epochs (1 = same schedule). */
  baselineEpochScale: number;
  /** ablations: train later tasks without replaying memory; or freeze the encoder after the first task. */
  noMemory: boolean;
  freezeAfterFirst: boolean;
}

export const DEFAULT_RECIPE: Readonly<Recipe> = Object.freeze({
  eps2: 0.5,
  lrEncoder: 1e-3,
  lrDecoder: 1e-3,
  laterLrScale: 0.03,
  loopEncoderLrScale: 0.3,
  beta1: 0.9,
  beta2: 0.999,
  lambdaNew: 10,
  reconWeight: 0,
  // the decoder phase is on by default: without it the reconstructions and the decoded memory are noise, and decoded
  // memory is not recognised when encoded again (0.19); with it and the consistency term the loop closes (RECIPE.md)
  decoderEpochs: 20,
  decoderConsistency: 0.1,
  laterDecoderEpochs: -1,
  decoderMemRows: 64,
  decoderBatch: 64,
  decoderLr: 2e-3,
  epochs: 4,
  warmupEpochs: 20,
  warmupGamma: 0,
  laterWarmupGamma: -1,
  warmupEps2: 1,
  invarianceWeight: 50,
  augShift: 2,
  distillWeight: 0,
  laterWarmupEpochs: 3,
  batchSize: 512,
  anchorWeight: 1000,
  anchorToMemory: false,
  driftCompensation: 2,
  reconInvariance: 0,
  replayImages: false,
  warmupAnchorWeight: 0,
  nullSpaceEnergy: 0,
  memDirections: 12,
  memExplore: 40,
  memPerDirection: 30,
  memPerBatch: 256, // with batch 512 (768 rows per step): 1024 rows failed inside tfjs-backend-wasm ("table index is out of bounds") on mnist-s
  subspaceRank: 15,
  maxPerClass: 0,
  checkpointEvery: 50,
  keep: 3,
  logEvery: 1,
  baselines: true,
  baselineEpochScale: 1,
  noMemory: false,
  freezeAfterFirst: false,
});

/** --quick: a reduced schedule for a quick look (≤ 10 min on 2 cores with mnist-s). */
export const QUICK_OVERRIDES: Readonly<Partial<Recipe>> = Object.freeze({
  // the same recipe on a smaller schedule (docs/RECIPE.md, "flat pooling and an invariance warm-up")
  maxPerClass: 300,
  batchSize: 256,
  warmupEpochs: 20,
  epochs: 2,
  memPerDirection: 10,
  memPerBatch: 256,
  checkpointEvery: 10,
  // 600 images a task: the first task's decoder needs more passes to draw, later ones 20 (RECIPE.md, issue 14)
  decoderEpochs: 30,
  laterDecoderEpochs: 20,
});

const INT_FIELDS = new Set<keyof Recipe>([
  'epochs', 'warmupEpochs', 'laterWarmupEpochs', 'decoderEpochs', 'laterDecoderEpochs', 'decoderMemRows', 'decoderBatch', 'batchSize', 'memDirections', 'memExplore', 'memPerDirection', 'memPerBatch', 'subspaceRank',
  'maxPerClass', 'checkpointEvery', 'keep', 'logEvery', 'driftCompensation', 'augShift',
]);
const BOOL_FIELDS = new Set<keyof Recipe>(['baselines', 'noMemory', 'freezeAfterFirst', 'anchorToMemory', 'replayImages']);
const POSITIVE = new Set<keyof Recipe>(['eps2', 'batchSize', 'decoderBatch', 'decoderLr', 'memDirections', 'memExplore', 'memPerDirection', 'subspaceRank', 'checkpointEvery', 'keep', 'logEvery']);

/** For a run recorded before a field existed: the value that behaves as the code did without it (not today's default). */
const BEFORE_FIELD: Readonly<Partial<Recipe>> = Object.freeze({
  invarianceWeight: 0,
  distillWeight: 0,
  laterWarmupGamma: -1,
  loopEncoderLrScale: 1,
  nullSpaceEnergy: 0,
  reconWeight: 0,
  decoderEpochs: 0,
  decoderConsistency: 0,
  replayImages: false,
  laterDecoderEpochs: -1,
  decoderMemRows: 0,
  reconInvariance: 0,
  warmupAnchorWeight: 0,
});

/** The recipe of a recorded run (run.json): a resumed or re-evaluated run keeps its behaviour under newer defaults. */
export function resolveStoredRecipe(stored: Partial<Recipe>): Recipe {
  const filled: Partial<Recipe> = { ...stored };
  for (const [k, v] of Object.entries(BEFORE_FIELD) as [keyof Recipe, never][]) if (!(k in stored)) filled[k] = v;
  return resolveRecipe(filled);
}

/**
 * The subspace rank r a run uses unless told otherwise: the recipe's, but at most a quarter of the feature size F.
 * With r near F every class's subspace covers the whole feature space and nearest subspace guesses (tiny, F = 16:
 * 0.28 on ten digits with r = 15; 0.66 / 0.70 / 0.71 / 0.64 with r = 3 / 4 / 5 / 8).
 */
export function defaultRankFor(featureDim: number, rank: number = DEFAULT_RECIPE.subspaceRank): number {
  return Math.max(1, Math.min(rank, Math.floor(featureDim / 4)));
}

/**
 * Defaults (+ quick) + overrides; rejects unknown keys and wrong types with a readable message. With the model's
 * feature size, a subspace rank that is not given is capped by defaultRankFor.
 */
export function resolveRecipe(overrides: Partial<Recipe> = {}, quick = false, featureDim?: number): Recipe {
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const key = k as keyof Recipe;
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_RECIPE, key))
      throw new Error(`recipe: unknown key '${k}' (known: ${Object.keys(DEFAULT_RECIPE).join(', ')})`);
    if (BOOL_FIELDS.has(key)) {
      if (typeof v !== 'boolean') throw new Error(`recipe: '${k}' must be true or false, got ${JSON.stringify(v)}`);
      continue;
    }
    if ((key === 'laterWarmupGamma' || key === 'laterDecoderEpochs') && v === -1) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`recipe: '${k}' must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
    if (INT_FIELDS.has(key) && !Number.isInteger(v)) throw new Error(`recipe: '${k}' must be an integer, got ${v}`);
    if (POSITIVE.has(key) && v <= 0) throw new Error(`recipe: '${k}' must be > 0, got ${v}`);
  }
  const clean = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<Recipe>;
  const r: Recipe = { ...DEFAULT_RECIPE, ...(quick ? QUICK_OVERRIDES : {}), ...clean };
  if (featureDim !== undefined && clean.subspaceRank === undefined) r.subspaceRank = defaultRankFor(featureDim, r.subspaceRank);
  if (r.driftCompensation > 4) throw new Error(`recipe: 'driftCompensation' must be 0 (off), 1 (memory), 2 (new images, mean shift), 3 (new images, affine map) or 4 (new images and decoded memory, affine map), got ${r.driftCompensation}`);
  if (r.nullSpaceEnergy > 1) throw new Error(`recipe: 'nullSpaceEnergy' is a fraction of energy in [0, 1] (0 = off), got ${r.nullSpaceEnergy}`);
  if (r.beta1 >= 1 || r.beta2 >= 1) throw new Error(`recipe: Adam betas must be < 1, got ${r.beta1}, ${r.beta2}`);
  if (r.invarianceWeight > 0 && r.augShift === 0) throw new Error("recipe: 'invarianceWeight' needs 'augShift' ≥ 1 (two views that differ)");
  if (r.epochs + r.warmupEpochs === 0) throw new Error('recipe: epochs and warmupEpochs are both 0: nothing would be learned');
  return r;
}
