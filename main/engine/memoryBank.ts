// The structured memory of every finished class (SPEC §5.2): sampled feature vectors Z_mem plus the class's mean,
// principal basis and singular values. Only features live here (width F), never images.
import { sampleStructuredMemory } from './subspaceAdapter';
import { fitNearestSubspace, type SubspaceModel } from './subspaceAdapter';
import type { TensorRecord } from '../store/checkpoints';
import { mapRows, mapSubspace, type DriftMap } from './driftMap';
import { extendActivationBasis, type ActivationBasis } from '../../models/training/nullSpace';

export interface ClassMemory {
  cls: number;
  /** (m, F) sampled memory vectors */
  z: Float32Array;
  m: number;
  /** class statistics of the features the memory was drawn from */
  mean: Float32Array; // (F)
  basis: Float32Array; // (F, r) row-major
  sigma: Float32Array; // (r)
  r: number;
  /** nearest-subspace fit of the vectors z, cached until drift compensation moves them */
  vecFit?: SubspaceModel;
}

export interface MemoryOptions {
  directions: number;
  explore: number;
  perDirection: number;
  rank: number;
}

export class MemoryBank {
  readonly classes = new Map<number, ClassMemory>();
  /** span of the encoder head's inputs of every class learned so far (recipe nullSpaceEnergy; null when off) */
  activations: ActivationBasis | null = null;
  constructor(readonly featureDim: number) {}

  /** Add the directions of a task's head inputs a (n, dim) that the activation basis lacks (energy: fraction kept). */
  extendActivations(a: Float32Array, n: number, dim: number, energy: number): ActivationBasis {
    this.activations = extendActivationBasis(this.activations, a, n, dim, energy);
    return this.activations;
  }

  /** Distil one class from its features (n, F) and append it (replaces an existing entry: a review round). */
  addClass(cls: number, features: Float32Array, n: number, o: MemoryOptions, seed: number): ClassMemory {
    const F = this.featureDim;
    if (features.length !== n * F) throw new Error(`memory: class ${cls} features hold ${features.length} values, expected ${n}×${F}`);
    if (n < 2) throw new Error(`memory: class ${cls} has ${n} training sample(s); at least 2 are needed`);
    const z = sampleStructuredMemory(features, n, F, {
      directions: Math.min(o.directions, n, F),
      explore: Math.min(o.explore, n),
      perDirection: o.perDirection,
      seed,
    });
    const r = Math.min(o.rank, n - 1, F);
    const sub = fitNearestSubspace(features, n, F, new Int32Array(n).fill(cls), [cls], r);
    const entry: ClassMemory = {
      cls,
      z,
      m: z.length / F,
      mean: Float32Array.from(sub.means[0]),
      basis: Float32Array.from(sub.bases[0]),
      sigma: Float32Array.from(sub.sigma[0]),
      r: sub.bases[0].length / F,
    };
    this.classes.set(cls, entry);
    return entry;
  }

  /** Translate a class's stored mean and vectors by delta (F): drift compensation (recipe driftCompensation). */
  shift(cls: number, delta: Float32Array): void {
    const e = this.classes.get(cls);
    if (!e) throw new Error(`memory: no class ${cls}`);
    const F = this.featureDim;
    e.mean = Float32Array.from(e.mean, (v, i) => v + delta[i]);
    e.z = Float32Array.from(e.z, (v, i) => v + delta[i % F]);
    e.vecFit = undefined;
  }

  /** Move a class's mean, vectors and principal directions by an affine drift map (recipe driftCompensation 3). */
  transform(cls: number, map: DriftMap): void {
    const e = this.classes.get(cls);
    if (!e) throw new Error(`memory: no class ${cls}`);
    e.mean = mapRows(map, e.mean, 1);
    e.z = mapRows(map, e.z, e.m);
    const moved = mapSubspace(map, e.basis, e.sigma, e.r);
    e.basis = moved.basis;
    e.sigma = moved.sigma.slice(0, e.sigma.length);
    e.vecFit = undefined;
  }

  /** The class's subspace fitted on its stored vectors (rank r), cached. */
  vectorFit(cls: number, r: number): SubspaceModel {
    const e = this.classes.get(cls);
    if (!e) throw new Error(`memory: no class ${cls}`);
    if (!e.vecFit || e.vecFit.r !== Math.min(r, this.featureDim))
      e.vecFit = fitNearestSubspace(e.z, e.m, this.featureDim, new Int32Array(e.m).fill(cls), [cls], Math.min(r, this.featureDim));
    return e.vecFit;
  }

  /** The class's subspace as stored with the memory: mean, basis and σ of its real features when it was learned. */
  statisticsFit(cls: number): SubspaceModel {
    const e = this.classes.get(cls);
    if (!e) throw new Error(`memory: no class ${cls}`);
    return { classes: [cls], means: [e.mean], bases: [e.basis], sigma: [e.sigma], r: e.r, featureDim: this.featureDim };
  }

  /** Memory rows of the given classes (default all), stacked: z (m, F) and global class labels. */
  rows(classes?: number[]): { z: Float32Array; labels: Int32Array; m: number } {
    const list = (classes ?? [...this.classes.keys()]).map((c) => this.classes.get(c)).filter((e): e is ClassMemory => !!e);
    const m = list.reduce((a, e) => a + e.m, 0);
    const z = new Float32Array(m * this.featureDim);
    const labels = new Int32Array(m);
    let at = 0;
    for (const e of list) {
      z.set(e.z, at * this.featureDim);
      labels.fill(e.cls, at, at + e.m);
      at += e.m;
    }
    return { z, labels, m };
  }

  /** Bytes of what the lab keeps for its old classes (vectors, labels and statistics, float32/int32). */
  bytes(): number {
    let b = 0;
    for (const e of this.classes.values()) b += (e.z.length + e.mean.length + e.basis.length + e.sigma.length) * 4 + e.m * 4;
    if (this.activations) b += this.activations.U.length * 4;
    return b;
  }

  toTensors(prefix: string): Map<string, TensorRecord> {
    const out = new Map<string, TensorRecord>();
    const F = this.featureDim;
    for (const e of this.classes.values()) {
      const p = `${prefix}/${e.cls}`;
      out.set(`${p}/z`, { shape: [e.m, F], dtype: 'float32', data: e.z });
      out.set(`${p}/mean`, { shape: [F], dtype: 'float32', data: e.mean });
      out.set(`${p}/basis`, { shape: [F, e.r], dtype: 'float32', data: e.basis });
      out.set(`${p}/sigma`, { shape: [e.sigma.length], dtype: 'float32', data: e.sigma });
    }
    const a = this.activations;
    if (a && a.k > 0) out.set(`${prefix}/activations`, { shape: [a.dim, a.k], dtype: 'float32', data: a.U });
    return out;
  }

  static fromTensors(prefix: string, featureDim: number, t: Map<string, TensorRecord>, classOrder: number[]): MemoryBank {
    const bank = new MemoryBank(featureDim);
    for (const cls of classOrder) {
      const p = `${prefix}/${cls}`;
      const z = t.get(`${p}/z`);
      if (!z) continue;
      const basis = t.get(`${p}/basis`)!;
      bank.classes.set(cls, {
        cls,
        z: z.data as Float32Array,
        m: z.shape[0],
        mean: t.get(`${p}/mean`)!.data as Float32Array,
        basis: basis.data as Float32Array,
        sigma: t.get(`${p}/sigma`)!.data as Float32Array,
        r: basis.shape[1],
      });
    }
    const a = t.get(`${prefix}/activations`);
    if (a) bank.activations = { U: a.data as Float32Array, dim: a.shape[0], k: a.shape[1] };
    return bank;
  }
}
