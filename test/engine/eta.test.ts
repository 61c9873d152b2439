/**
 * The run's ETA (main/engine/runner/eta.ts) against a simulated run whose steps, task ends and baselines cost what a
 * quick mnist-s run measured (phases 20× apart, later tasks heavier by their memory rows, the no-memory re-run at the
 * end), with noise: the estimate must follow the true remaining time where "steps left × the last steps' mean" did not.
 */
import { describe, expect, it } from 'vitest';
import { noMemoryRecipe } from '../../main/engine/runner/baselinePlan';
import { phaseSteps, remainingSeconds, RunClock, stepRows, type PlanPosition, type RunPlan, type StepPhase, type TaskShape } from '../../main/engine/runner/eta';
import { batchesPerEpoch, nextPhase } from '../../main/engine/runner/schedule';
import type { Phase } from '../../main/engine/runner/state';
import { resolveRecipe, type Recipe } from '../../main/engine/recipe';
import { EngineRng } from '../../main/engine/rng';

const PER_CLASS = 300;
const MEM_PER_CLASS = 120;

function plan(recipe: Recipe, baselines: boolean, tasks = 5): RunPlan {
  return {
    recipe, tasks: Array.from({ length: tasks }, (_, i) => [2 * i, 2 * i + 1]), base: 0, trainCount: () => PER_CLASS, memPerClass: MEM_PER_CLASS,
    baselines, noMemoryRecipe: noMemoryRecipe(recipe),
  };
}

function shape(p: RunPlan, i: number, r = p.recipe): TaskShape {
  return { n: p.tasks[i].length * PER_CLASS, newClasses: p.tasks[i].length, oldClasses: 2 * i, later: i > 0 || r !== p.recipe };
}

/** The "true" machine: a fixed cost per step plus a cost per row (not the clock's own model), ±10 % noise. */
const TRUE: Record<StepPhase, { fixed: number; row: number }> = {
  warmup: { fixed: 0.05, row: 0.0026 },
  loop: { fixed: 0.1, row: 0.0046 },
  decoder: { fixed: 0.01, row: 0.0016 },
};

interface Event {
  kind: 'step' | 'end' | 'start';
  phase?: StepPhase;
  rows?: number;
  seen?: number;
  seconds: number;
  /** where the run is after this event */
  at: PlanPosition;
  /** part of the run proper (not its baselines) */
  main: boolean;
}

/** The schedule of a run, in order, with what each piece costs on the true machine. */
function simulate(p: RunPlan, seed: number): Event[] {
  const rng = new EngineRng(seed);
  const noise = () => 0.9 + 0.2 * rng.next();
  const out: Event[] = [];
  const run = (r: Recipe, from: number, main: boolean) => {
    for (let i = from; i < p.tasks.length; i++) {
      const t = { ...shape(p, i), later: i > 0 };
      out.push({ kind: 'start', seconds: 0.5 * noise(), at: { task: i, phase: 'warmup', epoch: 0, batch: 0 }, main });
      for (let ph: Phase = 'warmup'; ph !== 'finalize'; ph = nextPhase(r, t.later, ph)) {
        const phase = ph as StepPhase;
        const steps = phaseSteps(r, phase, t);
        const bpe = batchesPerEpoch(r, phase, t.n);
        const rows = stepRows(r, phase, t, MEM_PER_CLASS);
        for (let k = 0; k < steps; k++) {
          const done = k + 1;
          out.push({ kind: 'step', phase, rows, seconds: (TRUE[phase].fixed + TRUE[phase].row * rows) * noise(), at: { task: i, phase, epoch: Math.floor(done / bpe), batch: done % bpe }, main });
        }
      }
      const seen = t.oldClasses + t.newClasses;
      out.push({ kind: 'end', seen, seconds: 0.45 * seen * noise(), at: { task: i + 1, phase: 'start', epoch: 0, batch: 0 }, main });
      if (main && i === p.tasks.length - 1 && p.baselines) {
        out.push({ kind: 'end', seconds: 1.2 * 0.45 * seen * noise(), at: { task: i + 1, phase: 'start', epoch: 0, batch: 0 }, main: false }); // pixels, random encoder
        run(p.noMemoryRecipe, 1, false);
      }
    }
  };
  run(p.recipe, 0, true);
  return out;
}

describe('the ETA of a run', () => {
  it('follows the true remaining time of a simulated quick run, baselines included, within 10 % after the first task', () => {
    const recipe = resolveRecipe({}, true);
    for (const seed of [1, 2, 3]) {
      const p = plan(recipe, true);
      const ev = simulate(p, seed);
      const clock = new RunClock();
      expect(remainingSeconds(clock, p, { task: 0, phase: 'start', epoch: 0, batch: 0 })).toBeNull(); // nothing timed yet
      let left = ev.reduce((a, e) => a + e.seconds, 0);
      const errors: number[] = [];
      const naive: number[] = [];
      const last20: number[] = [];
      for (const e of ev) {
        left -= e.seconds;
        if (!e.main) break; // the re-run reports through its own runner (same clock, checked below)
        if (e.kind === 'start') clock.observeTaskStart(e.seconds);
        else if (e.kind === 'end') clock.observeTaskEnd(e.seen!, e.seconds);
        else {
          clock.observeStep(e.phase!, e.rows!, e.seconds);
          last20.push(e.seconds);
          if (last20.length > 20) last20.shift();
          if (e.at.task < 1) continue;
          const eta = remainingSeconds(clock, p, e.at)!;
          errors.push(Math.abs(eta - left) / left);
          // what the progress events said before: this task's steps left × the last 20 steps' mean, for every task left
          const t = { ...shape(p, e.at.task), later: true };
          const steps = (['warmup', 'loop', 'decoder'] as StepPhase[]).reduce((a, ph) => a + phaseSteps(recipe, ph, t), 0);
          const mean = last20.reduce((a, b) => a + b, 0) / last20.length;
          const done = ev.filter((x) => x.main && x.kind === 'step' && x.at.task === e.at.task && ev.indexOf(x) <= ev.indexOf(e)).length;
          naive.push(Math.abs((steps - done) * mean + (p.tasks.length - e.at.task - 1) * steps * mean - left) / left);
        }
      }
      expect(Math.max(...errors), `seed ${seed}`).toBeLessThan(0.1);
      expect(Math.max(...naive)).toBeGreaterThan(0.5); // the bound tells the two apart
    }
  });

  it('the re-run without memory, sharing the clock, estimates what it has left within 20 %', () => {
    const recipe = resolveRecipe({}, true);
    const p = plan(recipe, true);
    const ev = simulate(p, 4);
    const clock = new RunClock();
    const rerun: RunPlan = { ...plan(p.noMemoryRecipe, false), base: 0 };
    let left = ev.reduce((a, e) => a + e.seconds, 0);
    let errMax = 0;
    for (const e of ev) {
      left -= e.seconds;
      if (e.kind === 'start') clock.observeTaskStart(e.seconds);
      else if (e.kind === 'end') {
        if (e.seen) clock.observeTaskEnd(e.seen, e.seconds);
      } else {
        clock.observeStep(e.phase!, e.rows!, e.seconds);
        if (!e.main) errMax = Math.max(errMax, Math.abs(remainingSeconds(clock, rerun, e.at)! - left) / Math.max(left, 5));
      }
    }
    expect(errMax).toBeGreaterThan(0); // it was checked at all
    expect(errMax).toBeLessThan(0.2);
  });

  it('counts only the steps left in the current phase, then the task end and the later tasks', () => {
    const r = resolveRecipe({}, true);
    const clock = new RunClock();
    // exact costs: two observations per phase (the first is replaced by the second), no smoothing left to do
    for (const [ph, c] of [['warmup', 0.002], ['loop', 0.004], ['decoder', 0.001]] as [StepPhase, number][]) {
      clock.observeStep(ph, 100, 99); // a first step's one-off cost: replaced
      clock.observeStep(ph, 100, 100 * c);
    }
    clock.observeTaskEnd(10, 5); // 0.5 s a class
    const p = plan(r, false);
    const last = shape(p, 4);
    const bpe = batchesPerEpoch(r, 'decoder', last.n);
    const steps = phaseSteps(r, 'decoder', last);
    const at: PlanPosition = { task: 4, phase: 'decoder', epoch: Math.floor((steps - 1) / bpe), batch: (steps - 1) % bpe }; // one step to go
    const rows = stepRows(r, 'decoder', last, MEM_PER_CLASS);
    expect(remainingSeconds(clock, p, at)).toBeCloseTo(0.001 * rows + 0.5 * 10, 9);
    // a task end in progress: only the end itself
    expect(remainingSeconds(clock, p, { task: 4, phase: 'finalize', epoch: 0, batch: 0 })).toBeCloseTo(5, 9);
    // one task earlier, at its start: its whole schedule, its end, the last task's start (0: never timed), schedule and end
    const whole = (t: TaskShape) => (['warmup', 'loop', 'decoder'] as StepPhase[]).reduce((a, ph) => a + phaseSteps(r, ph, t) * stepRows(r, ph, t, MEM_PER_CLASS) * { warmup: 0.002, loop: 0.004, decoder: 0.001 }[ph], 0);
    expect(remainingSeconds(clock, p, { task: 3, phase: 'start', epoch: 0, batch: 0 })).toBeCloseTo(whole(shape(p, 3)) + 0.5 * 8 + whole(last) + 0.5 * 10, 9);
    // the baselines: raw pixels and the random encoder (1.2 task ends of every class), then tasks 2–5 without memory
    const pb = plan(r, true);
    const rr = pb.noMemoryRecipe;
    let rerun = 0;
    for (let i = 1; i < 5; i++) {
      const t = { ...shape(pb, i), later: true };
      rerun += (['warmup', 'loop', 'decoder'] as StepPhase[]).reduce((a, ph) => a + phaseSteps(rr, ph, t) * stepRows(rr, ph, t, MEM_PER_CLASS) * { warmup: 0.002, loop: 0.004, decoder: 0.001 }[ph], 0) + 0.5 * (t.oldClasses + t.newClasses);
    }
    expect(remainingSeconds(clock, pb, { task: 4, phase: 'finalize', epoch: 0, batch: 0 })).toBeCloseTo(5 + 1.2 * 5 + rerun, 9);
    // nothing replayed in the re-run: its steps carry no memory rows
    expect(stepRows(rr, 'loop', { ...last, later: true }, MEM_PER_CLASS)).toBe(r.batchSize);
    expect(stepRows(r, 'loop', last, MEM_PER_CLASS)).toBe(r.batchSize + r.memPerBatch);
  });

  it('scales a phase not timed yet from the timed ones, and has later tasks cost only their ends when frozen', () => {
    const clock = new RunClock();
    clock.observeStep('warmup', 100, 0.2);
    expect(clock.rowCost('warmup')).toBeCloseTo(0.002, 12);
    expect(clock.rowCost('loop')).toBeCloseTo(0.002 * 1.55, 12);
    expect(clock.rowCost('decoder')).toBeCloseTo(0.002 * 0.7, 12);
    clock.observeStep('decoder', 100, 5); // a phase's first step (one-off costs) does not count once another is timed
    expect(clock.rowCost('decoder')).toBeCloseTo(0.002 * 0.7, 12);
    clock.observeStep('decoder', 100, 0.1);
    expect(clock.rowCost('decoder')).toBeCloseTo(0.001, 12);
    expect(clock.rowCost('loop')).toBeCloseTo(((0.002 / 1) * 1.55 + (0.001 / 0.7) * 1.55) / 2, 12);

    const frozen = resolveRecipe({ freezeAfterFirst: true }, true);
    const c2 = new RunClock();
    for (const ph of ['warmup', 'loop', 'decoder'] as StepPhase[]) c2.observeStep(ph, 10, 0.01);
    c2.observeTaskEnd(2, 1);
    expect(remainingSeconds(c2, plan(frozen, false), { task: 1, phase: 'start', epoch: 0, batch: 0 })).toBeCloseTo(0.5 * (4 + 6 + 8 + 10), 9);
  });
});
