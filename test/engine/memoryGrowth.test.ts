// Memory across tasks (issue 15, item 4): over a five-task tiny run the engine holds the same number of tensors
// at every task end, and its resident memory stops growing once the first tasks have sized the wasm heap.
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../preload/api';
import { readKnowledge } from '../../main/store/runFiles';
import { liveTensors, tempRoot, tinyRun } from './helpers';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const MB = 1024 * 1024;

describe('memory across tasks', () => {
  it('holds no more tensors and no more memory at the fifth task end than at the second', async () => {
    const root = tempRoot('growth');
    roots.push(root);
    const before = liveTensors();
    const { runner } = await tinyRun(root, {}, { tasks: 5 });
    await runner.start();
    expect(runner.status).toBe('finished');
    const records = readKnowledge(runner.runDir).filter((k): k is TaskRecord => k.kind === 'task');
    expect(records).toHaveLength(5);
    const tensors = records.map((r) => r.tensors!);
    const rss = records.map((r) => r.rssBytes!);
    expect(tensors.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
    // the memory of old classes lives on the host (typed arrays): a task adds classes, not tensors
    expect(new Set(tensors.slice(1)).size, `tensors at task ends: ${tensors.join(', ')}`).toBe(1);
    // resident memory: a leak of one batch of features per task would add megabytes per task; allow 48 MB of noise
    expect(rss[4] - rss[1], `RSS at task ends (MB): ${rss.map((b) => (b / MB).toFixed(0)).join(', ')}`).toBeLessThan(48 * MB);
    runner.dispose();
    expect(liveTensors()).toBe(before);
  }, 600_000);
});
