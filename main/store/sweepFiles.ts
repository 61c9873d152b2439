// A sweep (seed group): <runsRoot>/sweeps/<id>.json, the same settings once per seed. It records how each member run
// is made and, per seed, the run and its status, so that a killed sweep continues with the run it was in; and each
// finished member's summary (what `train --json` printed for it), so the sweep's mean ± std can be given again
// without retraining. Replaced atomically after every change; the run folders stay the source of truth for runs.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunStatus, StartRunRequest } from '../../preload/api';
import type { CrateConfig } from '../../models/crate/config';
import type { Recipe } from '../engine/recipe';
import { readJsonOrNull, writeJsonAtomic } from './atomicFile';
import { isValidRunId } from './runFiles';

export const SWEEP_FORMAT_VERSION = 1;

export interface SweepMember {
  seed: number;
  /** null until the member's run folder exists */
  runId: string | null;
  status: RunStatus | 'pending';
  /** the member's summary as `train --json` prints it, once it finished */
  summary?: Record<string, unknown>;
}

export interface SweepJson {
  formatVersion: number;
  id: string;
  createdAt: string;
  updatedAt: string;
  seeds: number[];
  /** how every member run is made: the request (its seed replaced by the member's), recipe and model overrides */
  run: { req: StartRunRequest; recipe: Partial<Recipe>; model: Partial<CrateConfig> };
  members: SweepMember[];
}

export const sweepsDir = (runsRoot: string): string => path.join(runsRoot, 'sweeps');
export const sweepFile = (runsRoot: string, id: string): string => path.join(sweepsDir(runsRoot), `${id}.json`);

/** Sweep ids become file names: the rule of run ids. */
export const isValidSweepId = isValidRunId;

/** The default id: a digest of the settings and seeds, so that the same command names the same sweep again. */
export function defaultSweepId(run: SweepJson['run'], seeds: readonly number[]): string {
  const { seed: _seed, ...req } = run.req;
  const text = JSON.stringify({ req: sortKeys(req), recipe: sortKeys(run.recipe), model: sortKeys(run.model), seeds });
  return `sweep-${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
}

function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export function newSweep(id: string, run: SweepJson['run'], seeds: readonly number[]): SweepJson {
  const now = new Date().toISOString();
  return {
    formatVersion: SWEEP_FORMAT_VERSION,
    id,
    createdAt: now,
    updatedAt: now,
    seeds: [...seeds],
    run,
    members: seeds.map((seed) => ({ seed, runId: null, status: 'pending' })),
  };
}

export function readSweep(runsRoot: string, id: string): SweepJson | null {
  if (!isValidSweepId(id)) return null;
  const s = readJsonOrNull<SweepJson>(sweepFile(runsRoot, id));
  return s && s.formatVersion === SWEEP_FORMAT_VERSION && Array.isArray(s.members) && s.run && typeof s.run.req === 'object' ? s : null;
}

export function writeSweep(runsRoot: string, s: SweepJson): void {
  fs.mkdirSync(sweepsDir(runsRoot), { recursive: true });
  writeJsonAtomic(sweepFile(runsRoot, s.id), { ...s, updatedAt: new Date().toISOString() });
}

/** Every readable sweep, newest first. */
export function listSweeps(runsRoot: string): SweepJson[] {
  let names: string[];
  try {
    names = fs.readdirSync(sweepsDir(runsRoot));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => readSweep(runsRoot, n.slice(0, -5)))
    .filter((s): s is SweepJson => s !== null)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** Parses "1,2,3" (or "1 2 3") into distinct integer seeds; throws a message naming the problem. */
export function parseSeeds(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.length) throw new Error(`--seeds needs a list of seeds such as 1,2,3, got '${text}'`);
  const seeds = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isInteger(seeds[i]) || seeds[i] < 0 || seeds[i] > 2 ** 31 - 1);
  if (bad !== undefined) throw new Error(`--seeds: '${bad}' is not a whole number from 0 to 2147483647`);
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new Error(`--seeds: seed ${dup} appears twice`);
  return seeds;
}
