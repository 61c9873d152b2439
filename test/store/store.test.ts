import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KnowledgeRecord, TaskRecord } from '../../preload/api';
import { writeFileAtomic, writeJsonAtomic, readJsonOrNull } from '../../main/store/atomicFile';
import {
  listCheckpoints,
  readCheckpoint,
  readLatestCheckpoint,
  removeStaleCheckpointTmp,
  writeCheckpoint,
  type CheckpointPayload,
} from '../../main/store/checkpoints';
import { NdjsonWriter, readNdjson, truncateNdjson } from '../../main/store/ndjson';
import { RunIndex } from '../../main/store/runIndex';
import { createRunDir, knowledgeFile, newRunId, summarizeRun, writeStatus, type RunJson } from '../../main/store/runFiles';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-store-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function payload(step: number, seed: number): CheckpointPayload {
  const a = new Float32Array(37).map((_, i) => Math.sin(i * seed + step));
  const b = new Int32Array([1, 2, 3, step]);
  return {
    step,
    tensors: new Map([
      ['enc/W', { shape: [37], dtype: 'float32' as const, data: a }],
      ['mem/labels', { shape: [4], dtype: 'int32' as const, data: b }],
      ['empty', { shape: [0, 16], dtype: 'float32' as const, data: new Float32Array(0) }],
    ]),
    state: { task: 1, rng: [1, 2, 3], note: 'x' },
  };
}

function fakeRun(id: string): RunJson {
  return {
    formatVersion: 1,
    id,
    name: `run ${id}`,
    createdAt: new Date().toISOString(),
    request: { data: 'builtin:digits', preset: 'tiny', backend: 'cpu', classesPerTask: 2, seed: 1, quick: true },
    seed: 1,
    config: {},
    versions: {},
    backend: 'cpu',
    adapter: null,
    data: { spec: 'builtin:digits', classNames: ['0', '1', '2', '3'], shape: [1, 8, 8], conversion: 'x', trainCount: 10, testCount: 5 },
    tasks: [
      [0, 1],
      [2, 3],
    ],
  };
}

function taskRecord(task: number, acc: number): TaskRecord {
  return {
    kind: 'task', task, classes: [2 * task, 2 * task + 1], seen: Array.from({ length: 2 * task + 2 }, (_, i) => i),
    accMemory: [], accPaper: [], accAllMemory: acc, accAllPaper: acc + 0.01, avgIncrementalMemory: acc, avgIncrementalPaper: acc,
    forgetting: [], drift: [], rank: [], codingRate: [], subspaceCos: [], layerCompression: [], layerSparsity: [], memoryBytes: 0, elapsed: 1,
  };
}

describe('atomic files', () => {
  it('replaces content and leaves no temporary files', () => {
    const f = path.join(root, 'a.json');
    writeJsonAtomic(f, { v: 1 });
    writeJsonAtomic(f, { v: 2 });
    expect(readJsonOrNull<{ v: number }>(f)).toEqual({ v: 2 });
    expect(fs.readdirSync(root)).toEqual(['a.json']);
  });
  it('reads a corrupt JSON file as null instead of throwing', () => {
    const f = path.join(root, 'b.json');
    writeFileAtomic(f, '{"v": 1');
    expect(readJsonOrNull(f)).toBeNull();
  });
});

describe('ndjson', () => {
  it('round-trips records and drops a torn last line, then truncates it', () => {
    const f = path.join(root, 'm.ndjson');
    const w = new NdjsonWriter(f);
    w.append({ i: 1 });
    w.append({ i: 2 });
    const len = w.sync();
    w.close();
    fs.appendFileSync(f, '{"i": 3, "tor');
    const r = readNdjson<{ i: number }>(f);
    expect(r.records.map((x) => x.i)).toEqual([1, 2]);
    expect(r.torn).toBe(true);
    expect(r.validBytes).toBe(len);
    expect(truncateNdjson(f)).toBe(len);
    const w2 = new NdjsonWriter(f);
    w2.append({ i: 4 });
    w2.close();
    expect(readNdjson<{ i: number }>(f).records.map((x) => x.i)).toEqual([1, 2, 4]);
  });
  it('truncates to a recorded length (lines written after a checkpoint)', () => {
    const f = path.join(root, 'k.ndjson');
    const w = new NdjsonWriter(f);
    w.append({ i: 1 });
    const atCheckpoint = w.sync();
    w.append({ i: 2 });
    w.close();
    truncateNdjson(f, atCheckpoint);
    expect(readNdjson<{ i: number }>(f).records).toEqual([{ i: 1 }]);
  });
  it('stops at a corrupt middle line', () => {
    const f = path.join(root, 'c.ndjson');
    fs.writeFileSync(f, '{"i":1}\nnot json\n{"i":3}\n');
    expect(readNdjson(f).records).toEqual([{ i: 1 }]);
  });
  it('reads a missing file as empty', () => {
    expect(readNdjson(path.join(root, 'none.ndjson'))).toEqual({ records: [], validBytes: 0, torn: false });
  });
});

describe('checkpoints', () => {
  it('round-trips tensors bit for bit and state', () => {
    const p = payload(10, 3);
    writeCheckpoint(root, p, 3);
    const got = readLatestCheckpoint(root)!;
    expect(got.payload.step).toBe(10);
    expect(got.payload.state).toEqual(p.state);
    for (const [k, t] of p.tensors) {
      const g = got.payload.tensors.get(k)!;
      expect(g.shape).toEqual(t.shape);
      expect(g.dtype).toBe(t.dtype);
      expect(Array.from(g.data)).toEqual(Array.from(t.data));
    }
  });
  it('keeps the last K and points latest at the newest', () => {
    for (const s of [1, 2, 3, 4, 5]) writeCheckpoint(root, payload(s, s), 2);
    expect(listCheckpoints(root)).toEqual([4, 5]);
    expect(readLatestCheckpoint(root)!.payload.step).toBe(5);
  });
  it('falls back to the newest valid checkpoint when latest is corrupt or a tmp folder is left', () => {
    writeCheckpoint(root, payload(1, 1), 5);
    writeCheckpoint(root, payload(2, 2), 5);
    // a writer killed while writing step 3, and a flipped byte in step 2
    fs.mkdirSync(path.join(root, 'checkpoints', '3.tmp'));
    fs.writeFileSync(path.join(root, 'checkpoints', '3.tmp', 'weights.bin'), 'partial');
    const w = path.join(root, 'checkpoints', '2', 'weights.bin');
    const buf = fs.readFileSync(w);
    buf[5] ^= 0xff;
    fs.writeFileSync(w, buf);
    expect(() => readCheckpoint(path.join(root, 'checkpoints', '2'))).toThrow(/checksum/);
    expect(readLatestCheckpoint(root)!.payload.step).toBe(1);
    removeStaleCheckpointTmp(root);
    expect(fs.existsSync(path.join(root, 'checkpoints', '3.tmp'))).toBe(false);
  });
  it('a missing latest pointer still finds the newest folder', () => {
    writeCheckpoint(root, payload(7, 1), 5);
    fs.rmSync(path.join(root, 'checkpoints', 'latest'));
    expect(readLatestCheckpoint(root)!.payload.step).toBe(7);
  });
  it('returns null when there is none', () => {
    expect(readLatestCheckpoint(root)).toBeNull();
  });
});

describe('run index', () => {
  it('lists runs derived from their folders and rebuilds a stale or corrupt index', async () => {
    const id1 = newRunId(new Date(Date.UTC(2026, 0, 1)));
    const id2 = newRunId(new Date(Date.UTC(2026, 0, 2)));
    const r1 = fakeRun(id1);
    const r2 = { ...fakeRun(id2), createdAt: new Date(Date.now() + 1000).toISOString() };
    createRunDir(root, r1);
    createRunDir(root, r2);
    const idx = new RunIndex(root);
    let runs = await idx.list();
    expect(runs.map((r) => r.id)).toEqual([id2, id1]);
    expect(runs[0].status).toBe('created');

    // a task finished while the index was not updated (killed between knowledge append and index write)
    fs.appendFileSync(knowledgeFile(path.join(root, id1)), JSON.stringify(taskRecord(0, 0.9)) + '\n');
    runs = await idx.list();
    const s1 = runs.find((r) => r.id === id1)!;
    expect(s1.tasksDone).toBe(1);
    expect(s1.lastAccuracy).toBeCloseTo(0.9);
    expect((await idx.rawEntries()).find((r) => r.id === id1)!.tasksDone).toBe(1);

    // a corrupt index file is rebuilt, a deleted folder disappears
    fs.writeFileSync(path.join(root, 'lab.json'), '{"formatVersion":1,"runs":[{"id":');
    fs.rmSync(path.join(root, id2), { recursive: true });
    runs = await new RunIndex(root).list();
    expect(runs.map((r) => r.id)).toEqual([id1]);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'lab.json'), 'utf8')).runs).toHaveLength(1);
  });

  it('reports a running run whose process died as interrupted and ignores a torn knowledge line', () => {
    const id = newRunId();
    const dir = createRunDir(root, fakeRun(id));
    writeStatus(dir, { status: 'running', updatedAt: new Date().toISOString(), pid: 2 ** 22 + 12345 });
    const lines: KnowledgeRecord[] = [taskRecord(0, 0.8)];
    fs.writeFileSync(knowledgeFile(dir), lines.map((l) => JSON.stringify(l) + '\n').join('') + '{"kind":"task","ta');
    const s = summarizeRun(dir)!;
    expect(s.status).toBe('interrupted');
    expect(s.tasksDone).toBe(1);
  });
});
