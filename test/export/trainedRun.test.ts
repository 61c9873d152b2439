// Integration with the engine: a real tiny run (2 tasks of 2 digit classes) is trained, exported and reloaded.
// The exported classifier's accuracy on the test split must equal the lab's own evaluation of the last task.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../preload/api';
import { PRESETS } from '../../models/crate/config';
import { loadDataset } from '../../main/data/dataset';
import { exportRun } from '../../main/export/exportRun';
import { loadExport } from '../../main/export/loadExport';
import { runOnnx } from '../../main/export/parity';
import { readKnowledge } from '../../main/store/runFiles';
import { liveTensors, tempRoot, tinyRun, TINY_RECIPE } from '../engine/helpers';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

describe('export of a trained run', () => {
  it('classifier.onnx reproduces the lab\'s accuracy; loadExport restores the run\'s state', async () => {
    const root = tempRoot('export-trained');
    roots.push(root);
    const { runner } = await tinyRun(root);
    await runner.start();
    expect(runner.status).toBe('finished');
    const runId = runner.runId;
    runner.dispose();

    const before = liveTensors();
    const res = await exportRun(root, { runId, what: 'all', format: 'onnx' });
    expect(res.parity.every((p) => p.ok)).toBe(true);
    expect(liveTensors()).toBe(before);

    // the lab's own evaluation after the last task (memory protocol) ...
    const last = readKnowledge(path.join(root, runId)).filter((k): k is TaskRecord => k.kind === 'task').pop()!;
    // ... and the exported classifier on the same test split (the engine's data options)
    const cfg = PRESETS.tiny;
    const ds = await loadDataset('builtin:digits', { shape: [...cfg.imageShape] as [number, number, number], seed: 10, maxPerClass: TINY_RECIPE.maxPerClass });
    const S = 64;
    const keep: number[] = [];
    ds.test.y.forEach((y, i) => last.seen.includes(y) && keep.push(i));
    const x = new Float32Array(keep.length * S);
    keep.forEach((i, k) => x.set(ds.test.x.subarray(i * S, (i + 1) * S), k * S));
    const out = await runOnnx(fs.readFileSync(path.join(res.outDir, 'classifier.onnx')), { image: { data: x, dims: [keep.length, 1, 8, 8] } });
    const pred = out.label.data as BigInt64Array;
    const correct = keep.filter((i, k) => Number(pred[k]) === ds.test.y[i]).length;
    expect(correct / keep.length).toBeCloseTo(last.accAllMemory, 10);
    expect(last.accAllMemory).toBeGreaterThan(0.5); // a real classifier, not chance (4 classes)

    const e = await loadExport(res.outDir);
    try {
      expect(e.classifier.classes).toEqual(last.seen);
      expect(e.memory.perClass.map((p) => p.cls)).toEqual(last.seen);
      expect(e.memory.perClass.every((p) => p.m > 0 && p.z.length === p.m * cfg.featureDim)).toBe(true);
    } finally {
      for (const v of [...e.enc.values(), ...e.dec.values()]) v.dispose();
    }
    expect(liveTensors()).toBe(before);
  }, 300_000);
});
