/**
 * Weights as plain host data (name → shape + Float32Array), the form the ONNX, TF.js-manifest and parity code share.
 * Reading a ParamMap is the only place the export touches tf.Variables, so graph building needs no TF.js at all.
 */
import * as tfRuntime from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { CrateConfig } from '../../models/crate/config';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}
export type HostWeights = Map<string, HostTensor>;

/** The model config the export graphs are built from (the one resolved and stored with the run). */
export type CrateShapeConfig = CrateConfig;

export async function readParams(p: Map<string, tf.Variable | tf.Tensor>): Promise<HostWeights> {
  const out: HostWeights = new Map();
  for (const [name, v] of p) {
    out.set(name, { shape: v.shape.slice(), data: new Float32Array(await v.data()) }); // one read per weight, export time only
  }
  return out;
}

/** A weight by name with its expected shape checked, so a wrong checkpoint fails with a readable message. */
export function weight(w: HostWeights, name: string, shape: number[]): HostTensor {
  const t = w.get(name);
  if (!t) throw new Error(`weight ${name} is missing (expected shape [${shape.join(', ')}])`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`weight ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  return t;
}

export function patchGrid(cfg: CrateShapeConfig): { gh: number; gw: number; n: number; patchDim: number } {
  const [c, h, w] = cfg.imageShape;
  const gh = h / cfg.patch;
  const gw = w / cfg.patch;
  if (!Number.isInteger(gh) || !Number.isInteger(gw)) {
    throw new Error(`image ${h}x${w} is not divisible by patch ${cfg.patch}`);
  }
  return { gh, gw, n: gh * gw, patchDim: cfg.patch * cfg.patch * c };
}

/** A tf.Variable holding a copy of host data (the temporary tensor is released; the variable owns its own handle). */
export function toVariable(data: Float32Array, shape: number[], trainable: boolean): tf.Variable {
  const t = tfRuntime.tensor(data, shape, 'float32');
  const v = tfRuntime.variable(t, trainable);
  t.dispose();
  return v;
}
