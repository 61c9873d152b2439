/**
 * The structured memory as files a researcher can open anywhere: memory.json (schema, class names, shapes, file names)
 * plus NumPy arrays. Per class j (CRATE_SPEC §5.2): mean μ_j (F), basis U_j (F, r) with orthonormal columns and singular
 * values σ_j (r) of the class's features when it was learned, and the sampled memory features (i-CTRL's replay set) with
 * their labels. The lab's nearest-subspace classifier (the head of classifier.onnx) is stored beside it.
 *
 *   means.npy             (k, F)     float32   memory statistics, row j = class classes[j]
 *   bases.npy             (k, F, r)  float32   classes with fewer columns are zero-padded (projection unchanged)
 *   sigma.npy             (k, r)     float32   zero-padded likewise
 *   classes.npy           (k)        int32     class index of row j (into classNames)
 *   features.npy          (M, F)     float32   memory features, unit rows
 *   labels.npy            (M)        int32     class index of each memory row
 *   classifier_means.npy  (k', F)    float32   the classifier's μ_j   (k' = classifier classes)
 *   classifier_bases.npy  (k', F, r') float32  the classifier's U_j
 *   classifier_sigma.npy  (k', r')   float32
 *   classifier_classes.npy (k')      int32
 *   activations.npy       (D, K)     float32   runs with null-space learning only: basis of the head inputs of the learned classes
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeNpy, encodeNpy, type NpyArray } from './npy';
import type { ActivationBasis } from '../../models/training/nullSpace';
import { stackHead, type SubspaceHead } from './onnx/subspaceHead';

export const MEMORY_SCHEMA_VERSION = 1;

export interface MemoryClassifier extends SubspaceHead {
  sigma: Float32Array[];
  r: number;
}

export interface MemoryBank {
  features: Float32Array; // (M, F)
  labels: Int32Array; // (M)
}

export interface MemoryExportData {
  classNames: string[];
  /** per-class statistics of the memory (mem/<class>/mean|basis|sigma) */
  stats: MemoryClassifier;
  /** the lab's nearest-subspace classifier */
  classifier: MemoryClassifier;
  memory: MemoryBank;
  /** (dim, k) span of the encoder head's inputs of the learned classes (null-space learning), when the run kept one */
  activations?: ActivationBasis | null;
  runId?: string;
  preset?: string;
}

type GroupKey = 'means' | 'bases' | 'sigma' | 'classes';
type ArrayKey = GroupKey | `classifier_${GroupKey}` | 'features' | 'labels' | 'activations';

interface ArrayEntry {
  file: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  description: string;
}

export interface MemoryJson {
  schemaVersion: number;
  kind: 'crate-lab.memory';
  createdAt: string;
  runId: string | null;
  preset: string | null;
  featureDim: number;
  rank: number;
  classNames: string[];
  classes: { index: number; name: string; memoryRows: number }[];
  arrays: Record<Exclude<ArrayKey, 'activations'>, ArrayEntry> & { activations?: ArrayEntry };
  classifierRank: number;
  residual: string;
}

function groupArrays(head: MemoryClassifier, prefix: '' | 'classifier_', what: string): [ArrayKey, NpyArray, string][] {
  const F = head.featureDim;
  const { k, r, means, bases } = stackHead(head);
  const sigma = new Float32Array(k * r);
  head.sigma.forEach((s, j) => sigma.set(s.subarray(0, r), j * r));
  return [
    [`${prefix}means`, { dtype: '<f4', shape: [k, F], data: means }, `${what}: per-class mean μ_j`],
    [`${prefix}bases`, { dtype: '<f4', shape: [k, F, r], data: bases }, `${what}: per-class orthonormal basis U_j, columns = principal directions (zero-padded)`],
    [`${prefix}sigma`, { dtype: '<f4', shape: [k, r], data: sigma }, `${what}: per-class singular values of the centred features (zero-padded)`],
    [`${prefix}classes`, { dtype: '<i4', shape: [k], data: Int32Array.from(head.classes) }, `${what}: class index of row j`],
  ];
}

/** Write memory.json and the .npy files into `dir`; returns the file names written (relative to dir). */
export function writeMemoryExport(dir: string, data: MemoryExportData): string[] {
  const { stats, classifier, memory, classNames } = data;
  const F = stats.featureDim;
  if (classifier.featureDim !== F) throw new Error(`memory: classifier feature dim ${classifier.featureDim} ≠ memory's ${F}`);
  const M = memory.labels.length;
  if (memory.features.length !== M * F) {
    throw new Error(`memory: ${memory.features.length} feature values for ${M} labels of dimension ${F}`);
  }
  const arrays: [ArrayKey, NpyArray, string][] = [
    ...groupArrays(stats, '', 'memory statistics'),
    ['features', { dtype: '<f4', shape: [M, F], data: memory.features }, 'sampled memory features (unit rows)'],
    ['labels', { dtype: '<i4', shape: [M], data: memory.labels }, 'class index of each memory feature'],
    ...groupArrays(classifier, 'classifier_', 'nearest-subspace classifier'),
  ];
  const act = data.activations;
  if (act && act.k > 0) {
    arrays.push(['activations', { dtype: '<f4', shape: [act.dim, act.k], data: act.U }, 'orthonormal basis of the encoder head inputs of the learned classes (columns); later tasks learn in its null space']);
  }
  const entries = {} as MemoryJson['arrays'];
  const files: string[] = [];
  for (const [key, arr, description] of arrays) {
    const file = `${key}.npy`;
    fs.writeFileSync(path.join(dir, file), encodeNpy(arr));
    entries[key] = { file, dtype: arr.dtype === '<f4' ? 'float32' : 'int32', shape: arr.shape, description };
    files.push(file);
  }
  const counts = new Map<number, number>();
  for (const l of memory.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const json: MemoryJson = {
    schemaVersion: MEMORY_SCHEMA_VERSION,
    kind: 'crate-lab.memory',
    createdAt: new Date().toISOString(),
    runId: data.runId ?? null,
    preset: data.preset ?? null,
    featureDim: F,
    rank: entries.bases.shape[2],
    classifierRank: entries.classifier_bases.shape[2],
    classNames,
    classes: stats.classes.map((c) => ({ index: c, name: classNames[c] ?? `class ${c}`, memoryRows: counts.get(c) ?? 0 })),
    arrays: entries,
    residual: 'residual_j(z) = ‖(z − μ_j) − U_j·U_jᵀ·(z − μ_j)‖₂; predicted class = classes[argmin_j residual_j]',
  };
  fs.writeFileSync(path.join(dir, 'memory.json'), JSON.stringify(json, null, 2) + '\n');
  return ['memory.json', ...files];
}

/** Read a memory export back (loadExport, tests); every problem names the file. */
export function readMemoryExport(dir: string): MemoryExportData & { json: MemoryJson } {
  const jsonFile = path.join(dir, 'memory.json');
  let json: MemoryJson;
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as MemoryJson;
  } catch (e) {
    throw new Error(`${jsonFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not valid JSON'}`);
  }
  if (json.kind !== 'crate-lab.memory' || json.schemaVersion !== MEMORY_SCHEMA_VERSION) {
    throw new Error(`${jsonFile}: not a crate-lab memory file of schema version ${MEMORY_SCHEMA_VERSION} (got ${json.kind} v${json.schemaVersion})`);
  }
  const load = (key: ArrayKey): NpyArray => {
    const e = json.arrays?.[key];
    if (!e) throw new Error(`${jsonFile}: no entry for array '${key}'`);
    const file = path.join(dir, path.basename(e.file));
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      throw new Error(`${file}: missing`);
    }
    const arr = decodeNpy(bytes, file);
    if (arr.shape.join(',') !== e.shape.join(',')) {
      throw new Error(`${file}: shape [${arr.shape.join(', ')}], memory.json says [${e.shape.join(', ')}]`);
    }
    return arr;
  };
  const F = json.featureDim;
  const group = (prefix: '' | 'classifier_'): MemoryClassifier => {
    const means = load(`${prefix}means`);
    const bases = load(`${prefix}bases`);
    const sigma = load(`${prefix}sigma`);
    const classes = load(`${prefix}classes`);
    const [k, f, r] = bases.shape;
    if (means.dtype !== '<f4' || bases.dtype !== '<f4' || sigma.dtype !== '<f4' || classes.dtype !== '<i4') {
      throw new Error(`${jsonFile}: ${prefix}means/bases/sigma must be float32 and ${prefix}classes int32`);
    }
    if (f !== F || means.shape[0] !== k || means.shape[1] !== F || classes.shape[0] !== k || sigma.shape[0] !== k) {
      throw new Error(`${jsonFile}: ${prefix}arrays disagree in shape (k=${k}, F=${f}, featureDim=${F})`);
    }
    return {
      classes: Array.from(classes.data),
      featureDim: F,
      r,
      means: Array.from({ length: k }, (_, j) => means.data.slice(j * F, (j + 1) * F) as Float32Array),
      bases: Array.from({ length: k }, (_, j) => bases.data.slice(j * F * r, (j + 1) * F * r) as Float32Array),
      sigma: Array.from({ length: k }, (_, j) => sigma.data.slice(j * r, (j + 1) * r) as Float32Array),
    };
  };
  const features = load('features');
  const labels = load('labels');
  if (features.dtype !== '<f4' || labels.dtype !== '<i4' || features.shape[1] !== F || features.shape[0] !== labels.shape[0]) {
    throw new Error(`${jsonFile}: features must be float32 (M, ${F}) and labels int32 (M)`);
  }
  let activations: MemoryExportData['activations'] = null;
  if (json.arrays.activations) {
    const a = load('activations');
    if (a.dtype !== '<f4' || a.shape.length !== 2) throw new Error(`${jsonFile}: activations must be a float32 (dim, k) matrix`);
    activations = { U: a.data as Float32Array, dim: a.shape[0], k: a.shape[1] };
  }
  return {
    json,
    activations,
    classNames: json.classNames,
    stats: group(''),
    classifier: group('classifier_'),
    memory: { features: features.data as Float32Array, labels: labels.data as Int32Array },
    runId: json.runId ?? undefined,
    preset: json.preset ?? undefined,
  };
}
