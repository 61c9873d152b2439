// The class order of a run: natural order, an explicit --order, or a permutation drawn by --order-seed. The order
// seed is its own generator, apart from --seed, so the same learner (init, batches, memory) can be run over several
// class orders, and the same class order over several learner seeds.
import { EngineRng } from './rng';

/** `classes` in the order drawn by `orderSeed` (the same seed always gives the same order). */
export function drawClassOrder(classes: readonly number[], orderSeed: number): number[] {
  if (!Number.isInteger(orderSeed) || orderSeed < 0) throw new Error(`--order-seed must be a whole number ≥ 0, got ${orderSeed}`);
  // a fixed offset keeps this generator's stream apart from the learner's for equal seeds
  const perm = new EngineRng(orderSeed ^ 0x0bde5eed).permutation(classes.length);
  return Array.from(perm, (i) => classes[i]);
}
