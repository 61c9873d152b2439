/**
 * A finished run on disk built with the store API (main/store) and the real tiny-preset parameters, in the layout
 * main/engine writes: run.json config.model, status 'finished', knowledge/metrics ndjson, and one checkpoint holding
 * 'enc/…', 'dec/…', the memory 'mem/<c>/{z,mean,basis,sigma}' and the classifier 'cls/<c>/{mean,basis,sigma}'.
 * Memory rows are unit vectors clustered around a random direction per class, so the classifier is meaningful.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KnowledgeEvent, MetricRecord, TaskRecord } from '../../preload/api';
import { PRESETS, type CrateConfig } from '../../models/crate/config';
import { initDecoderParams, initEncoderParams } from '../../models/crate/params';
import { writeCheckpoint, type TensorRecord } from '../../main/store/checkpoints';
import { NdjsonWriter } from '../../main/store/ndjson';
import { createRunDir, knowledgeFile, metricsFile, writeStatus, type RunJson } from '../../main/store/runFiles';
import { randomArray } from './crateReference';

export interface FakeRunOptions {
  id?: string;
  status?: 'finished' | 'running';
  withClassifier?: boolean;
  data?: string;
  cfg?: CrateConfig;
}

/** Orthonormal basis (F, r) of the first r centred rows (Gram–Schmidt), their norms as σ. */
function subspaceOf(z: Float32Array, m: number, F: number, r: number): { mean: Float32Array; basis: Float32Array; sigma: Float32Array } {
  const mean = new Float32Array(F);
  for (let i = 0; i < m; i++) for (let f = 0; f < F; f++) mean[f] += z[i * F + f] / m;
  const cols: Float64Array[] = [];
  const sigma: number[] = [];
  for (let i = 0; i < m && cols.length < r; i++) {
    const v = Float64Array.from({ length: F }, (_, f) => z[i * F + f] - mean[f]);
    for (const u of cols) {
      const d = v.reduce((a, x, k) => a + x * u[k], 0);
      for (let k = 0; k < F; k++) v[k] -= d * u[k];
    }
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    if (n < 1e-6) continue;
    cols.push(v.map((x) => x / n));
    sigma.push(n);
  }
  const basis = new Float32Array(F * cols.length);
  for (let f = 0; f < F; f++) for (let c = 0; c < cols.length; c++) basis[f * cols.length + c] = cols[c][f];
  return { mean, basis, sigma: Float32Array.from(sigma) };
}

export async function makeFakeRun(runsRoot: string, o: FakeRunOptions = {}): Promise<{ id: string; runDir: string; cfg: CrateConfig }> {
  const cfg = o.cfg ?? PRESETS.tiny;
  const id = o.id ?? '20261128-120000-test';
  const F = cfg.featureDim;
  const classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  const run: RunJson = {
    formatVersion: 1,
    id,
    name: 'fake tiny run',
    createdAt: '2026-11-28T12:00:00.000Z',
    request: { data: o.data ?? 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true },
    seed: 1,
    config: { model: cfg, recipe: { subspaceRank: 3 }, dataSplitSeed: 10 },
    versions: { node: process.version, tfjs: '4.22.0' },
    backend: 'cpu',
    adapter: null,
    data: { spec: o.data ?? 'builtin:digits', classNames, shape: [...cfg.imageShape] as [number, number, number], conversion: '8x8 grey', trainCount: 40, testCount: 20 },
    tasks: [
      [0, 1],
      [2, 3],
    ],
    settings: ['quick', 'seed 1', 'subspaceRank 3'],
  };
  const runDir = createRunDir(runsRoot, run);
  const tensors = new Map<string, TensorRecord>();
  for (const p of [initEncoderParams(cfg, 1), initDecoderParams(cfg, 2)]) {
    for (const [name, v] of p) {
      tensors.set(name, { shape: v.shape.slice(), dtype: 'float32', data: new Float32Array(await v.data()) });
      v.dispose();
    }
  }
  const classes = [0, 1, 2, 3];
  const m = 12;
  for (const c of classes) {
    const centre = randomArray(F, 100 + c);
    const z = new Float32Array(m * F);
    for (let i = 0; i < m; i++) {
      const noise = randomArray(F, 1000 * c + i, 0.3);
      let n = 0;
      for (let f = 0; f < F; f++) n += (z[i * F + f] = centre[f] + noise[f]) ** 2;
      for (let f = 0; f < F; f++) z[i * F + f] /= Math.sqrt(n);
    }
    const s = subspaceOf(z, m, F, 3);
    tensors.set(`mem/${c}/z`, { shape: [m, F], dtype: 'float32', data: z });
    tensors.set(`mem/${c}/mean`, { shape: [F], dtype: 'float32', data: s.mean });
    tensors.set(`mem/${c}/basis`, { shape: [F, s.sigma.length], dtype: 'float32', data: s.basis });
    tensors.set(`mem/${c}/sigma`, { shape: [s.sigma.length], dtype: 'float32', data: s.sigma });
    if (o.withClassifier !== false) {
      const k = subspaceOf(z, m, F, 2); // the classifier differs from the memory statistics (rank 2 here)
      tensors.set(`cls/${c}/mean`, { shape: [F], dtype: 'float32', data: k.mean });
      tensors.set(`cls/${c}/basis`, { shape: [F, k.sigma.length], dtype: 'float32', data: k.basis });
      tensors.set(`cls/${c}/sigma`, { shape: [k.sigma.length], dtype: 'float32', data: k.sigma });
    }
  }
  writeCheckpoint(runDir, { step: 40, tensors, state: { task: 2 } }, 3);

  const metrics = new NdjsonWriter(metricsFile(runDir));
  for (let step = 1; step <= 40; step++) {
    const T = 10 + Math.log(step);
    const rec: MetricRecord = { type: 'step', task: step > 20 ? 1 : 0, step, taskStep: ((step - 1) % 20) + 1, lossEncoder: -T, lossDecoder: T, T, deltaRZ: 5, deltaRZhat: 4, pairTerm: 1, samplesPerSec: 100, time: step };
    metrics.append(rec);
  }
  const knowledge = new NdjsonWriter(knowledgeFile(runDir));
  const task = (t: number, seen: number[], acc: number[]): TaskRecord => ({
    kind: 'task', task: t, classes: t === 0 ? [0, 1] : [2, 3], seen, accMemory: acc, accPaper: acc.map((a) => Math.min(1, a + 0.02)),
    accAllMemory: acc.reduce((a, b) => a + b, 0) / acc.length, accAllPaper: 0.9, avgIncrementalMemory: 0.85, avgIncrementalPaper: 0.9,
    forgetting: acc.map(() => 0), drift: seen.slice(2).map(() => 0.1), rank: seen.map(() => 3), codingRate: seen.map(() => 2),
    subspaceCos: seen.map((_, i) => seen.map((__, j) => (i === j ? 1 : 0.3))), layerCompression: [1], layerSparsity: [0.5],
    memoryBytes: 4096 * seen.length, elapsed: 10 * (t + 1),
    baselines: { frozenMemory: 0.8 - 0.05 * t, frozenLda: 0.78, ...(t === 1 ? { rawPixelLast: 0.9 } : {}) },
    loopFidelity: {
      reconstruction: acc.map((a) => a - 0.1), decodedMemory: acc.map((a) => a - 0.05), decodedMemoryPixel: acc.map((a) => a - 0.2),
      reconstructionAll: 0.8 - 0.05 * t, decodedMemoryAll: 0.85 - 0.05 * t, decodedMemoryPixelAll: 0.7 - 0.05 * t,
    },
  });
  const event: KnowledgeEvent = { kind: 'event', event: 'finished', task: 1, step: 40, time: 40, message: 'run finished' };
  knowledge.append(task(0, [0, 1], [0.95, 0.9]));
  knowledge.append(task(1, [0, 1, 2, 3], [0.9, 0.85, 0.8, 0.75]));
  knowledge.append(event);
  metrics.close();
  knowledge.close();
  writeStatus(runDir, { status: o.status ?? 'finished', updatedAt: '2026-11-28T12:10:00.000Z' });
  fs.mkdirSync(path.join(runDir, 'exports'), { recursive: true });
  return { id, runDir, cfg };
}
