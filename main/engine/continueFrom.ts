// Continuing from an earlier use of the lab (`train --from`): the starting point of a new run — both networks, the
// structured memory and the classifier of the classes already known — read from a finished run or an export folder,
// and the new dataset's classes matched against the known ones by name.
//
// Class indices of the new run: the source's class list first, unchanged (so the memory and classifier keep their
// indices), then the new data's names that the source does not have. A class the source has LEARNED (it is in the
// memory) is skipped: it is not learned again, its images in the new data serve only as evaluation data. A review
// round would retrain the encoder on it while its memory describes the old features; skipping keeps the knowledge
// exactly as it was exported and is the honest protocol for "old classes from memory".
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CrateConfig } from '../../models/crate/config';
import { headInputDim } from '../../models/crate/params';
import type { Dataset } from '../data/dataset';
import { ExportError } from '../export/exportError';
import { isExportDir, loadExport } from '../export/loadExport';
import { crateConfigOf } from '../export/checkpointParams';
import { readLatestCheckpoint, type TensorRecord } from '../store/checkpoints';
import { isValidRunId, readRunJson, readStatus, runDirOf, type RunJson } from '../store/runFiles';
import { classifierFromTensors } from './classifierTensors';
import { MemoryBank } from './memoryBank';
import type { SubspaceModel } from './subspaceAdapter';
import { UsageError } from './sessionErrors';

export interface ContinuationSource {
  kind: 'run' | 'export';
  /** absolute folder of the source */
  dir: string;
  /** the source's run id (null for an export that does not name one) */
  runId: string | null;
  preset: string;
  config: CrateConfig;
  classNames: string[];
  /** classes the source has learned (in its memory), ascending */
  known: number[];
  /** 'enc/…' and 'dec/…' weights, host copies (no optimiser state: the new run starts its own) */
  weights: Map<string, TensorRecord>;
  memory: MemoryBank;
  classifier: SubspaceModel | null;
}

/** What run.json records under `from`: the source folder and the classes known at the start (learned by the source). */
export type FromRecord = NonNullable<RunJson['from']>;

function usage(e: unknown, what: string): UsageError {
  if (e instanceof UsageError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = e instanceof ExportError && e.code === 'not-found' ? 'not-found' : e instanceof ExportError && e.code === 'conflict' ? 'conflict' : 'bad-request';
  return new UsageError(`--from ${what}: ${msg}`, code);
}

/** Resolve `from` (a run id in runsRoot, a run folder or an export folder) and read it. Throws UsageError. */
export async function loadContinuation(runsRoot: string, from: string): Promise<ContinuationSource> {
  const asDir = path.resolve(from);
  if (fs.existsSync(asDir) && fs.statSync(asDir).isDirectory()) {
    if (isExportDir(asDir)) return fromExport(asDir, from);
    if (fs.existsSync(path.join(asDir, 'run.json'))) return fromRun(asDir, from);
    throw new UsageError(`--from ${from}: ${asDir} is neither a run folder (run.json) nor an export folder (model.json + memory.json, written by \`export RUN --what all --format tfjs\`)`);
  }
  if (isValidRunId(from) && fs.existsSync(path.join(runDirOf(runsRoot, from), 'run.json'))) return fromRun(runDirOf(runsRoot, from), from);
  throw new UsageError(`--from ${from}: no such run in ${runsRoot} and no such folder`, 'not-found');
}

async function fromExport(dir: string, what: string): Promise<ContinuationSource> {
  let e: Awaited<ReturnType<typeof loadExport>>;
  try {
    e = await loadExport(dir);
  } catch (err) {
    throw usage(err, what);
  }
  const weights = new Map<string, TensorRecord>();
  try {
    for (const [name, v] of [...e.enc, ...e.dec]) weights.set(name, { shape: [...v.shape], dtype: 'float32', data: Float32Array.from(await v.data()) });
  } finally {
    for (const v of [...e.enc.values(), ...e.dec.values()]) v.dispose();
  }
  const F = e.config.featureDim;
  const memory = new MemoryBank(F);
  for (const p of e.memory.perClass) {
    if (p.cls < 0 || p.cls >= e.classNames.length || p.m < 1)
      throw new UsageError(`--from ${what}: memory class ${p.cls} (${p.m} vectors) does not fit the ${e.classNames.length} class names of ${path.join(dir, 'model.json')}`);
    memory.classes.set(p.cls, { cls: p.cls, z: p.z, m: p.m, mean: p.mean, basis: p.basis, sigma: p.sigma, r: p.r });
  }
  if (!memory.classes.size) throw new UsageError(`--from ${what}: ${path.join(dir, 'memory.json')} holds no class`);
  if (e.activations) {
    const dim = headInputDim(e.config);
    if (e.activations.dim !== dim) throw new UsageError(`--from ${what}: ${path.join(dir, 'activations.npy')} has ${e.activations.dim} rows, the encoder head takes ${dim} inputs`);
    memory.activations = e.activations;
  }
  return {
    kind: 'export', dir, runId: e.runId, preset: e.preset, config: e.config, classNames: [...e.classNames],
    known: [...memory.classes.keys()].sort((a, b) => a - b), weights, memory, classifier: e.classifier,
  };
}

async function fromRun(runDir: string, what: string): Promise<ContinuationSource> {
  const run = readRunJson(runDir);
  if (!run) throw new UsageError(`--from ${what}: ${path.join(runDir, 'run.json')} is missing or corrupt`);
  const status = readStatus(runDir)?.status ?? 'created';
  if (status !== 'finished') throw new UsageError(`--from ${what}: run '${run.id}' is ${status}, not finished; continue only from a finished run (resume it first)`, 'conflict');
  const ck = readLatestCheckpoint(runDir);
  if (!ck) throw new UsageError(`--from ${what}: no valid checkpoint in ${path.join(runDir, 'checkpoints')} (missing or corrupt)`);
  let config: CrateConfig;
  try {
    config = crateConfigOf(run, ck.payload.state, ck.dir);
  } catch (e) {
    throw usage(e, what);
  }
  const t = ck.payload.tensors;
  const weights = new Map<string, TensorRecord>();
  for (const [k, v] of t) if (k.startsWith('enc/') || k.startsWith('dec/')) weights.set(k, v);
  const classNames = run.data.classNames;
  const memory = MemoryBank.fromTensors('mem', config.featureDim, t, classNames.map((_, i) => i));
  if (!memory.classes.size) throw new UsageError(`--from ${what}: the checkpoint in ${ck.dir} holds no memory`);
  return {
    kind: 'run', dir: runDir, runId: run.id, preset: run.request.preset, config, classNames: [...classNames],
    known: [...memory.classes.keys()].sort((a, b) => a - b), weights, memory, classifier: classifierFromTensors(t, config.featureDim),
  };
}

/**
 * The new dataset re-indexed into the run's class list (source names first, new names appended) and the classes to
 * learn: `order` (class indices of the NEW dataset, default all) without the ones the source has learned.
 */
export function mergeClasses(src: Pick<ContinuationSource, 'classNames' | 'known'>, ds: Dataset, order?: number[]): { data: Dataset; toLearn: number[]; skipped: string[] } {
  const names = [...src.classNames];
  const at = new Map(names.map((n, i) => [n, i]));
  for (const n of ds.classNames) if (!at.has(n)) {
    at.set(n, names.length);
    names.push(n);
  }
  const map = Int32Array.from(ds.classNames, (n) => at.get(n)!);
  const known = new Set(src.known);
  const wanted = order ?? ds.classNames.map((_, i) => i);
  for (const c of wanted)
    if (!Number.isInteger(c) || c < 0 || c >= ds.classNames.length) throw new UsageError(`class order: ${c} is not a class index of ${ds.spec} (0..${ds.classNames.length - 1})`);
  const toLearn = wanted.map((c) => map[c]).filter((g) => !known.has(g));
  const skipped = wanted.filter((c) => known.has(map[c])).map((c) => ds.classNames[c]);
  const remap = (s: Dataset['train']) => ({ x: s.x, y: Int32Array.from(s.y, (c) => map[c]), n: s.n });
  return { data: { ...ds, classNames: names, train: remap(ds.train), test: remap(ds.test) }, toLearn, skipped };
}
