// The model a new run trains: its preset plus the engine's overrides, then the user's (--pool, --feature-dim).
// One place, so the run, the `models` listing and the window's preset picker describe the same network.
import { resolveConfig, type CrateConfig } from '../../models/crate/config';

/**
 * Overrides on top of a preset, recorded in run.json like any other config field. Flat pooling (all presets): with the
 * invariance warm-up it keeps where each token is, and features learned on the first task carry over to later classes
 * (docs/RECIPE.md, "flat pooling and an invariance warm-up"). F stays the preset's: 256 for digits lifted `--quick` on
 * four seeds of five but cost the full default 1.7 points (docs/RECIPE.md, "feature size"); `--feature-dim` sets it.
 */
export const ENGINE_MODEL_DEFAULTS: Readonly<Partial<CrateConfig>> = Object.freeze({ pool: 'flat' });

/** The config a new run of `preset` trains with; throws for an unknown preset or a bad override. */
export function engineConfig(preset: string, overrides: Partial<CrateConfig> = {}): CrateConfig {
  return resolveConfig(preset, { ...ENGINE_MODEL_DEFAULTS, ...overrides });
}
