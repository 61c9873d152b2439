// The copy-free Identity on wasm (models/ops/wasmIdentity.ts): a clone shares its source's heap buffer, outlives it,
// frees it with the last reference, and a seeded closed-loop step gives bit-identical losses and weights with it and
// with the library's copying kernel.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../main/engine/backends';
import { resolveConfig } from '../../../models/crate/config';
import { installWasmIdentity, uninstallWasmIdentity, wasmIdentityInstalled } from '../../../models/ops/wasmIdentity';
import { LoopState, closedLoopStep } from '../../../models/training/closedLoop';
import { resolveLoopConfig } from '../../../models/training/config';
import { randomArray } from '../crate/backends';

/** Two seeded closed-loop steps on the tiny preset: each step's objective, then every weight, in a fixed order. */
async function seededSteps(): Promise<{ T: number[]; weights: Float32Array[] }> {
  const cfg = resolveConfig('tiny');
  const state = new LoopState(cfg, resolveLoopConfig(), 5);
  const n = 40;
  const x = tf.tensor(randomArray(n * cfg.imageShape.reduce((a, b) => a * b, 1), 9), [n, ...cfg.imageShape]) as tf.Tensor4D;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const T: number[] = [];
  for (let i = 0; i < 2; i++) T.push((await closedLoopStep(state, x, labels, 4)).T);
  const weights = await Promise.all([...state.enc.values(), ...state.dec.values()].map((v) => v.data() as Promise<Float32Array>));
  state.dispose();
  x.dispose();
  return { T, weights };
}

describe('copy-free Identity on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await installWasmIdentity(); // leave the engine's default in place for later files in this process
  });

  it('is in front of the library kernel once the engine initialised wasm', () => {
    expect(wasmIdentityInstalled()).toBe(true);
  });

  it('shares the buffer, keeps it while a clone lives, frees it with the last one', async () => {
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(before + 1); // one buffer, two tensors
    expect(y.shape).toEqual([2, 3]);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4, 5, 6]);
    // later kernels write only to their own outputs: the shared buffer is not touched
    const z = tf.add(y, 1);
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4, 5, 6]);
    tf.dispose([y, z]);
    expect(tf.memory().numDataBuffers).toBe(before);
    // strings keep the library's path
    const s = tf.tensor(['a', 'b']);
    const sc = tf.clone(s);
    expect(await sc.array()).toEqual(['a', 'b']);
    tf.dispose([s, sc]);
  });

  it('gives the library kernel’s closed-loop steps bit for bit, and leaves no buffer behind', async () => {
    const buffers = tf.memory().numDataBuffers;
    const shared = await seededSteps();
    expect(tf.memory().numDataBuffers).toBe(buffers);
    uninstallWasmIdentity();
    expect(wasmIdentityInstalled()).toBe(false);
    const copied = await seededSteps();
    expect(await installWasmIdentity()).toBe(true);
    expect(shared.T.every(Number.isFinite)).toBe(true);
    expect(shared.T).toEqual(copied.T);
    expect(shared.weights.length).toBe(copied.weights.length);
    shared.weights.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(copied.weights[i].buffer)), `weight ${i}`).toBe(true));
  });
});
