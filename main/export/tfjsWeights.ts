/**
 * `--format tfjs`: weights as a TF.js weights manifest plus one binary shard, so any TF.js program can read them with
 * `tf.io.decodeWeights(await (await fetch('weights.bin')).arrayBuffer(), manifest.weightsManifest[0].weights)`
 * (or `tf.io.loadWeights(manifest.weightsManifest, dir)` in the browser), and the lab reads them back with loadExport.
 *
 * model.json:
 *   { format: 'crate-lab.weights', formatVersion: 1, preset, config (CrateConfig), classNames, parts: ['encoder', ...],
 *     weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'enc/embed/W', shape: [16, 16], dtype: 'float32' }, ...] }] }
 * Weight names and shapes are those of models/crate/params.ts; dense kernels are (in, out): y = x·W + b.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostWeights } from './hostWeights';

export const WEIGHTS_FORMAT = 'crate-lab.weights';
export const WEIGHTS_FORMAT_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface WeightsJson {
  format: typeof WEIGHTS_FORMAT;
  formatVersion: number;
  createdAt: string;
  preset: string;
  config: Record<string, unknown>;
  classNames: string[];
  parts: ('encoder' | 'decoder')[];
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

export function writeTfjsWeights(
  dir: string,
  weights: HostWeights,
  info: { preset: string; config: object; classNames: string[]; parts: WeightsJson['parts'] },
): string[] {
  let bytes = 0;
  for (const t of weights.values()) bytes += t.data.byteLength;
  const buf = new Uint8Array(bytes);
  const specs: WeightsJson['weightsManifest'][0]['weights'] = [];
  let off = 0;
  for (const [name, t] of weights) {
    buf.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), off);
    off += t.data.byteLength;
    specs.push({ name, shape: t.shape, dtype: 'float32' });
  }
  const json: WeightsJson = {
    format: WEIGHTS_FORMAT,
    formatVersion: WEIGHTS_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    preset: info.preset,
    config: { ...info.config },
    classNames: info.classNames,
    parts: info.parts,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
  };
  fs.writeFileSync(path.join(dir, WEIGHTS_BIN), buf);
  fs.writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(json, null, 2) + '\n');
  return [MODEL_JSON, WEIGHTS_BIN];
}

export function readTfjsWeights(dir: string): { json: WeightsJson; weights: HostWeights } {
  const file = path.join(dir, MODEL_JSON);
  let json: WeightsJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as WeightsJson;
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'not valid JSON'}`);
  }
  if (json.format !== WEIGHTS_FORMAT || json.formatVersion !== WEIGHTS_FORMAT_VERSION || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${file}: not a crate-lab weights manifest of version ${WEIGHTS_FORMAT_VERSION}`);
  }
  const weights: HostWeights = new Map();
  for (const group of json.weightsManifest) {
    const parts = group.paths.map((p) => {
      const f = path.join(dir, path.basename(p));
      try {
        return fs.readFileSync(f);
      } catch {
        throw new Error(`${f}: missing (listed in ${file})`);
      }
    });
    const buf = Buffer.concat(parts);
    const need = group.weights.reduce((a, w) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0);
    if (buf.length !== need) throw new Error(`${path.join(dir, group.paths[0])}: ${buf.length} bytes, the manifest needs ${need}`);
    let off = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`${file}: weight ${w.name} has dtype ${w.dtype}, expected float32`);
      const n = w.shape.reduce((x, y) => x * y, 1);
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(buf.subarray(off, off + 4 * n));
      off += 4 * n;
      weights.set(w.name, { shape: w.shape, data });
    }
  }
  return { json, weights };
}
