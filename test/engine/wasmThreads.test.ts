// The wasm backend on several threads (main/engine/wasmThreads.ts): it really runs that many, and it computes the
// same closed-loop losses, updates and products as one thread. Threads are fixed per process: each measurement
// is a child process (fixtures/threadProbe.ts).
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, defaultWasmThreads, threadsFromEnv } from '../../main/engine/wasmThreads';

const run = promisify(execFile);
const probe = path.join(__dirname, 'fixtures', 'threadProbe.ts');
const repoRoot = path.join(__dirname, '..', '..');

interface Probe {
  threads: number;
  product: number[];
  steps: Record<string, number>[];
  params: number[][];
}

async function probeWith(threads: number): Promise<Probe> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', probe], {
    cwd: repoRoot,
    env: { ...process.env, CRATE_WASM_THREADS: String(threads) },
    maxBuffer: 64 * 1024 * 1024,
    // the probe ends on its own (no process.exit): a worker that holds the process open fails the test here
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Probe;
}

function maxRelDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(a[i])));
  return worst;
}

describe('wasm threads', () => {
  it('reads CRATE_WASM_THREADS strictly', () => {
    expect(threadsFromEnv(undefined)).toBeNull();
    expect(threadsFromEnv(' ')).toBeNull();
    expect(threadsFromEnv('2')).toBe(2);
    expect(() => threadsFromEnv('0')).toThrow(/CRATE_WASM_THREADS must be a whole number from 1 to 8, got "0"/);
    expect(() => threadsFromEnv('1.5')).toThrow(/got "1.5"/);
    expect(() => threadsFromEnv(String(MAX_WASM_THREADS + 1))).toThrow(/from 1 to 8/);
    expect(defaultWasmThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultWasmThreads()).toBeLessThanOrEqual(MAX_WASM_THREADS);
  });

  it('runs the pool it was asked for, with the same losses, updates and products as one thread', async () => {
    const one = await probeWith(1);
    const two = await probeWith(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    // products and the closed loop agree to float32 tolerance (in practice bit for bit: XNNPACK shares out tiles,
    // it does not change the order of a tile's sums)
    expect(maxRelDiff(one.product, two.product)).toBeLessThan(1e-5);
    for (const [s1, s2] of one.steps.map((s, i) => [s, two.steps[i]] as const)) {
      for (const k of Object.keys(s1)) expect(Number.isFinite(s1[k]) ? Math.abs(s1[k] - s2[k]) / Math.max(1e-3, Math.abs(s1[k])) : 0).toBeLessThan(1e-5);
    }
    expect(one.steps[0].T).not.toBe(one.steps[1].T); // the steps learned something: the comparison is not vacuous
    expect(maxRelDiff(one.params.flat(), two.params.flat())).toBeLessThan(1e-4);
  }, 300_000);
});
