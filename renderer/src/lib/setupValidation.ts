import type { BackendChoice } from '../../../preload/api';

/** The setup form as typed (strings for number fields, so a half-typed value is still representable). */
/** Epochs of the decoder phase the setup screen asks for: about 450 decoder steps per task of 600 images, where the
 *  reconstructions turn from blobs into digits (docs/RECIPE.md, "A decoder phase"). */
export const DECODER_PHASE_EPOCHS = 50;

export interface SetupForm {
  source: 'builtin' | 'path';
  builtin: string;
  pathKind: 'idx' | 'cifar' | 'folder' | 'npy';
  path: string;
  preset: string;
  backend: BackendChoice;
  classesPerTask: string;
  seed: string;
  /** a sweep: the same settings once per seed, e.g. "1,2,3" (empty: one run with `seed`) */
  seeds: string;
  /** draws the class order (empty: natural order) */
  orderSeed: string;
  quick: boolean;
  autonomous: boolean;
  /** run the decoder phase after each task (DECODER_PHASE_EPOCHS) */
  decoderPhase: boolean;
  watchDir: string;
  name: string;
}

/** Field → message for every invalid field; empty when the form can be submitted. */
export function validateSetup(f: SetupForm, numClasses: number | null, presetNames: string[] | null): Partial<Record<keyof SetupForm, string>> {
  const e: Partial<Record<keyof SetupForm, string>> = {};
  if (f.source === 'path') {
    const p = f.path.trim();
    if (!p) e.path = 'Enter the path of the dataset.';
    else if (f.pathKind === 'npy' && !/\.(npy|npz)$/i.test(p)) e.path = 'An .npy or .npz file is expected for this format.';
  }
  const cpt = Number(f.classesPerTask);
  if (f.classesPerTask.trim() === '' || !Number.isInteger(cpt) || cpt < 1) e.classesPerTask = 'A whole number of at least 1.';
  else if (numClasses !== null && cpt > numClasses) e.classesPerTask = `The dataset has ${numClasses} classes; use at most ${numClasses}.`;
  const seed = Number(f.seed);
  if (f.seed.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed > 2 ** 31 - 1) e.seed = 'A whole number from 0 to 2147483647.';
  if (f.seeds.trim()) {
    const parts = f.seeds.split(/[\s,]+/).filter(Boolean);
    const nums = parts.map(Number);
    if (nums.some((s) => !Number.isInteger(s) || s < 0 || s > 2 ** 31 - 1)) e.seeds = 'Whole numbers from 0 to 2147483647, separated by commas.';
    else if (new Set(nums).size !== nums.length) e.seeds = 'Each seed once.';
    else if (f.watchDir.trim()) e.seeds = 'A sweep cannot watch a folder: a watching run never ends.';
  }
  if (f.orderSeed.trim() !== '') {
    const o = Number(f.orderSeed);
    if (!Number.isInteger(o) || o < 0 || o > 2 ** 31 - 1) e.orderSeed = 'A whole number from 0 to 2147483647, or empty for the natural order.';
  }
  if (presetNames && !presetNames.includes(f.preset)) e.preset = `Unknown preset '${f.preset}'.`;
  return e;
}

/** The seeds of a sweep typed in the form ("1, 2, 3"); empty when the form starts one run. */
export function sweepSeeds(f: SetupForm): number[] {
  return f.seeds.split(/[\s,]+/).filter(Boolean).map(Number);
}
