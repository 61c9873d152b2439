// The LabService in process: Result values, control (pause, step N, resume, next task, stop, autonomous off),
// resume after stop, run listing/detail/deletion, and watch mode (a new class folder becomes a task).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../models/crate/config';
import { countSpecs, encoderSpecs } from '../../models/crate/params';
import type { LabEvent, ProgressEvent, RunStatus, TaskRecord } from '../../preload/api';
import { createLabService, type LabService } from '../../main/engine/labService';
import { reconstructionCounts } from '../../main/engine/runner/taskViews';
import { TINY_RECIPE, TINY_REQUEST, tempRoot } from './helpers';

let root: string;
let svc: LabService;
const events: LabEvent[] = [];
beforeAll(async () => {
  root = tempRoot('svc');
  svc = await createLabService({ runsRoot: root, backend: 'wasm', host: 'cli' });
  svc.subscribe((e) => events.push(e));
});
afterAll(async () => {
  await svc.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function until<T>(fn: () => T | undefined | null | false, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const statusOf = (id: string): RunStatus | undefined =>
  [...events].reverse().find((e): e is Extract<LabEvent, { type: 'run-status' }> => e.type === 'run-status' && e.runId === id)?.status;
const lastStep = (id: string) => [...events].reverse().find((e): e is ProgressEvent => e.type === 'progress' && e.runId === id)?.step ?? 0;

describe('LabService', () => {
  it('answers system, presets and bad requests as Result values', async () => {
    const sys = await svc.system();
    expect(sys.ok).toBe(true);
    if (sys.ok) expect(sys.value.chosen).toBe('wasm');
    const presets = await svc.presets();
    expect(presets.ok && presets.value.map((p) => p.name)).toContain('tiny');
    // the network a run trains: flat pooling over 16 tokens of width 128, not the bare preset's class token
    const digits = presets.ok ? presets.value.find((p) => p.name === 'mnist-s') : undefined;
    expect(digits).toMatchObject({ featureDim: 128, pool: 'flat' });
    const bare = countSpecs(encoderSpecs(PRESETS['mnist-s']));
    expect(digits!.encoderParams - bare).toBe((16 - 1) * 128 * 128 + 2 * (16 * 128 - 128)); // head W and its LayerNorm see 16 tokens
    const bad = await svc.startRun({ ...TINY_REQUEST, preset: 'nope' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const badData = await svc.startRun({ ...TINY_REQUEST, data: 'idx:/no/such' });
    expect(badData).toMatchObject({ ok: false, error: { code: 'bad-data' } });
    expect(await svc.getRun('nope')).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await svc.control({ runId: 'nope', action: 'pause' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const ex = await svc.exportRun({ runId: 'nope', what: 'all', format: 'onnx' });
    expect(ex.ok).toBe(false);
  });

  it('pauses, steps exactly N, moves to the next task, stops, and resumes to the end', async () => {
    const r = await svc.startRun({ ...TINY_REQUEST, tasks: 2, recipe: { ...TINY_RECIPE, warmupEpochs: 30, checkpointEvery: 4 } } as never);
    expect(r.ok).toBe(true);
    const id = r.ok ? r.value.runId : '';
    await until(() => lastStep(id) >= 2);
    expect((await svc.control({ runId: id, action: 'pause' })).ok).toBe(true);
    await until(() => statusOf(id) === 'paused');
    const at = lastStep(id);
    await new Promise((res) => setTimeout(res, 300));
    expect(lastStep(id)).toBe(at); // really paused
    await svc.control({ runId: id, action: 'step', steps: 3 });
    await until(() => lastStep(id) === at + 3);
    await new Promise((res) => setTimeout(res, 300));
    expect(lastStep(id)).toBe(at + 3);
    // next task: the long warm-up of task 1 is cut short
    await svc.control({ runId: id, action: 'nextTask' });
    const first = await until(() => events.find((e): e is Extract<LabEvent, { type: 'task-result' }> => e.type === 'task-result' && e.runId === id));
    expect(first.record.task).toBe(0);
    await svc.control({ runId: id, action: 'stop' });
    await until(() => statusOf(id) === 'stopped');
    const list = await svc.listRuns();
    expect(list.ok && list.value.find((s) => s.id === id)?.status).toBe('stopped');
    // resume continues to the end
    expect((await svc.resumeRun(id)).ok).toBe(true);
    await until(() => statusOf(id) === 'finished');
    const detail = await svc.getRun(id);
    expect(detail.ok).toBe(true);
    if (detail.ok) {
      const tasks = detail.value.knowledge.filter((k): k is TaskRecord => k.kind === 'task');
      expect(tasks.map((t) => t.task)).toEqual([0, 1]);
      const kinds = detail.value.knowledge.filter((k) => k.kind === 'event').map((k) => (k as { event: string }).event);
      expect(kinds).toContain('stopped');
      expect(kinds).toContain('resumed');
      const steps = detail.value.metrics.map((m) => m.step);
      expect(steps).toEqual(steps.map((_, i) => i + 1));
      expect(detail.value.summary.tasksDone).toBe(2);
      // the last task end's reconstructions are kept with the run: pairs for the new classes, memory for the old
      const rec = detail.value.reconstructions;
      expect(rec?.task).toBe(1);
      expect(rec?.rows.map((r) => `${r.cls}:${r.kind}`).sort()).toEqual(['0:memory', '1:memory', '2:pair', '3:pair']);
      const live = [...events].reverse().find((e): e is Extract<LabEvent, { type: 'reconstructions' }> => e.type === 'reconstructions' && e.runId === id);
      expect(rec?.rows[0].xhat.b64).toBe(live?.rows[0].xhat.b64); // the same pictures the window was sent
      // and the feature snapshot of that task end, for the 3D view of a reopened run
      const liveSnap = [...events].reverse().find((e): e is Extract<LabEvent, { type: 'snapshot' }> => e.type === 'snapshot' && e.runId === id);
      expect(detail.value.snapshot?.task).toBe(1);
      expect(detail.value.snapshot?.labels.length).toBeGreaterThan(0);
      expect(detail.value.snapshot?.features.b64).toBe(liveSnap?.features.b64);
      expect(detail.value.snapshot?.classes.map((c) => c.cls)).toEqual([0, 1, 2, 3]);
      // as many images as the window shows: 3 pairs per new class, 6 memory samples per old class (of two)
      expect(rec?.rows.map((r) => `${r.kind}:${r.xhat.shape[0]}:${r.x?.shape[0] ?? '-'}`).sort()).toEqual(['memory:6:-', 'memory:6:-', 'pair:3:3', 'pair:3:3']);
      // a damaged file is no error: the run just has none
      fs.writeFileSync(path.join(root, id, 'reconstructions.json'), '{"type":"reconstr');
      fs.writeFileSync(path.join(root, id, 'snapshot.json'), '{"type":"snapshot","labels":3}');
      const again = await svc.getRun(id);
      expect(again.ok && again.value.reconstructions).toBeNull();
      expect(again.ok && again.value.snapshot).toBeNull();
    }
    expect(events.some((e) => e.type === 'snapshot' && e.runId === id)).toBe(true);
    const rec = events.find((e): e is Extract<LabEvent, { type: 'reconstructions' }> => e.type === 'reconstructions' && e.runId === id && e.task >= 1);
    expect(rec?.rows.some((row) => row.kind === 'memory')).toBe(true);
    expect((await svc.deleteRun(id)).ok).toBe(true);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  }, 300_000);

  it('the window\'s decoder-phase switch (decoderEpochs) reaches the recipe, the metrics and the progress events', async () => {
    const bad = await svc.startRun({ ...TINY_REQUEST, decoderEpochs: -2 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const r = await svc.startRun({ ...TINY_REQUEST, tasks: 1, decoderEpochs: 2, recipe: TINY_RECIPE } as never);
    expect(r.ok).toBe(true);
    const id = r.ok ? r.value.runId : '';
    await until(() => statusOf(id) === 'finished');
    const detail = await svc.getRun(id);
    expect(detail.ok).toBe(true);
    if (detail.ok) {
      expect((detail.value.config as { recipe: { decoderEpochs: number } }).recipe.decoderEpochs).toBe(2);
      const phases = detail.value.metrics.map((m) => m.phase);
      // warm-up, then loop, then the decoder phase: 2 epochs of ⌊240 / 64⌋ steps, last in the task
      expect(phases.filter((p) => p === 'decoder')).toHaveLength(2 * Math.floor(240 / 64));
      expect(phases.slice(phases.indexOf('decoder')).every((p) => p === 'decoder')).toBe(true);
      expect(phases.indexOf('loop')).toBeGreaterThan(phases.lastIndexOf('warmup'));
    }
    expect(events.some((e) => e.type === 'progress' && e.runId === id && e.phase === 'decoder')).toBe(true);
  }, 180_000);

  it('pauses inside the last task\'s baselines (the no-memory re-run) and goes on from there on resume', async () => {
    const r = await svc.startRun({ ...TINY_REQUEST, tasks: 2, recipe: { ...TINY_RECIPE, baselines: true, epochs: 30 } } as never);
    const id = r.ok ? r.value.runId : '';
    const logged = (text: string) => events.some((e) => e.type === 'log' && e.runId === id && e.message.includes(text));
    await until(() => logged('re-running the curriculum without memory'));
    expect((await svc.control({ runId: id, action: 'pause' })).ok).toBe(true);
    await until(() => statusOf(id) === 'paused', 30_000);
    const results = () => events.filter((e) => e.type === 'task-result' && e.runId === id).length;
    const activities = () => events.filter((e): e is Extract<LabEvent, { type: 'activity' }> => e.type === 'activity' && e.runId === id);
    const heldAt = activities().length;
    await new Promise((res) => setTimeout(res, 2500)); // the re-run alone takes about a second when not held
    expect(statusOf(id)).toBe('paused');
    expect(results()).toBe(1); // the last task's record waits for its baselines
    expect(activities()).toHaveLength(heldAt); // and the re-run reports no progress while held
    await svc.control({ runId: id, action: 'resume' });
    await until(() => statusOf(id) === 'finished');
    const last = [...events].reverse().find((e): e is Extract<LabEvent, { type: 'task-result' }> => e.type === 'task-result' && e.runId === id);
    expect(last?.record.task).toBe(1);
    expect(last?.record.baselines?.noMemoryLastMemory).toBeGreaterThan(0); // the re-run finished after the pause
    // between steps the run says what it does: each task end evaluates, the last one then measures its baselines,
    // and the re-run without memory reports how far it is (nothing moved while it was held)
    const acts = activities();
    expect(acts.filter((a) => a.activity === 'evaluating')).toHaveLength(2);
    const rerun = acts.filter((a) => a.activity === 'baselines' && a.fraction !== null);
    expect(rerun.length).toBeGreaterThanOrEqual(2);
    expect(rerun[0].detail).toMatch(/without memory · task 2 of 2/);
    const fr = rerun.map((a) => a.fraction!);
    expect(fr).toEqual([...fr].sort((a, b) => a - b));
    expect(fr[fr.length - 1]).toBeGreaterThan(0.5);
    // with how long the run has left (the re-run is the end of it), falling as it goes
    const etas = rerun.map((a) => a.etaSec).filter((v): v is number => typeof v === 'number');
    expect(etas.length).toBeGreaterThanOrEqual(2);
    expect(etas[etas.length - 1]).toBeLessThan(etas[0]);
    // and every step after the first reports one
    const steps = events.filter((e): e is Extract<LabEvent, { type: 'progress' }> => e.type === 'progress' && e.runId === id);
    expect(steps.slice(1).every((e) => typeof e.etaSec === 'number' && e.etaSec >= 0)).toBe(true);
    expect(acts[acts.length - 1].activity).toBeNull(); // and the activity ends with the task
  }, 180_000);

  it('bounds the reconstructions a task end keeps when many classes are old', () => {
    expect(reconstructionCounts(8)).toEqual({ pairs: 3, memory: 6 });
    expect(reconstructionCounts(30)).toEqual({ pairs: 3, memory: 4 });
    // CIFAR-100's last task: 98 old classes, one sample each; float32 in base64, 32×32×3 images
    const c = reconstructionCounts(98);
    const bytes = (2 * c.pairs * 2 + 98 * c.memory) * 32 * 32 * 3 * 4 * (4 / 3);
    expect(bytes).toBeLessThan(2e6);
  });

  it('with autonomous off pauses after each task until told to go on', async () => {
    const r = await svc.startRun({ ...TINY_REQUEST, tasks: 2, autonomous: false, recipe: { ...TINY_RECIPE } } as never);
    const id = r.ok ? r.value.runId : '';
    await until(() => statusOf(id) === 'paused' && events.some((e) => e.type === 'task-result' && e.runId === id));
    await new Promise((res) => setTimeout(res, 300));
    expect(events.filter((e) => e.type === 'task-result' && e.runId === id)).toHaveLength(1);
    await svc.control({ runId: id, action: 'resume' });
    await until(() => statusOf(id) === 'finished');
    expect(events.filter((e) => e.type === 'task-result' && e.runId === id)).toHaveLength(2);
  }, 300_000);

  it('in watch mode learns a class folder that appears and is stable', async () => {
    const watch = path.join(root, 'watched');
    const mk = (cls: string, n: number, bright: number) => {
      fs.mkdirSync(path.join(watch, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        const png = new PNG({ width: 8, height: 8 });
        for (let p = 0; p < 64; p++) {
          const on = (cls === 'a' ? p % 8 < 4 : cls === 'b' ? p < 32 : (p + (p >> 3)) % 2 === 0) ? bright : 0;
          const v = Math.min(255, on + ((i * 37 + p * 11) % 40));
          png.data.set([v, v, v, 255], p * 4);
        }
        fs.writeFileSync(path.join(watch, cls, `${i}.png`), PNG.sync.write(png));
      }
    };
    mk('a', 20, 200);
    mk('b', 20, 200);
    const r = await svc.startRun({
      data: `folder:${watch}`, preset: 'tiny', backend: 'wasm', classesPerTask: 2, seed: 1, quick: false, watchDir: watch,
      recipe: { ...TINY_RECIPE, maxPerClass: 0, warmupEpochs: 2, epochs: 1, batchSize: 16 },
    } as never);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const id = r.ok ? r.value.runId : '';
    await until(() => events.some((e) => e.type === 'task-result' && e.runId === id));
    mk('c', 20, 220);
    const found = await until(() => events.find((e) => e.type === 'knowledge' && e.runId === id && e.record.event === 'watch-found'));
    expect(JSON.stringify(found)).toMatch(/\bc\b/);
    const second = await until(() => events.find((e): e is Extract<LabEvent, { type: 'task-result' }> => e.type === 'task-result' && e.runId === id && e.record.task === 1));
    expect(second.record.classes).toEqual([2]);
    expect(second.record.seen).toEqual([0, 1, 2]);
    await svc.control({ runId: id, action: 'stop' });
    await until(() => statusOf(id) === 'stopped');
  }, 300_000);
});
