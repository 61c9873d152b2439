// The lab's classifier (one subspace per class: mean, principal basis, σ) as checkpoint tensors 'cls/<class>/…': the
// runner writes them with every checkpoint and `train --from` reads them back (export checks them itself: export/runSource.ts).
import type { TensorRecord } from '../store/checkpoints';
import type { SubspaceModel } from './subspaceAdapter';

export function classifierToTensors(cls: SubspaceModel, tensors: Map<string, TensorRecord>): void {
  const F = cls.featureDim;
  cls.classes.forEach((c, i) => {
    const b = cls.bases[i];
    tensors.set(`cls/${c}/mean`, { shape: [F], dtype: 'float32', data: cls.means[i] });
    tensors.set(`cls/${c}/basis`, { shape: [F, b.length / F], dtype: 'float32', data: b });
    tensors.set(`cls/${c}/sigma`, { shape: [cls.sigma[i].length], dtype: 'float32', data: cls.sigma[i] });
  });
}

/** The classifier stored in checkpoint tensors (null: the checkpoint has none). */
export function classifierFromTensors(t: Map<string, TensorRecord>, F: number): SubspaceModel | null {
  const classes = [...t.keys()]
    .map((k) => /^cls\/(\d+)\/mean$/.exec(k)?.[1])
    .filter((c): c is string => c !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (!classes.length) return null;
  return {
    classes,
    means: classes.map((c) => t.get(`cls/${c}/mean`)!.data as Float32Array),
    bases: classes.map((c) => t.get(`cls/${c}/basis`)!.data as Float32Array),
    sigma: classes.map((c) => t.get(`cls/${c}/sigma`)!.data as Float32Array),
    r: Math.max(...classes.map((c) => t.get(`cls/${c}/basis`)!.shape[1])),
    featureDim: F,
  };
}
