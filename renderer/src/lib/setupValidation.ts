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
  if (presetNames && !presetNames.includes(f.preset)) e.preset = `Unknown preset '${f.preset}'.`;
  return e;
}
