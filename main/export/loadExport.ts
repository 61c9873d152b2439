/**
 * Read an export folder (written with `--what all`) back into what a new run starts from: the CRATE config, both
 * networks as ParamMaps, the lab's classifier, the structured memory and the class names. The engine's `train --from`
 * uses it to continue learning on top of an earlier run (knowledge increment across separate uses of the lab).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CrateConfig, validateConfig } from '../../models/crate/config';
import { decoderSpecs, encoderSpecs, type ParamMap } from '../../models/crate/params';
import type { SubspaceModel } from '../../models/subspace/nearestSubspace';
import type { ActivationBasis } from '../../models/training/nullSpace';
import { ExportError } from './exportError';
import { toVariable, type HostWeights } from './hostWeights';
import { readMemoryExport } from './memoryExport';
import { readTfjsWeights } from './tfjsWeights';

/** One class of the memory, in the shape of main/engine/memoryBank.ts ClassMemory. */
export interface LoadedClassMemory {
  cls: number;
  z: Float32Array; // (m, F)
  m: number;
  mean: Float32Array; // (F)
  basis: Float32Array; // (F, r) row-major
  sigma: Float32Array; // (r)
  r: number;
}

export interface LoadedExport {
  config: CrateConfig;
  enc: ParamMap;
  dec: ParamMap;
  classifier: SubspaceModel;
  memory: { z: Float32Array; labels: Int32Array; m: number; perClass: LoadedClassMemory[] };
  /** span of the head inputs of the learned classes (null-space learning), when the export has one */
  activations: ActivationBasis | null;
  classNames: string[];
  preset: string;
  runId: string | null;
}

/** True when `dir` looks like an export folder (as opposed to a run folder). */
export function isExportDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'memory.json'));
}

export async function loadExport(dir: string): Promise<LoadedExport> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ExportError('not-found', `export folder ${dir} not found`);
  let weights: HostWeights;
  let json: ReturnType<typeof readTfjsWeights>['json'];
  let mem: ReturnType<typeof readMemoryExport>;
  try {
    ({ json, weights } = readTfjsWeights(dir));
    mem = readMemoryExport(dir);
  } catch (e) {
    throw new ExportError('bad-data', `cannot continue from ${dir}: ${(e as Error).message}`, 'Export the run with --what all.');
  }
  const config = { layerNormEps: 1e-5, ...json.config } as unknown as CrateConfig;
  try {
    validateConfig(config, `${path.join(dir, 'model.json')} config`);
  } catch (e) {
    throw new ExportError('bad-data', (e as Error).message);
  }
  const enc = toParams(weights, encoderSpecs(config), dir, 'encoder');
  let dec: ParamMap;
  try {
    dec = toParams(weights, decoderSpecs(config), dir, 'decoder');
  } catch (e) {
    for (const v of enc.values()) v.dispose();
    throw e;
  }
  const F = config.featureDim;
  if (mem.stats.featureDim !== F) {
    throw new ExportError('bad-data', `${path.join(dir, 'memory.json')}: feature dim ${mem.stats.featureDim}, the weights use ${F}`);
  }
  const perClass: LoadedClassMemory[] = mem.stats.classes.map((cls, j) => {
    const rows: number[] = [];
    mem.memory.labels.forEach((l, i) => l === cls && rows.push(i));
    const z = new Float32Array(rows.length * F);
    rows.forEach((i, k) => z.set(mem.memory.features.subarray(i * F, (i + 1) * F), k * F));
    // drop zero-padded columns so each class keeps its own rank
    const r0 = mem.stats.r;
    let r = r0;
    while (r > 1 && mem.stats.sigma[j][r - 1] === 0 && columnIsZero(mem.stats.bases[j], F, r0, r - 1)) r--;
    const basis = new Float32Array(F * r);
    for (let f = 0; f < F; f++) for (let c = 0; c < r; c++) basis[f * r + c] = mem.stats.bases[j][f * r0 + c];
    return { cls, z, m: rows.length, mean: mem.stats.means[j], basis, sigma: mem.stats.sigma[j].slice(0, r), r };
  });
  return {
    config,
    enc,
    dec,
    classifier: mem.classifier,
    memory: { z: mem.memory.features, labels: mem.memory.labels, m: mem.memory.labels.length, perClass },
    activations: mem.activations ?? null,
    classNames: json.classNames,
    preset: json.preset,
    runId: mem.runId ?? null,
  };
}

function columnIsZero(b: Float32Array, F: number, r: number, c: number): boolean {
  for (let f = 0; f < F; f++) if (b[f * r + c] !== 0) return false;
  return true;
}

function toParams(w: HostWeights, specs: { name: string; shape: number[] }[], dir: string, part: string): ParamMap {
  for (const s of specs) {
    const t = w.get(s.name);
    if (!t) throw new ExportError('bad-data', `${path.join(dir, 'model.json')}: the ${part} weight ${s.name} is missing`, 'Export the run with --what all.');
    if (t.shape.join(',') !== s.shape.join(',')) {
      throw new ExportError('bad-data', `${path.join(dir, 'model.json')}: ${s.name} has shape [${t.shape.join(', ')}], the config needs [${s.shape.join(', ')}]`);
    }
  }
  return new Map(specs.map((s) => [s.name, toVariable(w.get(s.name)!.data, s.shape, true)]));
}
