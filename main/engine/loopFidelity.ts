// Loop fidelity: does the closed loop close? After every task, for every seen class, three measurements of what the
// decoder draws and whether the encoder recognises it (issue 14):
//
//   reconstruction    test images x → x̂ = g(f(x)) → f(x̂), classified by the lab's classifier; fraction = label.
//   decodedMemory     samples z of each class's structured memory → f(g(z)), classified the same way; fraction = class.
//                     This is what replaying memory through the loop can hold: an old class whose decoded memory is
//                     not recognised cannot follow an encoder that moves.
//   decodedMemoryPixel the same decoded images g(z) judged by nearest subspace on raw pixels, fitted on the training
//                     images of the seen classes: an independent judge that they look like their class (a decoder
//                     can learn to fool the encoder, f(g(z)) ≈ z, with images no person reads as the class).
//
// The judge's pixel fits are evaluation data (like the paper protocol's refits), never part of the learner's state.
import type { LabeledImages } from './evaluate';
import { accuracyOf } from './evaluate';
import type { SubspaceModel } from './subspaceAdapter';
import type { LoopFidelity } from '../../preload/api';

export type { LoopFidelity };


export interface LoopFidelityArgs {
  encode: (x: Float32Array, n: number) => Promise<Float32Array>;
  decode: (z: Float32Array, n: number) => Promise<Float32Array>;
  seen: number[];
  /** test images of the seen classes, global labels; `zTest` = f(test.x) when the caller has it already */
  test: LabeledImages;
  zTest?: Float32Array;
  /** the lab's classifier over `seen` (feature space) */
  classifier: SubspaceModel;
  /** memory samples of the seen classes: (m, F) rows and their global labels */
  memory: { z: Float32Array; labels: Int32Array; m: number };
  /** nearest subspace on raw pixels over the seen classes with training images (the independent judge; null: none) */
  pixelJudge: SubspaceModel | null;
}

export async function measureLoopFidelity(a: LoopFidelityArgs): Promise<LoopFidelity> {
  const zTest = a.zTest ?? (await a.encode(a.test.x, a.test.n));
  // x → g(f(x)) → f(·)
  const zRec = await a.encode(await a.decode(zTest, a.test.n), a.test.n);
  const rec = accuracyOf(a.classifier, zRec, a.test.y, a.test.n, a.seen);
  // z_mem → g(z_mem) → f(·), and g(z_mem) by the pixel judge
  const m = a.memory.m;
  const xMem = m ? await a.decode(a.memory.z, m) : new Float32Array(0);
  const dec = m ? accuracyOf(a.classifier, await a.encode(xMem, m), a.memory.labels, m, a.seen) : { per: a.seen.map(() => 0), all: 0 };
  const pix = m && a.pixelJudge ? accuracyOf(a.pixelJudge, xMem, a.memory.labels, m, a.seen) : { per: a.seen.map(() => 0), all: 0 };
  return {
    reconstruction: rec.per,
    decodedMemory: dec.per,
    decodedMemoryPixel: pix.per,
    reconstructionAll: rec.all,
    decodedMemoryAll: dec.all,
    decodedMemoryPixelAll: pix.all,
  };
}
