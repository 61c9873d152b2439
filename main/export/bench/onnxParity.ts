/**
 * ONNX parity for any preset with freshly initialised weights (the CI tests use `tiny`; this covers mnist-s, cifar-s…):
 *   npx tsx main/export/bench/onnxParity.ts [--preset mnist-s] [--n 256] [--backend cpu]
 * Prints one JSON line per model (max abs error vs TF.js, labels equal, ms to build and run) and exits 1 on a failure.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { BackendChoice } from '../../../preload/api';
import { resolveConfig } from '../../../models/crate/config';
import { initDecoderParams, initEncoderParams } from '../../../models/crate/params';
import { fitNearestSubspace, predictNearestSubspace } from '../../../models/subspace/nearestSubspace';
import { initBackend } from '../../engine/backends';
import { readParams } from '../hostWeights';
import { buildClassifierOnnx, buildDecoderOnnx, buildEncoderOnnx } from '../onnx/crateModels';
import { maxAbsDiff, PARITY_TOLERANCE, parityEntry, runOnnx, sameLabels } from '../parity';
import { noiseImages } from '../runSource';
import { decodeHost, encodeHost } from '../tfjsForward';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'mnist-s' }, n: { type: 'string', default: '256' }, backend: { type: 'string', default: 'cpu' } } });
await initBackend(values.backend as BackendChoice);
const cfg = resolveConfig(values.preset!);
const n = Number(values.n);
const enc = initEncoderParams(cfg, 1);
const dec = initDecoderParams(cfg, 2);
const w = new Map([...(await readParams(enc)), ...(await readParams(dec))]);
const meta = { classNames: Array.from({ length: 10 }, (_, i) => String(i)), preset: values.preset!, config: cfg, summary: {} };
const [c, h, wd] = cfg.imageShape;
const x = noiseImages(n, c * h * wd, 7);
const z = await encodeHost(enc, cfg, x, n);
const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
const head = fitNearestSubspace(z, n, cfg.featureDim, labels, [...Array(10).keys()], 5);
let failed = false;
const report = async (model: string, build: () => Uint8Array, check: (bytes: Uint8Array) => Promise<{ err: number; same: boolean | null }>) => {
  const t0 = performance.now();
  const bytes = build();
  const t1 = performance.now();
  const { err, same } = await check(bytes);
  const e = parityEntry(model, err, same, PARITY_TOLERANCE);
  failed ||= !e.ok;
  console.log(JSON.stringify({ preset: values.preset, ...e, bytes: bytes.length, buildMs: Math.round(t1 - t0), checkMs: Math.round(performance.now() - t1) }));
};
await report('encoder.onnx', () => buildEncoderOnnx(w, meta), async (b) => ({
  err: maxAbsDiff((await runOnnx(b, { image: { data: x, dims: [n, c, h, wd] } })).z.data as Float32Array, z),
  same: null,
}));
await report('decoder.onnx', () => buildDecoderOnnx(w, meta), async (b) => ({
  err: maxAbsDiff((await runOnnx(b, { z: { data: z, dims: [n, cfg.featureDim] } })).image.data as Float32Array, await decodeHost(dec, cfg, z, n)),
  same: null,
}));
await report('classifier.onnx', () => buildClassifierOnnx(w, head, meta), async (b) => {
  const out = await runOnnx(b, { image: { data: x, dims: [n, c, h, wd] } });
  const ref = predictNearestSubspace(head, z, n);
  return { err: maxAbsDiff(out.residuals.data as Float32Array, ref.residuals), same: sameLabels(out.label.data as BigInt64Array, ref.pred) };
});
for (const v of [...enc.values(), ...dec.values()]) v.dispose();
console.log(JSON.stringify({ tensorsLeft: tf.memory().numTensors }));
process.exitCode = failed ? 1 : 0;
