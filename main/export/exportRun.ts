/**
 * `exportRun`: one finished run → an export folder (ONNX models, TF.js-style weights, the structured memory), every
 * model checked against the lab's TF.js model before anything is published. Used by the lab service and the CLI.
 *
 * What each request writes (all also write export.json and README.md):
 *   what        --format onnx                                   --format tfjs
 *   encoder     encoder.onnx                                    model.json + weights.bin (enc/…)
 *   decoder     decoder.onnx                                    model.json + weights.bin (dec/…)
 *   classifier  classifier.onnx                                 model.json + weights.bin (enc/…) + memory files
 *   memory      memory.json + *.npy                             the same
 *   all         the three .onnx + memory + model.json/weights   model.json + weights.bin (enc/ + dec/) + memory
 * `all` always includes what loadExport needs to start a new run from the folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExportFormat, ExportRequest, ExportResult, ExportWhat } from '../../preload/api';
import type { ParamMap } from '../../models/crate/params';
import { predictNearestSubspace } from '../../models/subspace/nearestSubspace';
import { ExportError } from './exportError';
import { readParams, toVariable, type HostWeights } from './hostWeights';
import { readMemoryExport, writeMemoryExport } from './memoryExport';
import { buildClassifierOnnx, buildDecoderOnnx, buildEncoderOnnx, type ExportMetadata } from './onnx/crateModels';
import { OPSET } from './onnx/graphBuilder';
import { describeFailures, maxAbsDiff, PARITY_INPUTS, PARITY_TOLERANCE, parityEntry, runOnnx, sameLabels, type ParityEntry } from './parity';
import { loadRunSource, type ExportSource } from './runSource';
import { createStaging, discardStaging, publishStaging } from './stagingDir';
import { decodeHost, encodeHost } from './tfjsForward';
import { readTfjsWeights, writeTfjsWeights } from './tfjsWeights';

export const EXPORT_WHATS: readonly ExportWhat[] = ['encoder', 'decoder', 'classifier', 'memory', 'all'];
export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs'];
export const EXPORT_FORMAT_VERSION = 1;

export interface ExportOptions {
  /** Where the run comes from (tests and the engine may pass their own); default: the run folder via main/store. */
  loadSource?: (runsRoot: string, runId: string) => Promise<ExportSource>;
  /** Images in the parity check (default 256). */
  parityInputs?: number;
  /** Max abs error allowed between onnxruntime and TF.js (default 1e-4). */
  tolerance?: number;
  /** Progress lines for a CLI. */
  log?: (line: string) => void;
}

export function validateExportRequest(req: ExportRequest): void {
  if (!req || typeof req.runId !== 'string' || req.runId === '') throw new ExportError('bad-request', 'export: a run id is required');
  if (!EXPORT_WHATS.includes(req.what)) {
    throw new ExportError('bad-request', `export: unknown --what '${String(req.what)}' (expected ${EXPORT_WHATS.join(', ')})`);
  }
  if (!EXPORT_FORMATS.includes(req.format)) {
    throw new ExportError('bad-request', `export: unknown format '${String(req.format)}' (expected ${EXPORT_FORMATS.join(' or ')})`);
  }
  if (req.outDir !== undefined && (typeof req.outDir !== 'string' || req.outDir.trim() === '')) {
    throw new ExportError('bad-request', 'export: --out must be a folder path');
  }
}

export async function exportRun(runsRoot: string, req: ExportRequest, opts: ExportOptions = {}): Promise<ExportResult> {
  validateExportRequest(req);
  const src = await (opts.loadSource ?? loadRunSource)(runsRoot, req.runId);
  try {
    const outDir = path.resolve(req.outDir ?? path.join(src.runDir, 'exports', `${req.what}-${req.format}`));
    const staging = createStaging(outDir);
    try {
      const parity = await writeExport(staging, src, req, opts);
      const tolerance = opts.tolerance ?? PARITY_TOLERANCE;
      if (parity.some((p) => !p.ok)) {
        throw new ExportError(
          'internal',
          `export of run '${req.runId}' failed its parity check against TF.js, nothing was written: ${describeFailures(parity, tolerance)}`,
          'Report this with the run folder; the exported models would not reproduce the lab.',
        );
      }
      const files = publishStaging(staging, outDir);
      return { outDir, files, parity };
    } catch (e) {
      discardStaging(staging);
      throw e;
    }
  } finally {
    src.dispose();
  }
}

async function writeExport(dir: string, src: ExportSource, req: ExportRequest, opts: ExportOptions): Promise<ParityEntry[]> {
  const log = opts.log ?? (() => {});
  const tolerance = opts.tolerance ?? PARITY_TOLERANCE;
  const { what, format } = req;
  const cfg = src.config;
  const meta: ExportMetadata = { classNames: src.classNames, preset: src.preset, config: cfg, summary: src.summary };
  const want = {
    onnx: format === 'onnx' ? (what === 'all' ? ['encoder', 'decoder', 'classifier'] : what === 'memory' ? [] : [what]) : [],
    enc: what === 'all' || (format === 'tfjs' && (what === 'encoder' || what === 'classifier')),
    dec: what === 'all' || (format === 'tfjs' && what === 'decoder'),
    memory: what === 'memory' || what === 'all' || (format === 'tfjs' && what === 'classifier'),
  };
  const enc = await readParams(src.enc);
  const dec = await readParams(src.dec);

  const inputs = await src.parityInputs(opts.parityInputs ?? PARITY_INPUTS);
  log(`parity inputs: ${inputs.n} images (${inputs.source})`);
  const [c, h, w] = cfg.imageShape;
  const n = inputs.n;
  const zRef = await encodeHost(src.enc, cfg, inputs.x, n); // TF.js features: the reference for every check
  const parity: ParityEntry[] = [];
  const files: string[] = [];

  for (const model of want.onnx) {
    const file = `${model}.onnx`;
    log(`writing ${file} (opset ${OPSET})`);
    if (model === 'encoder') {
      const bytes = buildEncoderOnnx(enc, meta);
      fs.writeFileSync(path.join(dir, file), bytes);
      const out = await runOnnx(bytes, { image: { data: inputs.x, dims: [n, c, h, w] } });
      parity.push(parityEntry('encoder.onnx', maxAbsDiff(out.z.data as Float32Array, zRef), null, tolerance));
    } else if (model === 'decoder') {
      const bytes = buildDecoderOnnx(dec, meta);
      fs.writeFileSync(path.join(dir, file), bytes);
      const xRef = await decodeHost(src.dec, cfg, zRef, n);
      const out = await runOnnx(bytes, { z: { data: zRef, dims: [n, cfg.featureDim] } });
      parity.push(parityEntry('decoder.onnx', maxAbsDiff(out.image.data as Float32Array, xRef), null, tolerance));
    } else {
      const bytes = buildClassifierOnnx(enc, src.classifier, meta);
      fs.writeFileSync(path.join(dir, file), bytes);
      const ref = predictNearestSubspace(src.classifier, zRef, n);
      const out = await runOnnx(bytes, { image: { data: inputs.x, dims: [n, c, h, w] } });
      parity.push(
        parityEntry(
          'classifier.onnx',
          maxAbsDiff(out.residuals.data as Float32Array, ref.residuals),
          sameLabels(out.label.data as BigInt64Array, ref.pred),
          tolerance,
        ),
      );
    }
    files.push(file);
  }

  if (want.enc || want.dec) {
    const weights: HostWeights = new Map([...(want.enc ? enc : []), ...(want.dec ? dec : [])]);
    const parts = [...(want.enc ? (['encoder'] as const) : []), ...(want.dec ? (['decoder'] as const) : [])];
    files.push(...writeTfjsWeights(dir, weights, { preset: src.preset, config: cfg, classNames: src.classNames, parts }));
    parity.push(...(await weightsRoundTrip(dir, src, inputs.x, n, zRef, want.enc, want.dec, tolerance)));
  }

  if (want.memory) {
    files.push(
      ...writeMemoryExport(dir, {
        classNames: src.classNames,
        stats: src.memoryStats,
        classifier: src.classifier,
        memory: src.memory,
        activations: src.activations,
        runId: src.runId,
        preset: src.preset,
      }),
    );
    // the files must give back the same classifier and statistics: same residuals and labels on the parity features
    const back = readMemoryExport(dir);
    const a = predictNearestSubspace(src.classifier, zRef, n);
    const b = predictNearestSubspace(back.classifier, zRef, n);
    const sa = predictNearestSubspace(src.memoryStats, zRef, n);
    const sb = predictNearestSubspace(back.stats, zRef, n);
    const err = Math.max(maxAbsDiff(a.residuals, b.residuals), maxAbsDiff(sa.residuals, sb.residuals), maxAbsDiff(src.memory.features, back.memory.features));
    parity.push(parityEntry('memory.json', err, sameLabels(a.pred, b.pred) && sameLabels(sa.pred, sb.pred) && sameLabels(src.memory.labels, back.memory.labels), tolerance));
  }

  const manifest = {
    kind: 'crate-lab.export',
    formatVersion: EXPORT_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    runId: src.runId,
    preset: src.preset,
    what,
    format,
    opset: want.onnx.length ? OPSET : null,
    config: cfg,
    classNames: src.classNames,
    summary: src.summary,
    files,
    parity: { inputs: n, source: inputs.source, tolerance, results: parity },
  };
  fs.writeFileSync(path.join(dir, 'export.json'), JSON.stringify(manifest, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'README.md'), readme(src, files));
  return parity;
}

/** Read the written weights back into TF.js and run them: the tfjs files must reproduce the lab exactly. */
async function weightsRoundTrip(
  dir: string,
  src: ExportSource,
  x: Float32Array,
  n: number,
  zRef: Float32Array,
  checkEnc: boolean,
  checkDec: boolean,
  tolerance: number,
): Promise<ParityEntry[]> {
  const { weights } = readTfjsWeights(dir);
  const toParams = (prefix: string): ParamMap =>
    new Map([...weights].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k, toVariable(t.data, t.shape, false)]));
  const out: ParityEntry[] = [];
  if (checkEnc) {
    const p = toParams('enc/');
    try {
      out.push(parityEntry('weights.bin (encoder)', maxAbsDiff(await encodeHost(p, src.config, x, n), zRef), null, tolerance));
    } finally {
      for (const v of p.values()) v.dispose();
    }
  }
  if (checkDec) {
    const p = toParams('dec/');
    try {
      const a = await decodeHost(src.dec, src.config, zRef, n);
      out.push(parityEntry('weights.bin (decoder)', maxAbsDiff(await decodeHost(p, src.config, zRef, n), a), null, tolerance));
    } finally {
      for (const v of p.values()) v.dispose();
    }
  }
  return out;
}

function readme(src: ExportSource, files: string[]): string {
  const [c, h, w] = src.config.imageShape;
  const lines = [
    `# CRATE Lab export of run ${src.runId} (preset ${src.preset})`,
    '',
    `Inputs: float32 images (batch, ${c}, ${h}, ${w}), NCHW, pixels scaled to [-1, 1] (uint8/255*2-1).`,
    `Classes: ${src.classNames.map((n, i) => `${i}=${n}`).join(', ')}`,
    '',
  ];
  const doc: Record<string, string> = {
    'encoder.onnx': `ONNX (opset ${OPSET}, dynamic batch): image → z (batch, ${src.config.featureDim}), unit-norm feature.`,
    'decoder.onnx': `ONNX: z (batch, ${src.config.featureDim}) → image (batch, ${c}, ${h}, ${w}) in (-1, 1).`,
    'classifier.onnx': 'ONNX: image → residuals (batch, k) to each class subspace and label (batch, int64) = class index of the smallest.',
    'model.json': 'TF.js weights manifest (weightsManifest) + CRATE config and class names; tf.io.decodeWeights reads weights.bin with it.',
    'weights.bin': 'float32 little-endian weights in manifest order; names/shapes as models/crate/params.ts, kernels (in, out).',
    'memory.json': 'Structured memory: schema, class names, and the shapes and files of the arrays below.',
  };
  for (const f of files) lines.push(`- \`${f}\`${doc[f] ? `: ${doc[f]}` : ''}`);
  lines.push('', 'export.json records the parity check: every model was run in onnxruntime and compared with the lab (max abs error).', '');
  return lines.join('\n');
}
