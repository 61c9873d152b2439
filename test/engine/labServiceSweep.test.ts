// The window's sweep: LabService.startSweep trains the settings once per seed, one run after another, records them in
// the sweep file with each member's summary, and listGroups gives the group with mean ± sample std over the runs.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FigureStats, StartRunRequest } from '../../preload/api';
import { createLabService, type LabService, type StartRunRequestExt } from '../../main/engine/labService';
import { readRunJson, runDirOf } from '../../main/store/runFiles';
import { readSweep } from '../../main/store/sweepFiles';
import { TINY_RECIPE, TINY_REQUEST, tempRoot } from './helpers';

let root: string;
let svc: LabService;
beforeAll(async () => {
  root = tempRoot('svc-sweep');
  svc = await createLabService({ runsRoot: root, backend: 'wasm', host: 'cli' });
});
afterAll(async () => {
  await svc.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function until<T>(fn: () => T | undefined | null | false, ms = 180_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LabService sweeps', () => {
  it('runs one member per seed in turn and lists their group with mean ± std', async () => {
    const run: StartRunRequestExt = { ...TINY_REQUEST, orderSeed: 2, recipe: { ...TINY_RECIPE, maxPerClass: 40, warmupEpochs: 2, epochs: 1 } };
    const bad = await svc.startSweep({ run, seeds: [] });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const r = await svc.startSweep({ run: run as StartRunRequest, seeds: [7, 8], group: 'window-sweep' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.group).toBe('window-sweep');
    // one run at a time: another start is refused while the sweep trains
    expect(await svc.startRun({ ...TINY_REQUEST })).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const done = await until(() => {
      const s = readSweep(root, 'window-sweep');
      return s && s.members.every((m) => m.status === 'finished') ? s : null;
    });
    expect(done.members[0].runId).toBe(r.value.runId);
    expect(done.members.map((m) => readRunJson(runDirOf(root, m.runId!))!.seed)).toEqual([7, 8]);
    // each member's summary is the one `train --json` prints
    for (const m of done.members) expect(m.summary).toMatchObject({ type: 'summary', status: 'finished', runId: m.runId });

    const groups = await svc.listGroups();
    expect(groups.ok).toBe(true);
    if (!groups.ok) return;
    const g = groups.value.find((x) => x.sweeps.includes('window-sweep'))!;
    expect([...g.finishedIds].sort()).toEqual(done.members.map((m) => m.runId!).sort());
    const acc = done.members.map((m) => m.summary!['last_accuracy'] as number);
    const f: FigureStats = g.figures['accAllMemory'];
    expect(f.mean).toBeCloseTo((acc[0] + acc[1]) / 2, 10);
    expect(f.std!).toBeCloseTo(Math.abs(acc[0] - acc[1]) / Math.SQRT2, 10); // sample std of two values
    expect(f.values.map((v) => v.seed)).toEqual([7, 8]);
    const runs = await svc.listRuns();
    expect(runs.ok && runs.value.filter((x) => x.sweep === 'window-sweep').map((x) => [x.seed, x.orderSeed])).toEqual([
      [8, 2],
      [7, 2],
    ]);
  }, 300_000);
});
