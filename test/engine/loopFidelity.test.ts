// Loop fidelity (main/engine/loopFidelity.ts) on a model whose loop is known: a linear encoder f(x) = Wx with W
// orthogonal and its exact inverse g(z) = Wᵀz read 1 on all three measurements; a random decoder reads chance.
// In a tiny run every task record carries the measurements and the CLI summary reports the last task's.
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { measureLoopFidelity } from '../../main/engine/loopFidelity';
import { MemoryBank } from '../../main/engine/memoryBank';
import { fitNearestSubspace } from '../../main/engine/subspaceAdapter';
import { EngineRng } from '../../main/engine/rng';
import { readKnowledge } from '../../main/store/runFiles';
import type { TaskRecord } from '../../preload/api';
import { tempRoot, tinyRun } from './helpers';

const D = 12; // pixels = features
const K = 4;
const root = tempRoot('loop-fidelity');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function gaussian(rng: EngineRng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** A random D×D orthogonal matrix (Gram–Schmidt on Gaussian columns), row-major. */
function orthogonal(rng: EngineRng): Float64Array {
  const Q = new Float64Array(D * D);
  for (let j = 0; j < D; j++) {
    const v = Array.from({ length: D }, () => gaussian(rng));
    for (let k = 0; k < j; k++) {
      let d = 0;
      for (let i = 0; i < D; i++) d += v[i] * Q[i * D + k];
      for (let i = 0; i < D; i++) v[i] -= d * Q[i * D + k];
    }
    const nrm = Math.hypot(...v);
    for (let i = 0; i < D; i++) Q[i * D + j] = v[i] / nrm;
  }
  return Q;
}

function apply(M: Float64Array, x: Float32Array, n: number, transpose: boolean): Float32Array {
  const out = new Float32Array(n * D);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < D; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (transpose ? M[j * D + i] : M[i * D + j]) * x[r * D + j];
      out[r * D + i] = s;
    }
  return out;
}

/** K classes, each on its own 3-dimensional block of coordinates around a distinct mean: separable by subspace. */
function classes(rng: EngineRng, perClass: number): { x: Float32Array; y: Int32Array; n: number } {
  const n = K * perClass;
  const x = new Float32Array(n * D);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    y[i] = c;
    for (let d = 0; d < 3; d++) x[i * D + c * 3 + d] = 2 + gaussian(rng);
  }
  return { x, y, n };
}

function setup(seed: number) {
  const rng = new EngineRng(seed);
  const W = orthogonal(rng);
  const train = classes(rng, 60);
  const test = classes(rng, 30);
  const encode = async (x: Float32Array, n: number) => apply(W, x, n, false);
  const seen = Array.from({ length: K }, (_, c) => c);
  const ztr = apply(W, train.x, train.n, false);
  const classifier = fitNearestSubspace(ztr, train.n, D, train.y, seen, 3);
  const pixelJudge = fitNearestSubspace(train.x, train.n, D, train.y, seen, 3);
  const memory = new MemoryBank(D);
  for (const c of seen) {
    const rows = Array.from(train.y).flatMap((v, i) => (v === c ? [i] : []));
    const z = new Float32Array(rows.length * D);
    rows.forEach((r, i) => z.set(ztr.subarray(r * D, (r + 1) * D), i * D));
    memory.addClass(c, z, rows.length, { directions: 3, explore: 20, perDirection: 10, rank: 3 }, 7 + c);
  }
  return { rng, W, train, test, encode, seen, classifier, pixelJudge, memory };
}

describe('loop fidelity', () => {
  it('reads 1 where the decoder inverts the encoder exactly', async () => {
    const s = setup(3);
    const lf = await measureLoopFidelity({
      encode: s.encode, decode: async (z, n) => apply(s.W, z, n, true), seen: s.seen, test: s.test,
      classifier: s.classifier, memory: s.memory.rows(), pixelJudge: s.pixelJudge,
    });
    expect(lf.reconstructionAll).toBe(1);
    expect(lf.decodedMemoryAll).toBe(1);
    expect(lf.decodedMemoryPixelAll).toBe(1);
    expect(lf.reconstruction).toEqual([1, 1, 1, 1]);
    expect(lf.decodedMemoryPixel).toEqual([1, 1, 1, 1]);
  });

  it('reads chance with a random decoder', async () => {
    const s = setup(5);
    const R = new Float64Array(D * D).map(() => gaussian(s.rng) * 3);
    const lf = await measureLoopFidelity({
      encode: s.encode, decode: async (z, n) => apply(R, z, n, false), seen: s.seen, test: s.test,
      classifier: s.classifier, memory: s.memory.rows(), pixelJudge: s.pixelJudge,
    });
    for (const v of [lf.reconstructionAll, lf.decodedMemoryAll, lf.decodedMemoryPixelAll]) expect(Math.abs(v - 1 / K)).toBeLessThan(0.2);
    // the same test images with their own features are recognised: it is the decoder that fails, not the classifier
    const direct = await measureLoopFidelity({
      encode: s.encode, decode: async (z, n) => apply(s.W, z, n, true), seen: s.seen, test: s.test,
      classifier: s.classifier, memory: s.memory.rows(), pixelJudge: s.pixelJudge,
    });
    expect(direct.reconstructionAll).toBe(1);
  });

  it('is recorded per task and seen class in a run', async () => {
    const { runner } = await tinyRun(root, { decoderEpochs: 2, decoderBatch: 20, decoderConsistency: 0.1 }, { tasks: 2 });
    await runner.start();
    expect(runner.status, runner.lastMessage).toBe('finished');
    const tasks = readKnowledge(runner.runDir).filter((r): r is TaskRecord => r.kind === 'task');
    expect(tasks).toHaveLength(2);
    for (const t of tasks) {
      const lf = t.loopFidelity!;
      for (const per of [lf.reconstruction, lf.decodedMemory, lf.decodedMemoryPixel]) {
        expect(per).toHaveLength(t.seen.length);
        for (const v of per) expect(v >= 0 && v <= 1).toBe(true);
      }
      for (const v of [lf.reconstructionAll, lf.decodedMemoryAll, lf.decodedMemoryPixelAll]) expect(v >= 0 && v <= 1).toBe(true);
    }
    // the second task measures all four seen classes, old ones through their memory
    expect(tasks[1].loopFidelity!.decodedMemory).toHaveLength(4);
  }, 180_000);
});
