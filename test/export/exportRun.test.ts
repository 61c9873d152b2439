// exportRun end to end on a finished tiny run built with the store API: parity against TF.js in onnxruntime, the memory
// files (parsed back, and by NumPy when present), the TF.js weights, loadExport, and bad input leaving files untouched.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportRequest } from '../../preload/api';
import { exportRun } from '../../main/export/exportRun';
import { ExportError, exportErrorToLabError } from '../../main/export/exportError';
import type { HostWeights } from '../../main/export/hostWeights';
import { isExportDir, loadExport } from '../../main/export/loadExport';
import { decodeNpy } from '../../main/export/npy';
import { decodeModel } from '../../main/export/onnx/graphBuilder';
import { runOnnx } from '../../main/export/parity';
import { readLatestCheckpoint } from '../../main/store/checkpoints';
import { refEncode, refSubspace } from './crateReference';
import { makeFakeRun } from './fakeRun';

let root: string;
let runId: string;
let runDir: string;
let ckTensors: Map<string, { shape: number[]; data: Float32Array | Int32Array }>;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-export-'));
  ({ id: runId, runDir } = await makeFakeRun(root));
  ckTensors = readLatestCheckpoint(runDir)!.payload.tensors;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const req = (o: Partial<ExportRequest> = {}): ExportRequest => ({ runId, what: 'all', format: 'onnx', ...o });
const ckWeights = (): HostWeights =>
  new Map([...ckTensors].filter(([k]) => /^(enc|dec)\//.test(k)).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));

/** Everything under `dir` with its bytes, to prove a failed export changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const n of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, n);
    if (fs.statSync(p).isFile()) out[n] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

describe('exportRun --what all --format onnx', () => {
  let outDir: string;
  it('publishes every model with parity ≤ 1e-4 and identical labels', async () => {
    const before = tf.memory().numTensors;
    const res = await exportRun(root, req());
    expect(tf.memory().numTensors).toBe(before);
    outDir = res.outDir;
    expect(outDir).toBe(path.join(runDir, 'exports', 'all-onnx'));
    const names = res.files.map((f) => path.basename(f)).sort();
    for (const f of ['encoder.onnx', 'decoder.onnx', 'classifier.onnx', 'memory.json', 'means.npy', 'features.npy', 'model.json', 'weights.bin', 'export.json', 'README.md']) {
      expect(names).toContain(f);
    }
    for (const f of res.files) expect(fs.existsSync(f)).toBe(true);
    expect(res.parity.map((p) => p.model)).toEqual([
      'encoder.onnx', 'decoder.onnx', 'classifier.onnx', 'weights.bin (encoder)', 'weights.bin (decoder)', 'memory.json',
    ]);
    for (const p of res.parity) {
      expect(p.ok).toBe(true);
      expect(p.maxAbsError).toBeLessThanOrEqual(1e-4);
    }
    expect(res.parity.find((p) => p.model === 'classifier.onnx')!.labelsEqual).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'export.json'), 'utf8'));
    expect(manifest.parity.inputs).toBe(256);
    expect(manifest.parity.source).toBe('test split of builtin:digits');
    // no staging folder left behind
    expect(fs.readdirSync(path.dirname(outDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('the exported classifier predicts what the checkpoint\'s weights and classifier predict (float64 reference)', async () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(outDir, 'model.json'), 'utf8')).config;
    const x = new Float32Array(40 * 64).map((_, i) => Math.sin(i * 0.37) * 0.9);
    const out = await runOnnx(fs.readFileSync(path.join(outDir, 'classifier.onnx')), { image: { data: x, dims: [40, 1, 8, 8] } });
    const z = refEncode(ckWeights(), cfg, x, 40);
    const F = 16;
    const head = {
      classes: [0, 1, 2, 3],
      featureDim: F,
      means: [0, 1, 2, 3].map((c) => ckTensors.get(`cls/${c}/mean`)!.data as Float32Array),
      bases: [0, 1, 2, 3].map((c) => ckTensors.get(`cls/${c}/basis`)!.data as Float32Array),
    };
    const ref = refSubspace(head, z, 40);
    expect(Array.from(out.label.data as BigInt64Array, Number)).toEqual(ref.label);
    expect(new Set(ref.label).size).toBeGreaterThan(1); // a non-trivial check: several classes predicted
  });

  it('carries class names, preset, preprocessing and the training summary in metadata_props', () => {
    for (const f of ['encoder.onnx', 'decoder.onnx', 'classifier.onnx']) {
      const m = decodeModel(fs.readFileSync(path.join(outDir, f)));
      const props = Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value]));
      expect(JSON.parse(props.class_names!)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(props.preset).toBe('tiny');
      expect(JSON.parse(props.preprocessing!)).toMatchObject({ channels: 1, height: 8, width: 8, valueRange: [-1, 1] });
      const summary = JSON.parse(props.training_summary!);
      expect(summary).toMatchObject({ runId, tasks: 2, classesSeen: 4, accuracyMemory: 0.825, steps: 40 });
    }
  });

  it('writes the memory as memory.json + .npy that parse back to the checkpoint values (and load in NumPy)', () => {
    const json = JSON.parse(fs.readFileSync(path.join(outDir, 'memory.json'), 'utf8'));
    expect(json).toMatchObject({ schemaVersion: 1, kind: 'crate-lab.memory', featureDim: 16, rank: 3, classifierRank: 2, runId, preset: 'tiny' });
    expect(json.classes.map((c: { index: number; name: string; memoryRows: number }) => [c.index, c.name, c.memoryRows])).toEqual([
      [0, '0', 12], [1, '1', 12], [2, '2', 12], [3, '3', 12],
    ]);
    const load = (k: string) => decodeNpy(fs.readFileSync(path.join(outDir, json.arrays[k].file)));
    const means = load('means');
    expect(means.shape).toEqual([4, 16]);
    expect(Array.from(means.data.subarray(32, 48))).toEqual(Array.from(ckTensors.get('mem/2/mean')!.data));
    const bases = load('bases');
    expect(bases.shape).toEqual([4, 16, 3]);
    expect(Array.from(bases.data.subarray(16 * 3, 16 * 6))).toEqual(Array.from(ckTensors.get('mem/1/basis')!.data));
    const features = load('features');
    expect(features.shape).toEqual([48, 16]);
    expect(Array.from(features.data.subarray(36 * 16, 48 * 16))).toEqual(Array.from(ckTensors.get('mem/3/z')!.data));
    expect(load('labels')).toEqual({ dtype: '<i4', shape: [48], data: Int32Array.from({ length: 48 }, (_, i) => Math.floor(i / 12)) });
    expect(load('sigma').shape).toEqual([4, 3]);
    expect(load('classifier_bases').shape).toEqual([4, 16, 2]);
    let numpy = true;
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      numpy = false;
    }
    if (numpy) {
      const py = `import numpy as np, json, sys
d = sys.argv[1]; j = json.load(open(d + '/memory.json'))
print(json.dumps({k: [list(np.load(d + '/' + v['file']).shape), str(np.load(d + '/' + v['file']).dtype)] for k, v in j['arrays'].items()}))
print(float(np.load(d + '/features.npy').sum()))`;
      const [shapes, sum] = execFileSync('/usr/bin/python3', ['-c', py, outDir], { encoding: 'utf8' }).trim().split('\n');
      expect(JSON.parse(shapes)).toMatchObject({ means: [[4, 16], 'float32'], bases: [[4, 16, 3], 'float32'], labels: [[48], 'int32'] });
      expect(Number(sum)).toBeCloseTo((features.data as Float32Array).reduce((a, b) => a + b, 0), 3);
    }
  });

  it('loadExport gives back config, weights, classifier and memory (the start of a new run)', async () => {
    expect(isExportDir(outDir)).toBe(true);
    expect(isExportDir(runDir)).toBe(false);
    const before = tf.memory().numTensors;
    const e = await loadExport(outDir);
    try {
      expect(e.config).toMatchObject({ imageShape: [1, 8, 8], patch: 4, dim: 16, featureDim: 16, pool: 'mean' });
      expect(e.classNames).toHaveLength(10);
      expect(e.preset).toBe('tiny');
      expect(e.runId).toBe(runId);
      for (const [name, v] of [...e.enc, ...e.dec]) {
        const want = ckTensors.get(name)!;
        expect(v.shape).toEqual(want.shape);
        expect(Array.from(await v.data())).toEqual(Array.from(want.data));
      }
      expect(e.enc.size + e.dec.size).toBe([...ckTensors.keys()].filter((k) => /^(enc|dec)\//.test(k)).length);
      expect(e.classifier.classes).toEqual([0, 1, 2, 3]);
      expect(Array.from(e.classifier.means[1])).toEqual(Array.from(ckTensors.get('cls/1/mean')!.data));
      expect(e.memory.m).toBe(48);
      expect(e.memory.perClass.map((p) => [p.cls, p.m, p.r])).toEqual([[0, 12, 3], [1, 12, 3], [2, 12, 3], [3, 12, 3]]);
      expect(Array.from(e.memory.perClass[2].z)).toEqual(Array.from(ckTensors.get('mem/2/z')!.data));
    } finally {
      for (const v of [...e.enc.values(), ...e.dec.values()]) v.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('exportRun --format tfjs', () => {
  it('writes a TF.js weights manifest that tf.io.decodeWeights reads back exactly', async () => {
    const out = path.join(root, 'tfjs-encoder');
    const res = await exportRun(root, req({ what: 'encoder', format: 'tfjs', outDir: out }));
    expect(res.files.map((f) => path.basename(f)).sort()).toEqual(['README.md', 'export.json', 'model.json', 'weights.bin']);
    expect(res.parity).toEqual([{ model: 'weights.bin (encoder)', maxAbsError: 0, labelsEqual: null, ok: true }]);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'crate-lab.weights', formatVersion: 1, preset: 'tiny', parts: ['encoder'] });
    const bin = fs.readFileSync(path.join(out, 'weights.bin'));
    const ab = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const named = tf.io.decodeWeights(ab, manifest.weightsManifest[0].weights) as Record<string, tf.Tensor>;
    const encNames = [...ckTensors.keys()].filter((k) => k.startsWith('enc/'));
    expect(Object.keys(named).sort()).toEqual(encNames.sort());
    for (const n of encNames) expect(Array.from(await named[n].data())).toEqual(Array.from(ckTensors.get(n)!.data));
    tf.dispose(Object.values(named));
  });

  it('classifier in tfjs format brings the memory files (the head) along; memory alone works in either format', async () => {
    const a = await exportRun(root, req({ what: 'classifier', format: 'tfjs', outDir: path.join(root, 'tfjs-cls') }));
    expect(a.files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['model.json', 'memory.json', 'classifier_bases.npy']));
    const b = await exportRun(root, req({ what: 'memory', format: 'onnx', outDir: path.join(root, 'mem-only') }));
    expect(b.files.some((f) => f.endsWith('.onnx'))).toBe(false);
    expect(b.parity.map((p) => [p.model, p.ok, p.labelsEqual])).toEqual([['memory.json', true, true]]);
  });
});

describe('loadExport bad input', () => {
  it('names the folder and the missing part', async () => {
    await expect(loadExport(path.join(root, 'nowhere'))).rejects.toThrow(/export folder .*nowhere not found/);
    // an encoder-only tfjs export has no decoder weights and no memory: not enough to continue from
    const dir = path.join(root, 'enc-only');
    await exportRun(root, req({ what: 'encoder', format: 'tfjs', outDir: dir }), { parityInputs: 8 });
    const err = await loadExport(dir).then(() => null, (e: unknown) => e as ExportError);
    expect(err).toBeInstanceOf(ExportError);
    expect(err!.code).toBe('bad-data');
    expect(err!.message).toMatch(/cannot continue from .*enc-only: .*memory\.json: missing/);
    expect(err!.hint).toBe('Export the run with --what all.');
  });
});

describe('exportRun bad input: a clear error and existing files untouched', () => {
  let out: string;
  let before: Record<string, string>;
  beforeAll(() => {
    out = path.join(root, 'precious');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'encoder.onnx'), 'an older export');
    fs.writeFileSync(path.join(out, 'notes.txt'), 'user notes');
    before = snapshot(out);
  });

  const cases: { name: string; setup?: () => Promise<string> | string; request: (id: string) => ExportRequest; code: string; message: RegExp }[] = [
    { name: 'unknown format', request: (id) => ({ ...req({ outDir: out }), runId: id, format: 'keras' as never }), code: 'bad-request', message: /unknown format 'keras' \(expected onnx or tfjs\)/ },
    { name: 'unknown part', request: (id) => ({ ...req({ outDir: out }), runId: id, what: 'weights' as never }), code: 'bad-request', message: /unknown --what 'weights'/ },
    { name: 'missing run', request: () => req({ runId: 'no-such-run', outDir: out }), code: 'not-found', message: /run 'no-such-run' not found/ },
    {
      name: 'unfinished run',
      setup: async () => (await makeFakeRun(root, { id: 'still-running', status: 'running' })).id,
      request: (id) => req({ runId: id, outDir: out }),
      code: 'conflict',
      message: /run 'still-running' is running, not finished/,
    },
    {
      name: 'corrupt checkpoint',
      setup: async () => {
        const r = await makeFakeRun(root, { id: 'corrupt' });
        const w = path.join(r.runDir, 'checkpoints', '40', 'weights.bin');
        const b = fs.readFileSync(w);
        b[100] ^= 0xff;
        fs.writeFileSync(w, b);
        return r.id;
      },
      request: (id) => req({ runId: id, outDir: out }),
      code: 'bad-data',
      message: /run 'corrupt': no valid checkpoint .*\(missing or corrupt\)/,
    },
    {
      name: 'corrupt run.json',
      setup: async () => {
        const r = await makeFakeRun(root, { id: 'torn' });
        fs.writeFileSync(path.join(r.runDir, 'run.json'), '{"formatVersion": 1, "id": ');
        return r.id;
      },
      request: (id) => req({ runId: id, outDir: out }),
      code: 'bad-data',
      message: /run 'torn': .*run\.json is missing or corrupt/,
    },
    {
      name: 'unwritable output folder',
      request: (id) => req({ runId: id, outDir: path.join(out, 'notes.txt', 'sub') }),
      code: 'io',
      message: /cannot write to .*notes\.txt\/sub: a parent in the path is a file, not a folder \((ENOTDIR|EEXIST)\)/,
    },
    { name: 'output path is a file', request: (id) => req({ runId: id, outDir: path.join(out, 'notes.txt') }), code: 'io', message: /exists and is not a folder/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const id = c.setup ? await c.setup() : runId;
      const err = await exportRun(root, c.request(id)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ExportError);
      const lab = exportErrorToLabError(err);
      expect(lab.code).toBe(c.code);
      expect(lab.message).toMatch(c.message);
      expect(lab.message).not.toMatch(/\n\s+at /); // no stack trace
      expect(snapshot(out)).toEqual(before);
      expect(fs.readdirSync(root).filter((n) => n.includes('.export-'))).toEqual([]);
    });
  }

  it('a failed parity check fails loudly and publishes nothing', async () => {
    const err = await exportRun(root, req({ what: 'encoder', outDir: out }), { tolerance: 1e-12, parityInputs: 16 }).then(
      () => null,
      (e: unknown) => e as ExportError,
    );
    expect(err).toBeInstanceOf(ExportError);
    expect(err!.message).toMatch(/failed its parity check against TF\.js, nothing was written: encoder\.onnx: max abs error .* > 1e-12/);
    expect(snapshot(out)).toEqual(before);
    expect(fs.readdirSync(root).filter((n) => n.includes('.export-'))).toEqual([]);
  });

  it('a successful export into an existing folder replaces its own files and keeps the others', async () => {
    await exportRun(root, req({ what: 'encoder', outDir: out, runId }), { parityInputs: 8 });
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('user notes');
    expect(fs.readFileSync(path.join(out, 'encoder.onnx')).length).toBeGreaterThan(1000);
  });
});

describe('exportRun without a stored classifier', () => {
  it('refits the nearest-subspace head from the memory and still passes parity', async () => {
    const r = await makeFakeRun(root, { id: 'no-cls', withClassifier: false });
    const res = await exportRun(root, { runId: r.id, what: 'classifier', format: 'onnx' }, { parityInputs: 64 });
    expect(res.parity).toHaveLength(1);
    expect(res.parity[0]).toMatchObject({ model: 'classifier.onnx', labelsEqual: true, ok: true });
  });
});
