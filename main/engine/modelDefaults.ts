// The model a new run trains: its preset plus the engine's overrides, then the user's (--pool, --feature-dim).
// One place, so the run, the `models` listing and the window's preset picker describe the same network.
import { resolveConfig, type CrateConfig } from '../../models/crate/config';

/**
 * Overrides on top of a preset, recorded in run.json like any other config field.
 * - Flat pooling (all presets): with the invariance warm-up it keeps where each token is, and features learned on the
 *   first task carry over to later classes (docs/RECIPE.md, "flat pooling and an invariance warm-up").
 * - F = 256 for 28×28 digits: ten classes of rank-15 subspaces need 150 dimensions, more than the preset's 128; at 256
 *   every figure of `--quick` rose 1.2–1.8 points on four seeds, the lab's and the baselines' alike (docs/RECIPE.md,
 *   "feature size").
 */
export function engineModelDefaults(preset: string): Partial<CrateConfig> {
  return preset === 'mnist-s' ? { pool: 'flat', featureDim: 256 } : { pool: 'flat' };
}

/** The config a new run of `preset` trains with; throws for an unknown preset or a bad override. */
export function engineConfig(preset: string, overrides: Partial<CrateConfig> = {}): CrateConfig {
  return resolveConfig(preset, { ...engineModelDefaults(preset), ...overrides });
}
