// Evaluation after a task: nearest-subspace accuracy on the test split of every seen class, fitted two ways.
//
//  - from memory (the lab's own classifier; the honest protocol for a lab that keeps no old images): new classes from
//    their own training features, old classes from the structured memory. Two variants are computed:
//      'stored'   — the memory vectors Z_mem as sampled when the class was learned;
//      'replayed' — the memory passed through the current loop, f(g(Z_mem)).
//    accMemory is the stored variant: it is exactly what the lab keeps and what the exported classifier uses, and it
//    does not depend on the decoder's quality; the replayed figure is recorded beside it.
//  - paper protocol: refit on the training images of every seen class (as the i-CTRL code does), for comparison with
//    published numbers only. The images come from the dataset (evaluation data), never from the learner's state.
import type { TaskRecord } from '../../preload/api';
import { fitNearestSubspace, predictNearestSubspace, type SubspaceModel } from './subspaceAdapter';
import type { LoopModel } from './loopModel';
import type { MemoryBank } from './memoryBank';
import { codingRateHost, maxPrincipalCosine, meanRow, rankFromSigma, rowsOf } from './subspaceMetrics';

export interface LabeledImages {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export type MemoryProtocol = 'stored' | 'replayed';
export const MEMORY_PROTOCOL: MemoryProtocol = 'stored';

export interface EvalResult {
  record: Omit<TaskRecord, 'kind' | 'task' | 'classes' | 'memoryBytes' | 'elapsed' | 'layerCompression' | 'layerSparsity' | 'baselines'>;
  accAllReplayed: number;
  accReplayed: number[];
  /** the memory-protocol classifier (for snapshots and export) */
  classifier: SubspaceModel;
  zTest: Float32Array;
  yTest: Int32Array;
}

/** Per-class accuracy (aligned with `classes`) and overall accuracy. */
export function accuracyOf(m: SubspaceModel, z: Float32Array, y: Int32Array, n: number, classes: number[]): { per: number[]; all: number } {
  const { pred } = predictNearestSubspace(m, z, n);
  const hit = new Map<number, number>();
  const tot = new Map<number, number>();
  let ok = 0;
  for (let i = 0; i < n; i++) {
    tot.set(y[i], (tot.get(y[i]) ?? 0) + 1);
    if (pred[i] === y[i]) {
      hit.set(y[i], (hit.get(y[i]) ?? 0) + 1);
      ok++;
    }
  }
  return { per: classes.map((c) => (tot.get(c) ? (hit.get(c) ?? 0) / tot.get(c)! : 0)), all: n ? ok / n : 0 };
}

export function concatRows(parts: { z: Float32Array; y: Int32Array }[], F: number): { z: Float32Array; y: Int32Array; n: number } {
  const n = parts.reduce((a, p) => a + p.y.length, 0);
  const z = new Float32Array(n * F);
  const y = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    z.set(p.z, at * F);
    y.set(p.y, at);
    at += p.y.length;
  }
  return { z, y, n };
}

export interface EvalArgs {
  model: LoopModel;
  seen: number[];
  newClasses: number[];
  /** test images of the seen classes (global labels) */
  test: LabeledImages;
  /** features of the task's new-class training images and their labels */
  zNew: Float32Array;
  yNew: Int32Array;
  /** training images of every seen class (paper protocol) */
  paperTrain: LabeledImages;
  memory: MemoryBank;
  rank: number;
  eps2: number;
  previous: TaskRecord[];
}

export async function evaluateTask(a: EvalArgs): Promise<EvalResult> {
  const F = a.model.featureDim;
  const old = a.seen.filter((c) => !a.newClasses.includes(c));
  const zTest = await a.model.encode(a.test.x, a.test.n);

  // 1. from memory, stored vectors
  const mem = a.memory.rows(old);
  const stored = concatRows([{ z: mem.z, y: mem.labels }, { z: a.zNew, y: a.yNew }], F);
  const clsStored = fitNearestSubspace(stored.z, stored.n, F, stored.y, a.seen, a.rank);
  const accStored = accuracyOf(clsStored, zTest, a.test.y, a.test.n, a.seen);

  // 2. from memory, replayed through the current loop f(g(Z_mem))
  let accReplayed = accStored;
  if (mem.m > 0) {
    const zr = await a.model.encode(await a.model.decode(mem.z, mem.m), mem.m);
    const replayed = concatRows([{ z: zr, y: mem.labels }, { z: a.zNew, y: a.yNew }], F);
    accReplayed = accuracyOf(fitNearestSubspace(replayed.z, replayed.n, F, replayed.y, a.seen, a.rank), zTest, a.test.y, a.test.n, a.seen);
  }

  // 3. paper protocol
  const zTrain = await a.model.encode(a.paperTrain.x, a.paperTrain.n);
  const clsPaper = fitNearestSubspace(zTrain, a.paperTrain.n, F, a.paperTrain.y, a.seen, a.rank);
  const accPaper = accuracyOf(clsPaper, zTest, a.test.y, a.test.n, a.seen);

  // 4. knowledge metrics on the test features of each seen class
  const rank: number[] = [];
  const codingRate: number[] = [];
  const drift: number[] = [];
  for (const c of a.seen) {
    const rows = rowsOf(zTest, a.test.y, F, c);
    // rank needs the spectrum beyond the classifier's r: up to 64 components
    const sub = fitNearestSubspace(rows.z, rows.n, F, new Int32Array(rows.n).fill(c), [c], Math.min(64, F, Math.max(1, rows.n - 1)));
    rank.push(rankFromSigma(sub.sigma[0]));
    codingRate.push(codingRateHost(rows.z, rows.n, F, a.eps2));
    if (old.includes(c)) {
      const mm = a.memory.classes.get(c)!;
      const cur = meanRow(rows.z, rows.n, F);
      let d = 0;
      for (let f = 0; f < F; f++) d += (cur[f] - mm.mean[f]) ** 2;
      drift.push(Math.sqrt(d));
    }
  }
  const k = a.seen.length;
  const subspaceCos: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) {
      const v = i === j ? 1 : maxPrincipalCosine(clsStored.bases[i], clsStored.bases[i].length / F, clsStored.bases[j], clsStored.bases[j].length / F, F);
      subspaceCos[i][j] = subspaceCos[j][i] = v;
    }

  const forgetting = a.seen.map((c, i) => {
    let best = -Infinity;
    for (const p of a.previous) {
      const j = p.seen.indexOf(c);
      if (j >= 0) best = Math.max(best, p.accMemory[j]);
    }
    return best === -Infinity ? 0 : Math.max(0, best - accStored.per[i]);
  });
  const hist = (f: (r: TaskRecord) => number, now: number) => (a.previous.reduce((s, r) => s + f(r), 0) + now) / (a.previous.length + 1);

  return {
    record: {
      seen: [...a.seen],
      accMemory: accStored.per,
      accPaper: accPaper.per,
      accAllMemory: accStored.all,
      accAllPaper: accPaper.all,
      avgIncrementalMemory: hist((r) => r.accAllMemory, accStored.all),
      avgIncrementalPaper: hist((r) => r.accAllPaper, accPaper.all),
      forgetting,
      drift,
      rank,
      codingRate,
      subspaceCos,
    },
    accAllReplayed: accReplayed.all,
    accReplayed: accReplayed.per,
    classifier: clsStored,
    zTest,
    yTest: a.test.y,
  };
}
