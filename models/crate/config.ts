/**
 * CRATE encoder/decoder configuration and presets.
 *
 * The `mnist-s`, `cifar-s` and `mnist-p4` presets are shape-for-shape the PRESETS of the PyTorch
 * reference (/shared/bench/torch_closed_loop.py), so throughput can be compared one to one.
 * Layer equations: design/CRATE_SPEC.md §2.2 (encoder), §3 (decoder), §2.5 (CRATE-α block).
 */

export interface CrateConfig {
  /** [C, H, W] of input images; H and W must be multiples of `patch`. */
  readonly imageShape: readonly [number, number, number];
  /** Patch side P in pixels; tokens N = (H/P)·(W/P), patch vector length P·P·C. */
  readonly patch: number;
  /** Token width d. */
  readonly dim: number;
  /** Attention heads H; head size dh = d/H (qkv is one d×d matrix, CRATE §2.2). */
  readonly heads: number;
  /** Encoder layers (MSSA + ISTA each). */
  readonly depthEncoder: number;
  /** Decoder layers (dictionary + subtracted MSSA each, CRATE-MAE §3). */
  readonly depthDecoder: number;
  /** Feature size F of the unit-norm representation z (128 in CTRL/i-CTRL, §4.2). */
  readonly featureDim: number;
  /** 'cls': feature from the class token (CRATE default); 'mean': mean of patch tokens (bench README: better MCR²);
   *  'flat': all patch tokens concatenated in patch order (N·d), so the head sees where each token is. */
  readonly pool: 'cls' | 'mean' | 'flat';
  /** ISTA step size η (CRATE model/crate.py `step_size` = 0.1). */
  readonly istaStep: number;
  /** ISTA sparsity weight λ (CRATE model/crate.py `lambd` = 0.1). */
  readonly istaLambda: number;
  /** 'crate': complete d×d ISTA, no residual; 'alpha': CRATE-α overcomplete (4d) two-step ODL with residual (§2.5). */
  readonly sparseBlock: 'crate' | 'alpha';
  /** Default training batch size (samples per closed-loop step). */
  readonly batchSize: number;
  /** LayerNorm epsilon (PyTorch default 1e-5, as in the official CRATE code). */
  readonly layerNormEps: number;
}

/** Fields every preset shares unless it overrides them. */
const BASE: CrateConfig = Object.freeze({
  imageShape: [1, 28, 28] as const,
  patch: 7,
  dim: 128,
  heads: 4,
  depthEncoder: 4,
  depthDecoder: 4,
  featureDim: 128,
  pool: 'cls',
  istaStep: 0.1,
  istaLambda: 0.1,
  sparseBlock: 'crate',
  batchSize: 512,
  layerNormEps: 1e-5,
});

function preset(over: Partial<CrateConfig>): CrateConfig {
  return Object.freeze({ ...BASE, ...over });
}

export const PRESETS: Readonly<Record<string, CrateConfig>> = Object.freeze({
  // Trains in seconds on one CPU core: 4 tokens of 16 values; used by the unit tests.
  tiny: preset({
    imageShape: [1, 8, 8],
    patch: 4,
    dim: 16,
    heads: 2,
    depthEncoder: 1,
    depthDecoder: 1,
    featureDim: 16,
    pool: 'mean',
    batchSize: 64,
  }),
  // = torch_closed_loop.py "mnist-s": 16 tokens of 7×7.
  'mnist-s': preset({}),
  // = torch_closed_loop.py "cifar-s": 64 tokens of 4×4×3.
  'cifar-s': preset({ imageShape: [3, 32, 32], patch: 4, dim: 192, heads: 6, depthEncoder: 6, depthDecoder: 6 }),
  // = torch_closed_loop.py "mnist-p4": 49 tokens of 4×4.
  'mnist-p4': preset({ patch: 4 }),
});

export const PRESET_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  tiny: 'Tiny CRATE for tests and smoke runs: 8×8 grey images, 4 tokens, width 16, 1+1 layers.',
  'mnist-s': 'CRATE-small for 28×28 grey digits: 7×7 patches (16 tokens), width 128, 4 heads, 4+4 layers.',
  'cifar-s': 'CRATE-small for 32×32 colour images: 4×4 patches (64 tokens), width 192, 6 heads, 6+6 layers.',
  'mnist-p4': 'mnist-s with 4×4 patches (49 tokens): finer tokens, about 3× the compute.',
});

type FieldKind = 'posInt' | 'posNum' | 'nonNegNum' | 'shape3' | 'pool' | 'sparseBlock';
const FIELDS: Record<keyof CrateConfig, FieldKind> = {
  imageShape: 'shape3',
  patch: 'posInt',
  dim: 'posInt',
  heads: 'posInt',
  depthEncoder: 'posInt',
  depthDecoder: 'posInt',
  featureDim: 'posInt',
  pool: 'pool',
  istaStep: 'posNum',
  istaLambda: 'nonNegNum',
  sparseBlock: 'sparseBlock',
  batchSize: 'posInt',
  layerNormEps: 'posNum',
};

function checkField(key: keyof CrateConfig, v: unknown): string | null {
  const kind = FIELDS[key];
  const isNum = typeof v === 'number' && Number.isFinite(v);
  switch (kind) {
    case 'posInt':
      return isNum && Number.isInteger(v) && (v as number) > 0 ? null : 'a positive integer';
    case 'posNum':
      return isNum && (v as number) > 0 ? null : 'a positive finite number';
    case 'nonNegNum':
      return isNum && (v as number) >= 0 ? null : 'a finite number ≥ 0';
    case 'shape3':
      return Array.isArray(v) && v.length === 3 && v.every((x) => Number.isInteger(x) && x > 0)
        ? null
        : 'an array of 3 positive integers [C, H, W]';
    case 'pool':
      return v === 'cls' || v === 'mean' || v === 'flat' ? null : "'cls', 'mean' or 'flat'";
    case 'sparseBlock':
      return v === 'crate' || v === 'alpha' ? null : "'crate' or 'alpha'";
  }
}

/** Throws an Error whose message names the field and the invariant that failed. */
export function validateConfig(cfg: CrateConfig, where = 'CrateConfig'): void {
  for (const key of Object.keys(FIELDS) as (keyof CrateConfig)[]) {
    const want = checkField(key, cfg[key]);
    if (want) throw new Error(`${where}: '${key}' must be ${want}, got ${JSON.stringify(cfg[key])}`);
  }
  const [, h, w] = cfg.imageShape;
  if (h % cfg.patch !== 0 || w % cfg.patch !== 0) {
    throw new Error(`${where}: image ${h}×${w} is not divisible by patch ${cfg.patch}`);
  }
  if (cfg.dim % cfg.heads !== 0) {
    throw new Error(`${where}: dim ${cfg.dim} is not divisible by heads ${cfg.heads}`);
  }
}

/** A preset with overrides applied; rejects unknown presets, unknown keys, wrong types and broken invariants. */
export function resolveConfig(presetName: string, overrides: Partial<CrateConfig> = {}): CrateConfig {
  const base = Object.prototype.hasOwnProperty.call(PRESETS, presetName) ? PRESETS[presetName] : undefined;
  if (!base) {
    throw new Error(`resolveConfig: unknown preset '${presetName}' (known: ${Object.keys(PRESETS).join(', ')})`);
  }
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new Error(`resolveConfig: overrides must be an object, got ${JSON.stringify(overrides)}`);
  }
  for (const key of Object.keys(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(FIELDS, key)) {
      throw new Error(`resolveConfig: unknown config key '${key}' (known: ${Object.keys(FIELDS).join(', ')})`);
    }
    const v = (overrides as Record<string, unknown>)[key];
    const want = checkField(key as keyof CrateConfig, v);
    if (want) throw new Error(`resolveConfig: '${key}' must be ${want}, got ${JSON.stringify(v)}`);
  }
  const merged = { ...base, ...overrides } as CrateConfig;
  const cfg: CrateConfig = Object.freeze({
    ...merged,
    imageShape: Object.freeze([...merged.imageShape]) as unknown as readonly [number, number, number],
  });
  validateConfig(cfg, `resolveConfig('${presetName}')`);
  return cfg;
}

/** Number of patch tokens N (the encoder adds one class token). */
export function numPatches(cfg: CrateConfig): number {
  const [, h, w] = cfg.imageShape;
  return (h / cfg.patch) * (w / cfg.patch);
}

/** Length of one flattened patch, P·P·C. */
export function patchDim(cfg: CrateConfig): number {
  return cfg.patch * cfg.patch * cfg.imageShape[0];
}
