// Memory across tasks (issue 15, item 4): over a five-task tiny run the engine holds the same number of tensors
// at every task end, and its memory stops growing once the first tasks have sized the wasm heap. Garbage is collected
// before each reading (main/engine/runner/memoryProbe.ts): unforced, RSS followed GC timing (25 MB/task on CI).
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../preload/api';
import { readKnowledge } from '../../main/store/runFiles';
import { liveTensors, tempRoot, tinyRun } from './helpers';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const MB = 1024 * 1024;

// expose V8's collector to the engine's probe in this worker only (the flag must be set before a context asks for it)
v8.setFlagsFromString('--expose-gc');
const g = globalThis as { gc?: () => void };
const hadGc = typeof g.gc === 'function';
if (!hadGc) g.gc = vm.runInNewContext('gc') as () => void;
afterAll(() => {
  if (!hadGc) delete g.gc;
});

describe('memory across tasks', () => {
  it('holds no more tensors at any task end after the first, and its memory does not grow with every task', async () => {
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
    const heap = records.map((r) => r.heapBytes!);
    expect(tensors.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
    // the memory of old classes lives on the host (typed arrays): a task adds classes, not tensors
    expect(new Set(tensors.slice(1)).size, `tensors at task ends: ${tensors.join(', ')}`).toBe(1);
    // A leak grows memory at every task; the readings also wander (transient task-end data still live, other work
    // in flight), by up to 12.6 MB between two tasks in the full suite, but never upward at every task. So the test
    // asks that at least one of the steps task 2 → 3 → 4 → 5 grows by less than a bound. Measured here (2026-12-07):
    // heap steps within −1.6…+12.6 MB, the smallest of three at most 1.3 MB; a leak of 5 MB of floats per task, put
    // in by hand, gave steps of 3.1 to 13.4 MB in two runs and failed both.
    const mb = (xs: number[]) => xs.map((b) => (b / MB).toFixed(1)).join(', ');
    const smallestStep = (xs: number[]) => Math.min(...xs.slice(2).map((x, i) => x - xs[i + 1]));
    expect(heap.every((n) => Number.isFinite(n) && n > 0)).toBe(true);
    expect(smallestStep(heap), `JS heap and ArrayBuffers at task ends (MB): ${mb(heap)}`).toBeLessThan(2 * MB);
    // resident memory, wasm heap and native buffers included: about 4 MB per task of allocator growth here
    expect(smallestStep(rss), `RSS at task ends (MB): ${mb(rss)}`).toBeLessThan(8 * MB);
    runner.dispose();
    expect(liveTensors()).toBe(before);
  }, 600_000);
});
