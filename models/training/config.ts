/**
 * Hyperparameters of the closed-loop (CTRL / i-CTRL) training step. Sources: design/CRATE_SPEC.md §4.2, §5.3.
 */

export interface LoopConfig {
  /** ε² of the coding rates; the code argument `eps` is ε² (CTRL mnist.yaml/cifar10.yaml EPS = 0.5; i-CTRL yamls use 1.0). */
  readonly eps2: number;
  /** Encoder Adam learning rate (CTRL LR_D = 1.5e-4). */
  readonly lrEncoder: number;
  /** Decoder Adam learning rate (CTRL LR_G = 1.5e-4). */
  readonly lrDecoder: number;
  /** Adam β₁ (CTRL/i-CTRL (0.5, 0.999): "otherwise it will collapse"; bench README: 0.9 is better for MCR² warm-up). */
  readonly beta1: number;
  /** Adam β₂ (CTRL/i-CTRL 0.999). */
  readonly beta2: number;
  /** Adam ε (PyTorch default 1e-8, which the reference code runs with; TF.js would default to 1e-7). */
  readonly adamEpsilon: number;
  /** λ on the new-class paired terms when memory is replayed (i-CTRL mnist.yaml LAMBD = 10; cifar10.yaml 8). */
  readonly lambdaNew: number;
  /** Weight of the pixel reconstruction mean((g(f(X)) − X)²) in the decoder's loss (0 = pure CTRL). Rate reduction
   *  asks g only for images whose features match as sets; the pixel term makes g(Z_mem) look like the old images, so
   *  that f(g(Z_mem)) can stand in for them when the encoder moves. */
  readonly reconWeight: number;
}

export const DEFAULT_LOOP_CONFIG: LoopConfig = Object.freeze({
  eps2: 0.5,
  lrEncoder: 1.5e-4,
  lrDecoder: 1.5e-4,
  beta1: 0.5,
  beta2: 0.999,
  adamEpsilon: 1e-8,
  lambdaNew: 10,
  reconWeight: 0,
});

/** Defaults with overrides; rejects unknown keys and non-positive / non-finite values. */
export function resolveLoopConfig(overrides: Partial<LoopConfig> = {}): LoopConfig {
  for (const [key, v] of Object.entries(overrides)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LOOP_CONFIG, key)) {
      throw new Error(
        `resolveLoopConfig: unknown key '${key}' (known: ${Object.keys(DEFAULT_LOOP_CONFIG).join(', ')})`,
      );
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`resolveLoopConfig: '${key}' must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
    }
  }
  const cfg = Object.freeze({ ...DEFAULT_LOOP_CONFIG, ...overrides });
  if (cfg.eps2 <= 0) throw new Error(`resolveLoopConfig: 'eps2' must be > 0, got ${cfg.eps2}`);
  if (cfg.beta1 >= 1 || cfg.beta2 >= 1) {
    throw new Error(`resolveLoopConfig: Adam betas must be in [0, 1), got ${cfg.beta1}, ${cfg.beta2}`);
  }
  return cfg;
}
