// Knowledge increment across separate uses of the lab: a finished tiny run learns digits 0 and 1, is exported, and a
// new run started `--from` the export learns digits 2 and 3 on top. The old classes keep their indices and memory,
// only the new classes are trained, and the old classes' accuracy from memory after the new task stays within a stated
// bound of what the source run measured.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../preload/api';
import { exportRun } from '../../main/export/exportRun';
import { createRun, openRun } from '../../main/engine/session';
import { UsageError } from '../../main/engine/sessionErrors';
import { readKnowledge, readRunJson } from '../../main/store/runFiles';
import { tempRoot, tinyDeps, tinyRun, TINY_RECIPE, TINY_REQUEST } from './helpers';

const repo = path.resolve(__dirname, '../..');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/**
 * Allowed drop of the old classes' mean accuracy (from memory) between the source's last evaluation (a 2-way problem)
 * and the continued run's (a 4-way problem after a new task): the encoder is trained further with the memory replayed,
 * and the old classes now compete with two new ones, so some loss is expected; forgetting them would cost ~0.5.
 */
const MAX_OLD_DROP = 0.15;

const tasksOf = (dir: string) => readKnowledge(dir).filter((k): k is TaskRecord => k.kind === 'task');
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('train --from an export', () => {
  it('starts with the old classes known, learns only the new ones and keeps the old ones\' accuracy', async () => {
    const root = tempRoot('continue');
    roots.push(root);
    // 1. a finished source run: digits 0 and 1
    const { runner: source } = await tinyRun(root, {}, { tasks: 1 });
    await source.start();
    expect(source.status).toBe('finished');
    const srcLast = tasksOf(source.runDir).pop()!;
    expect(srcLast.seen).toEqual([0, 1]);
    const srcMem = new Map([...source.memory.classes].map(([c, e]) => [c, Float32Array.from(e.z)]));
    source.dispose();
    const exp = await exportRun(root, { runId: source.runId, what: 'all', format: 'tfjs' });

    // 2. continue from the export on digits 2 and 3 (0 and 1 are known: skipped, used only as evaluation data)
    const { deps } = await tinyDeps(root);
    // no drift compensation here, so that "the source's memory is used as it is" can be checked exactly
    const runner = await createRun(deps, { req: { ...TINY_REQUEST, preset: '', from: exp.outDir, order: [0, 1, 2, 3] }, recipe: { ...TINY_RECIPE, driftCompensation: 0 } });
    const run = readRunJson(runner.runDir)!;
    expect(run.from).toEqual({ source: exp.outDir, kind: 'export', runId: source.runId, known: [0, 1] });
    expect(run.tasks).toEqual([[2, 3]]);
    expect(run.request.preset).toBe('tiny');
    expect(run.data.classNames.slice(0, 4)).toEqual(['0', '1', '2', '3']);
    // the old classes are known before any training, with the source's memory vectors
    expect([...runner.memory.classes.keys()]).toEqual([0, 1]);
    for (const [c, z] of srcMem) expect(runner.memory.classes.get(c)!.z).toEqual(z);

    await runner.start();
    expect(runner.status, runner.lastMessage).toBe('finished');
    const recs = tasksOf(runner.runDir);
    expect(recs).toHaveLength(1);
    const r = recs[0];
    expect(r.classes).toEqual([2, 3]);
    expect(r.seen).toEqual([0, 1, 2, 3]);
    // the old classes' memory is the source's, untouched by the new task
    for (const [c, z] of srcMem) expect(runner.memory.classes.get(c)!.z).toEqual(z);
    // new classes learned: well above chance (0.25) in the 4-way problem
    expect(mean(r.accMemory.slice(2))).toBeGreaterThan(0.6);
    // old classes kept
    const before = mean(srcLast.accMemory);
    const after = mean(r.accMemory.slice(0, 2));
    expect(after, `old classes: ${before.toFixed(3)} in the source, ${after.toFixed(3)} after the new task`).toBeGreaterThanOrEqual(before - MAX_OLD_DROP);
    runner.dispose();

    // 3. a run id or a run folder works as a source too; a continued run reopened before its first checkpoint starts
    // again from its source (same class indices)
    for (const from of [source.runId, source.runDir]) {
      const c = await createRun(deps, { req: { ...TINY_REQUEST, preset: '', from, order: [2, 3] }, recipe: TINY_RECIPE });
      expect(readRunJson(c.runDir)!.from).toMatchObject({ kind: 'run', runId: source.runId, known: [0, 1] });
      expect([...c.memory.classes.keys()]).toEqual([0, 1]);
      c.dispose();
      const again = await openRun(deps, c.runId);
      expect([...again.memory.classes.keys()]).toEqual([0, 1]);
      expect(again.tasks).toEqual([[2, 3]]);
      again.dispose();
    }

    // 4. bad input: a preset that is not the source's, a source that is not finished
    await expect(createRun(deps, { req: { ...TINY_REQUEST, preset: 'mnist-s', from: exp.outDir }, recipe: TINY_RECIPE })).rejects.toThrow(/preset 'tiny', not 'mnist-s'/);
    await expect(createRun(deps, { req: { ...TINY_REQUEST, preset: '', from: exp.outDir }, recipe: TINY_RECIPE, model: { featureDim: 32 } })).rejects.toThrow(/16 dimensions, not 32/);
    const { runner: unfinished } = await tinyRun(root, {}, { tasks: 1 });
    unfinished.dispose();
    await expect(createRun(deps, { req: { ...TINY_REQUEST, from: unfinished.runId }, recipe: TINY_RECIPE })).rejects.toThrow(UsageError);
    await expect(createRun(deps, { req: { ...TINY_REQUEST, from: unfinished.runId }, recipe: TINY_RECIPE })).rejects.toThrow(/not finished/);
  }, 300_000);

  it('null-space learning: the span of the known classes\' head inputs goes into the export and on into the continued run', async () => {
    const root = tempRoot('continue-null');
    roots.push(root);
    const { runner: source } = await tinyRun(root, { nullSpaceEnergy: 0.99 }, { tasks: 1 });
    await source.start();
    expect(source.status).toBe('finished');
    const basis = source.memory.activations!;
    expect(basis.k).toBeGreaterThan(0);
    source.dispose();
    const exp = await exportRun(root, { runId: source.runId, what: 'all', format: 'tfjs' });
    const json = JSON.parse(fs.readFileSync(path.join(exp.outDir, 'memory.json'), 'utf8'));
    expect(json.arrays.activations.shape).toEqual([basis.dim, basis.k]);
    const { deps, events } = await tinyDeps(root);
    const runner = await createRun(deps, { req: { ...TINY_REQUEST, preset: '', from: exp.outDir, order: [0, 1, 2, 3] }, recipe: { ...TINY_RECIPE, nullSpaceEnergy: 0.99 } });
    expect(runner.memory.activations!.k).toBe(basis.k);
    expect(Array.from(runner.memory.activations!.U)).toEqual(Array.from(basis.U));
    await runner.start();
    expect(runner.status, runner.lastMessage).toBe('finished');
    // the basis grew with the new classes, and no task learned without it
    expect(runner.memory.activations!.k).toBeGreaterThanOrEqual(basis.k);
    const logs = events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message);
    expect(logs.some((m) => /without protecting/.test(m))).toBe(false);
    expect(logs.some((m) => /null space: old classes' head inputs span/.test(m))).toBe(true);
    runner.dispose();
  }, 300_000);

  it('CLI: --from a missing folder exits with code 2 and says what is missing', () => {
    const root = tempRoot('continue-cli');
    roots.push(root);
    const missing = path.join(root, 'no-such-export');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'train', '--runs-root', root, '--backend', 'cpu', '--from', missing], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--from ${missing}: no such run`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 120_000);
});
