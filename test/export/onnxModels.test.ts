// ONNX graphs of the encoder, decoder and classifier against (1) an independent float64 reference and (2) the lab's
// own TF.js forward pass, in onnxruntime-node, with a dynamic batch (1 and 7); plus opset, IR and metadata.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, resolveConfig, type CrateConfig } from '../../models/crate/config';
import { initDecoderParams, initEncoderParams, type ParamMap } from '../../models/crate/params';
import { readParams, type HostWeights } from '../../main/export/hostWeights';
import { buildClassifierOnnx, buildDecoderOnnx, buildEncoderOnnx, type ExportMetadata } from '../../main/export/onnx/crateModels';
import { decodeModel, IR_VERSION, OPSET } from '../../main/export/onnx/graphBuilder';
import { maxAbsDiff, runOnnx } from '../../main/export/parity';
import { decodeHost, encodeHost } from '../../main/export/tfjsForward';
import { randomArray, randomHead, randomWeights, refDecode, refEncode, refSubspace } from './crateReference';

const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function meta(cfg: CrateConfig): ExportMetadata {
  return { classNames: ['zero', 'one', 'two', 'three'], preset: 'tiny', config: cfg, summary: { accuracyMemory: 0.5, tasks: 2 } };
}

describe('ONNX export vs the float64 reference (random weights, all block variants)', () => {
  const variants: Partial<CrateConfig>[] = [
    { pool: 'mean', sparseBlock: 'crate' },
    { pool: 'cls', sparseBlock: 'crate', depthEncoder: 2, depthDecoder: 2 },
    { pool: 'cls', sparseBlock: 'alpha' },
    { imageShape: [3, 8, 8], patch: 4, pool: 'mean' },
    { pool: 'flat', sparseBlock: 'crate', depthEncoder: 2 },
  ];
  for (const v of variants) {
    it(`matches for ${JSON.stringify(v)} at batch 1 and 7`, async () => {
      const cfg = resolveConfig('tiny', v);
      const w = randomWeights(cfg, 3);
      const enc = buildEncoderOnnx(w, meta(cfg));
      const dec = buildDecoderOnnx(w, meta(cfg));
      const head = randomHead(cfg.featureDim, [0, 1, 3], 3, 7);
      const cls = buildClassifierOnnx(w, head, meta(cfg));
      const [c, h, wd] = cfg.imageShape;
      for (const b of [1, 7]) {
        const x = randomArray(b * c * h * wd, 11 + b);
        const z = (await runOnnx(enc, { image: { data: x, dims: [b, c, h, wd] } })).z;
        expect(z.dims).toEqual([b, cfg.featureDim]);
        const zRef = refEncode(w, cfg, x, b);
        expect(maxAbsDiff(z.data as Float32Array, zRef)).toBeLessThan(TOL);
        const img = (await runOnnx(dec, { z: { data: z.data as Float32Array, dims: [b, cfg.featureDim] } })).image;
        expect(img.dims).toEqual([b, c, h, wd]);
        expect(maxAbsDiff(img.data as Float32Array, refDecode(w, cfg, z.data as Float32Array, b))).toBeLessThan(TOL);
        const out = await runOnnx(cls, { image: { data: x, dims: [b, c, h, wd] } });
        const ref = refSubspace(head, zRef, b);
        expect(out.residuals.dims).toEqual([b, 3]);
        expect(maxAbsDiff(out.residuals.data as Float32Array, ref.residuals)).toBeLessThan(TOL);
        expect(Array.from(out.label.data as BigInt64Array, Number)).toEqual(ref.label);
      }
    });
  }

  it('fails with a readable message when a weight is missing or has the wrong shape', () => {
    const cfg = PRESETS.tiny;
    const w = randomWeights(cfg, 1);
    w.delete('enc/l0/D');
    expect(() => buildEncoderOnnx(w, meta(cfg))).toThrow(/weight enc\/l0\/D is missing \(expected shape \[16, 16\]\)/);
    const w2 = randomWeights(cfg, 1);
    w2.set('dec/in/W', { shape: [3, 16], data: new Float32Array(48) });
    expect(() => buildDecoderOnnx(w2, meta(cfg))).toThrow(/dec\/in\/W has shape \[3, 16\], expected \[16, 16\]/);
  });
});

describe('ONNX export vs the TF.js model (models/crate, tiny preset)', () => {
  const cfg = PRESETS.tiny;
  let enc: ParamMap;
  let dec: ParamMap;
  let host: HostWeights;
  let before = 0;
  beforeAll(async () => {
    before = tf.memory().numTensors;
    enc = initEncoderParams(cfg, 5);
    dec = initDecoderParams(cfg, 6);
    host = new Map([...(await readParams(enc)), ...(await readParams(dec))]);
  });
  afterAll(() => {
    for (const p of [enc, dec]) for (const v of p.values()) v.dispose();
    expect(tf.memory().numTensors).toBe(before); // no tensor leak from the forward helpers
  });

  it('encoder and decoder agree to 1e-4 at batch 1 and 7 (dynamic batch)', async () => {
    const e = buildEncoderOnnx(host, meta(cfg));
    const d = buildDecoderOnnx(host, meta(cfg));
    for (const b of [1, 7]) {
      const x = randomArray(b * 64, 40 + b);
      const zTf = await encodeHost(enc, cfg, x, b);
      const z = (await runOnnx(e, { image: { data: x, dims: [b, 1, 8, 8] } })).z.data as Float32Array;
      expect(maxAbsDiff(z, zTf)).toBeLessThan(TOL);
      const xTf = await decodeHost(dec, cfg, zTf, b);
      const xo = (await runOnnx(d, { z: { data: zTf, dims: [b, cfg.featureDim] } })).image.data as Float32Array;
      expect(maxAbsDiff(xo, xTf)).toBeLessThan(TOL);
      // and the comparison is not vacuous: the outputs vary across the batch
      if (b === 7) expect(maxAbsDiff(z.subarray(0, 16), z.subarray(16, 32))).toBeGreaterThan(1e-3);
    }
  });

  it('CRATE-α with class-token pooling agrees with the TF.js model too', async () => {
    const acfg = resolveConfig('tiny', { sparseBlock: 'alpha', pool: 'cls', depthEncoder: 2 });
    const p = initEncoderParams(acfg, 9);
    try {
      const bytes = buildEncoderOnnx(await readParams(p), meta(acfg));
      const x = randomArray(5 * 64, 77);
      const z = (await runOnnx(bytes, { image: { data: x, dims: [5, 1, 8, 8] } })).z.data as Float32Array;
      expect(maxAbsDiff(z, await encodeHost(p, acfg, x, 5))).toBeLessThan(TOL);
    } finally {
      for (const v of p.values()) v.dispose();
    }
  });

  it('writes opset 17, IR 8, a symbolic batch dimension and the metadata', () => {
    const bytes = buildClassifierOnnx(host, randomHead(cfg.featureDim, [0, 2], 2, 1), meta(cfg));
    const m = decodeModel(bytes);
    expect(Number(m.irVersion)).toBe(IR_VERSION);
    expect(IR_VERSION).toBe(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', OPSET]]);
    expect(OPSET).toBe(17);
    const input = m.graph!.input![0];
    expect(input.name).toBe('image');
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 1, 8, 8]);
    expect(m.graph!.output!.map((o) => o.name)).toEqual(['residuals', 'label']);
    const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props.class_names!)).toEqual(['zero', 'one', 'two', 'three']);
    expect(props.preset).toBe('tiny');
    expect(JSON.parse(props.preprocessing!)).toMatchObject({ layout: 'NCHW', channels: 1, height: 8, width: 8, valueRange: [-1, 1] });
    expect(JSON.parse(props.training_summary!)).toEqual({ accuracyMemory: 0.5, tasks: 2 });
    expect(JSON.parse(props.classes!)).toEqual([0, 2]);
    expect(JSON.parse(props.config!).dim).toBe(16);
    expect(m.graph!.node!.some((n) => n.opType === 'LayerNormalization')).toBe(true);
  });
});
