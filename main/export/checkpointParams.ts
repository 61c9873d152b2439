/**
 * Reading the model half of a run: its resolved CrateConfig (run.json config.model, as main/engine/session.ts writes it)
 * and checkpoint weights as TF.js variables. Shared by the export and the report.
 */
import { type CrateConfig, validateConfig } from '../../models/crate/config';
import type { ParamMap } from '../../models/crate/params';
import type { TensorRecord } from '../store/checkpoints';
import type { RunJson } from '../store/runFiles';
import { ExportError } from './exportError';
import { toVariable } from './hostWeights';

/** The CrateConfig of a run: run.json config.model (or the config itself, or the checkpoint state's), validated. */
export function crateConfigOf(run: RunJson, state: Record<string, unknown>, where: string): CrateConfig {
  const candidates = [run.config.model, run.config.crate, run.config, state.config, (state.config as Record<string, unknown> | undefined)?.model];
  for (const c of candidates) {
    if (c && typeof c === 'object' && 'imageShape' in c && 'featureDim' in c) {
      const cfg = { layerNormEps: 1e-5, ...(c as object) } as CrateConfig;
      try {
        validateConfig(cfg, `run '${run.id}' config`);
      } catch (e) {
        throw new ExportError('bad-data', (e as Error).message);
      }
      return cfg;
    }
  }
  throw new ExportError('bad-data', `run '${run.id}': run.json has no CRATE model config (checked config.model and config; checkpoint ${where})`);
}

export function paramsOf(t: Map<string, TensorRecord>, prefix: string, where: string): ParamMap {
  const out: ParamMap = new Map();
  for (const [name, rec] of t) {
    if (!name.startsWith(prefix)) continue;
    out.set(name, toVariable(rec.data as Float32Array, rec.shape, false));
  }
  if (out.size === 0) throw new ExportError('bad-data', `checkpoint ${where} holds no '${prefix}…' weights`);
  return out;
}

