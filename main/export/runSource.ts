/**
 * What an export reads from a finished run: the resolved CRATE config, both networks, the lab's nearest-subspace
 * classifier, the structured memory, class names and a training summary; plus test images for the parity check.
 *
 * Sources, all through main/store: run.json (config, data spec, class names), status.json (must be 'finished'),
 * knowledge.ndjson (summary), and the newest valid checkpoint: tensors 'enc/…', 'dec/…' (models/crate/params.ts names),
 * the memory 'mem/<class>/{z,mean,basis,sigma}' (main/engine/memoryBank.ts), and, when the engine stores it,
 * the final classifier 'cls/<class>/{mean,basis,sigma}'; without it the classifier is refitted from the memory rows.
 */
import * as fs from 'node:fs';
import type { KnowledgeRecord, TaskRecord } from '../../preload/api';
import type { CrateConfig } from '../../models/crate/config';
import type { ParamMap } from '../../models/crate/params';
import { fitNearestSubspace, type SubspaceModel } from '../../models/subspace/nearestSubspace';
import type { ActivationBasis } from '../../models/training/nullSpace';
import { readLatestCheckpoint, type TensorRecord } from '../store/checkpoints';
import { isValidRunId, readKnowledge, readRunJson, readStatus, runDirOf, type RunJson } from '../store/runFiles';
import { crateConfigOf, paramsOf } from './checkpointParams';
import { ExportError } from './exportError';
import type { MemoryBank } from './memoryExport';

export interface ExportSource {
  runId: string;
  runDir: string;
  preset: string;
  config: CrateConfig;
  enc: ParamMap;
  dec: ParamMap;
  classifier: SubspaceModel;
  memory: MemoryBank;
  /** per-class statistics of the memory (mean, basis, singular values when the class was learned) */
  memoryStats: SubspaceModel;
  /** span of the encoder head's inputs of the learned classes (recipe nullSpaceEnergy), when the run kept one */
  activations: ActivationBasis | null;
  classNames: string[];
  /** small JSON summary of the training (metadata_props, model.json) */
  summary: Record<string, unknown>;
  /** images for the parity check: the run's test split when its data can be loaded, else seeded uniform noise */
  parityInputs(count: number): Promise<{ x: Float32Array; n: number; source: string }>;
  dispose(): void;
}

const DEFAULT_RANK = 15; // i-CTRL PCACOMP, as the engine recipe

export async function loadRunSource(runsRoot: string, runId: string): Promise<ExportSource> {
  if (!isValidRunId(runId)) throw new ExportError('bad-request', `'${runId}' is not a valid run id`);
  const runDir = runDirOf(runsRoot, runId);
  if (!fs.existsSync(runDir)) {
    throw new ExportError('not-found', `run '${runId}' not found in ${runsRoot}`, 'List runs with `npm run lab -- runs`.');
  }
  const run = readRunJson(runDir);
  if (!run) throw new ExportError('bad-data', `run '${runId}': ${runDir}/run.json is missing or corrupt`);
  const status = readStatus(runDir)?.status ?? 'created';
  if (status !== 'finished') {
    throw new ExportError('conflict', `run '${runId}' is ${status}, not finished: only a finished run can be exported`, 'Wait for it to finish, or resume it.');
  }
  const ck = readLatestCheckpoint(runDir);
  if (!ck) throw new ExportError('bad-data', `run '${runId}': no valid checkpoint in ${runDir}/checkpoints (missing or corrupt)`);
  const where = `${ck.dir}`;
  const config = crateConfigOf(run, ck.payload.state, where);
  const tensors = ck.payload.tensors;
  const memory = memoryOf(tensors, config.featureDim, where);
  const memoryStats = memoryStatsOf(tensors, config.featureDim, where);
  const classNames = run.data.classNames;
  const recipe = (run.config.recipe ?? {}) as { subspaceRank?: number };
  const classifier = classifierOf(tensors, memory, config.featureDim, recipe.subspaceRank ?? DEFAULT_RANK, where);
  const knowledge = readKnowledge(runDir);
  const enc = paramsOf(tensors, 'enc/', where);
  const dec = paramsOf(tensors, 'dec/', where);
  return {
    runId,
    runDir,
    preset: run.request.preset,
    config,
    enc,
    dec,
    classifier,
    memory,
    memoryStats,
    activations: activationsOf(tensors),
    classNames,
    summary: summaryOf(run, knowledge, ck.payload.step),
    parityInputs: (count) => parityImages(run, config, count),
    dispose() {
      for (const v of enc.values()) v.dispose();
      for (const v of dec.values()) v.dispose();
    },
  };
}

function classesWith(t: Map<string, TensorRecord>, prefix: string, leaf: string): number[] {
  const re = new RegExp(`^${prefix}/(\\d+)/${leaf}$`);
  return [...t.keys()]
    .map((k) => re.exec(k)?.[1])
    .filter((c): c is string => c !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function memoryOf(t: Map<string, TensorRecord>, F: number, where: string): MemoryBank {
  const classes = classesWith(t, 'mem', 'z');
  if (classes.length === 0) throw new ExportError('bad-data', `checkpoint ${where} holds no memory ('mem/<class>/z')`);
  const parts = classes.map((c) => t.get(`mem/${c}/z`)!);
  const m = parts.reduce((a, p) => a + p.shape[0], 0);
  const features = new Float32Array(m * F);
  const labels = new Int32Array(m);
  let at = 0;
  classes.forEach((c, i) => {
    const p = parts[i];
    if (p.shape[1] !== F) throw new ExportError('bad-data', `checkpoint ${where}: mem/${c}/z has width ${p.shape[1]}, expected ${F}`);
    features.set(p.data as Float32Array, at * F);
    labels.fill(c, at, at + p.shape[0]);
    at += p.shape[0];
  });
  return { features, labels };
}

function activationsOf(t: Map<string, TensorRecord>): ExportSource['activations'] {
  const a = t.get('mem/activations');
  return a ? { U: a.data as Float32Array, dim: a.shape[0], k: a.shape[1] } : null;
}

function memoryStatsOf(t: Map<string, TensorRecord>, F: number, where: string): SubspaceModel {
  return subspaceFromTensors(t, 'mem', classesWith(t, 'mem', 'z'), F, where);
}

/** <prefix>/<class>/{mean,basis,sigma} tensors as a SubspaceModel; narrower bases are zero-padded to one width r. */
function subspaceFromTensors(t: Map<string, TensorRecord>, prefix: string, classes: number[], F: number, where: string): SubspaceModel {
  const get = (name: string) => {
    const r = t.get(name);
    if (!r) throw new ExportError('bad-data', `checkpoint ${where}: ${name} is missing`);
    return r.data as Float32Array;
  };
  const raw = classes.map((c) => get(`${prefix}/${c}/basis`));
  for (const [j, b] of raw.entries()) {
    if (b.length % F !== 0) throw new ExportError('bad-data', `checkpoint ${where}: ${prefix}/${classes[j]}/basis has ${b.length} values, not a multiple of F=${F}`);
  }
  const r = Math.max(1, ...raw.map((b) => b.length / F));
  const bases = raw.map((b) => {
    const rj = b.length / F;
    if (rj === r) return b;
    const out = new Float32Array(F * r);
    for (let f = 0; f < F; f++) for (let c = 0; c < rj; c++) out[f * r + c] = b[f * rj + c];
    return out;
  });
  const sigma = classes.map((c) => {
    const s = get(`${prefix}/${c}/sigma`);
    const out = new Float32Array(r);
    out.set(s.subarray(0, r));
    return out;
  });
  return { classes, means: classes.map((c) => get(`${prefix}/${c}/mean`)), bases, sigma, r, featureDim: F };
}

function classifierOf(t: Map<string, TensorRecord>, mem: MemoryBank, F: number, rank: number, where: string): SubspaceModel {
  const stored = classesWith(t, 'cls', 'basis');
  if (stored.length > 0) return subspaceFromTensors(t, 'cls', stored, F, where);
  const classes = [...new Set(mem.labels)].sort((a, b) => a - b);
  const n = mem.labels.length;
  let minRows = Infinity;
  for (const c of classes) minRows = Math.min(minRows, mem.labels.filter((l) => l === c).length);
  return fitNearestSubspace(mem.features, n, F, mem.labels, classes, Math.max(1, Math.min(rank, minRows - 1, F)));
}

function summaryOf(run: RunJson, knowledge: KnowledgeRecord[], step: number): Record<string, unknown> {
  const tasks = knowledge.filter((k): k is TaskRecord => k.kind === 'task');
  const last = tasks[tasks.length - 1];
  return {
    runId: run.id,
    name: run.name,
    createdAt: run.createdAt,
    data: run.data.spec,
    conversion: run.data.conversion,
    backend: run.backend,
    seed: run.seed,
    steps: step,
    tasks: tasks.length,
    classesSeen: last ? last.seen.length : 0,
    accuracyMemory: last ? last.accAllMemory : null,
    accuracyPaper: last ? last.accAllPaper : null,
    avgIncrementalMemory: last ? last.avgIncrementalMemory : null,
    recipe: run.config.recipe ?? null,
  };
}

/** `count` test images spread evenly over the run's test split; seeded noise in [-1, 1] if the data is gone. */
async function parityImages(run: RunJson, cfg: CrateConfig, count: number): Promise<{ x: Float32Array; n: number; source: string }> {
  const size = cfg.imageShape[0] * cfg.imageShape[1] * cfg.imageShape[2];
  try {
    const { loadDataset } = await import('../data/dataset');
    const seed = typeof run.config.dataSplitSeed === 'number' ? run.config.dataSplitSeed : undefined;
    const ds = await loadDataset(run.data.spec, { shape: [...cfg.imageShape] as [number, number, number], seed });
    if (ds.test.n > 0) {
      const n = Math.min(count, ds.test.n);
      const x = new Float32Array(n * size);
      for (let i = 0; i < n; i++) {
        const src = Math.floor((i * ds.test.n) / n);
        x.set(ds.test.x.subarray(src * size, (src + 1) * size), i * size);
      }
      return { x, n, source: `test split of ${run.data.spec}` };
    }
  } catch {
    // the data moved or is unreadable: the check still runs, on noise
  }
  return { x: noiseImages(count, size, 1234), n: count, source: 'seeded uniform noise in [-1, 1] (run data unavailable)' };
}

export function noiseImages(n: number, size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    x[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return x;
}
