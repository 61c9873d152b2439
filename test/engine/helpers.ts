// Shared setup for engine tests: a fast backend (wasm, else cpu), temporary run roots, and a small in-process run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/backends';
import { EventHub } from '../../main/engine/events';
import type { Recipe } from '../../main/engine/recipe';
import { createRun, type SessionDeps } from '../../main/engine/session';
import { RunIndex } from '../../main/store/runIndex';
import type { LabEvent, StartRunRequest } from '../../preload/api';

export async function fastBackend(): Promise<{ name: 'wasm' | 'cpu'; adapter: null }> {
  try {
    await initBackend('wasm');
    return { name: 'wasm', adapter: null };
  } catch {
    await initBackend('cpu');
    return { name: 'cpu', adapter: null };
  }
}

export function tempRoot(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `crate-${tag}-`));
}

/** A schedule that learns the tiny preset on 8×8 digits in seconds. */
export const TINY_RECIPE: Partial<Recipe> = {
  maxPerClass: 120,
  warmupEpochs: 6,
  epochs: 2,
  batchSize: 60,
  memDirections: 4,
  memExplore: 20,
  memPerDirection: 5,
  subspaceRank: 3,
  checkpointEvery: 5,
  keep: 2,
  baselines: false,
};

export const TINY_REQUEST: StartRunRequest = {
  data: 'builtin:digits',
  preset: 'tiny',
  backend: 'wasm',
  classesPerTask: 2,
  seed: 3,
  quick: false,
  tasks: 2,
};

export async function tinyDeps(root: string): Promise<{ deps: SessionDeps; events: LabEvent[] }> {
  const backend = await fastBackend();
  const hub = new EventHub(0);
  const events: LabEvent[] = [];
  hub.subscribe((e) => events.push(e));
  return { deps: { runsRoot: root, hub, index: new RunIndex(root), backend }, events };
}

export async function tinyRun(root: string, recipe: Partial<Recipe> = {}, req: Partial<StartRunRequest> = {}) {
  const { deps, events } = await tinyDeps(root);
  const runner = await createRun(deps, { req: { ...TINY_REQUEST, ...req }, recipe: { ...TINY_RECIPE, ...recipe } });
  return { runner, deps, events };
}

export const liveTensors = (): number => tf.memory().numTensors;
