// How long a run still takes: the progress events' ETA. A step of the closed loop costs twenty decoder steps, a later
// task pushes its memory rows through the networks beside its images, and the last task end re-runs the curriculum
// without memory for its baseline, so "steps left × the last steps' mean time" was off by minutes (a quick run said
// 8 s with 143 s to go). Here every phase has its own cost per row, measured as the run goes (RunClock), and the
// estimate walks the schedule that is left (remainingSeconds): this task's phases, the later tasks, every task end,
// and the last task's baselines. Pure: the runner feeds it timings and positions.
import type { Recipe } from '../recipe';
import { batchesPerEpoch, batchOf, nextPhase, phaseEpochs } from './schedule';
import type { Phase } from './state';

export type StepPhase = 'warmup' | 'loop' | 'decoder';

/**
 * Per-row cost of each phase relative to the warm-up, for a phase not timed yet in this run (mnist-s on wasm, 2
 * threads, quick: warm-up 2.8 ms a row, loop 4.3, decoder phase 1.9). Once a phase has been timed its own figure is
 * used, so these only shape the first minutes' estimate.
 */
const PRIOR: Readonly<Record<StepPhase, number>> = { warmup: 1, loop: 1.55, decoder: 0.7 };
/** a task end before any has been timed: this fraction of its task's training */
const PRIOR_TASK_END = 0.05;
/** raw pixels and the random encoder, in task ends of every class (quick run: 5.3 s against 4.5 s) */
const FIXED_BASELINES = 1.2;
/** weight of a new timing in the running estimates: about the last ten steps of a phase */
const SMOOTHING = 0.1;

/** What the networks see in one step of a phase: the rows whose cost grows the step. */
export interface TaskShape {
  /** training images of the task */
  n: number;
  newClasses: number;
  /** classes learned before this task (their memory is replayed) */
  oldClasses: number;
  /** a later task (not the run's first, or a run continued from known classes) */
  later: boolean;
}

/** Rows one step of `phase` pushes through the networks: the batch, plus the memory rows a later task replays. */
export function stepRows(r: Recipe, phase: StepPhase, t: TaskShape, memPerClass: number): number {
  const memory = t.later && !r.noMemory ? t.oldClasses * memPerClass : 0;
  const capped = (want: number) => (want > 0 ? Math.min(memory, want) : memory);
  const B = batchOf(r, phase, t.n);
  if (phase === 'decoder') {
    if (memory === 0) return B;
    const balanced = Math.ceil(B / Math.max(1, t.newClasses)) * t.oldClasses; // decoderPhase.ts: as many rows as a new class
    return B + capped(r.decoderMemRows > 0 ? Math.min(balanced, r.decoderMemRows) : balanced);
  }
  // warm-up: the memory enters as fixed vectors (a Gram, next to nothing) unless it is replayed as images
  if (phase === 'warmup') return B + (r.replayImages ? capped(r.memPerBatch) : 0);
  return B + capped(r.memPerBatch);
}

/** Steps of a phase in a task (0 where the recipe skips it). */
export function phaseSteps(r: Recipe, phase: StepPhase, t: TaskShape): number {
  if (r.freezeAfterFirst && t.later) return 0;
  return batchesPerEpoch(r, phase, t.n) * phaseEpochs(r, t.later, phase);
}

/** Timings of this run: seconds per row of each phase, seconds per seen class of a task end, of a task start. */
export class RunClock {
  private readonly perRow = new Map<StepPhase, number>();
  private readonly seen = new Map<StepPhase, number>();
  private endPerClass: number | null = null;
  private start: number | null = null;

  /** One step of `phase` took `seconds` (its whole turn: batch, step, logs, checkpoint). */
  observeStep(phase: StepPhase, rows: number, seconds: number): void {
    if (!(rows > 0) || !(seconds >= 0)) return;
    const v = seconds / rows;
    const k = (this.seen.get(phase) ?? 0) + 1;
    this.seen.set(phase, k);
    // a phase's first step carries one-off costs (kernels compiled, buffers allocated; the first decoder step of a quick
    // run read as twice the run's length): it counts only while no other phase is timed, and the second replaces it
    if (k === 1 && this.perRow.size > 0) return;
    const prev = this.perRow.get(phase);
    this.perRow.set(phase, prev === undefined || k === 2 ? v : prev + SMOOTHING * (v - prev));
  }

  /** A task end (memory, evaluation, loop fidelity; not the baselines) over `seen` classes took `seconds`. */
  observeTaskEnd(seen: number, seconds: number): void {
    if (!(seen > 0) || !(seconds >= 0)) return;
    const v = seconds / seen;
    this.endPerClass = this.endPerClass === null ? v : this.endPerClass + 0.5 * (v - this.endPerClass);
  }

  observeTaskStart(seconds: number): void {
    if (!(seconds >= 0)) return;
    this.start = this.start === null ? seconds : this.start + 0.5 * (seconds - this.start);
  }

  /** Seconds per row of a phase: its own timing, else the timed phases scaled by PRIOR; null before any step. */
  rowCost(phase: StepPhase): number | null {
    const own = this.perRow.get(phase);
    if (own !== undefined) return own;
    if (this.perRow.size === 0) return null;
    let sum = 0;
    for (const [p, v] of this.perRow) sum += (v / PRIOR[p]) * PRIOR[phase];
    return sum / this.perRow.size;
  }

  /** Seconds of a task end over `seen` classes; null before one was timed. */
  taskEnd(seen: number): number | null {
    return this.endPerClass === null ? null : this.endPerClass * seen;
  }

  taskStart(): number {
    return this.start ?? 0;
  }
}

/** What is left of the curriculum, as the estimate needs it. */
export interface RunPlan {
  recipe: Recipe;
  /** every task's classes, in order */
  tasks: number[][];
  /** classes known before the run (a continued run) */
  base: number;
  /** training images of a class (after the recipe's maxPerClass) */
  trainCount: (cls: number) => number;
  /** memory rows kept per class */
  memPerClass: number;
  /** the last task end measures the baselines, with the curriculum re-run without memory */
  baselines: boolean;
  /** the recipe of that re-run (baselines.ts noMemoryRecipe) */
  noMemoryRecipe: Recipe;
}

/** Where the run is: its position (state.ts Position). */
export interface PlanPosition {
  task: number;
  phase: Phase;
  epoch: number;
  batch: number;
}

const STEP_PHASES: StepPhase[] = ['warmup', 'loop', 'decoder'];

function taskShape(plan: RunPlan, i: number): TaskShape {
  const classes = plan.tasks[i];
  const old = plan.base + plan.tasks.slice(0, i).reduce((a, t) => a + t.length, 0);
  return { n: classes.reduce((a, c) => a + plan.trainCount(c), 0), newClasses: classes.length, oldClasses: old, later: i > 0 || plan.base > 0 };
}

/** Steps of each phase already taken in the current task. */
function stepsDone(r: Recipe, t: TaskShape, phase: StepPhase, at: PlanPosition): number {
  if (at.phase === 'start') return 0;
  if (at.phase === 'finalize') return phaseSteps(r, phase, t);
  const order: Phase[] = ['warmup'];
  for (let p: Phase = 'warmup'; p !== 'finalize'; ) order.push((p = nextPhase(r, t.later, p)));
  const here = order.indexOf(at.phase);
  const mine = order.indexOf(phase);
  if (mine < 0) return 0;
  if (mine < here) return phaseSteps(r, phase, t);
  if (mine > here) return 0;
  return Math.min(phaseSteps(r, phase, t), at.epoch * batchesPerEpoch(r, phase, t.n) + at.batch);
}

/** Training seconds of task i from `at` on (the whole task when `at` is null); null when nothing was timed yet. */
function trainingLeft(clock: RunClock, r: Recipe, plan: RunPlan, t: TaskShape, at: PlanPosition | null): number | null {
  let s = 0;
  for (const p of STEP_PHASES) {
    const left = phaseSteps(r, p, t) - (at ? stepsDone(r, t, p, at) : 0);
    if (left <= 0) continue;
    const c = clock.rowCost(p);
    if (c === null) return null;
    s += left * c * stepRows(r, p, t, plan.memPerClass);
  }
  return s;
}

/** A task end over `seen` classes: its timing, else a share of the task's training. */
function taskEndCost(clock: RunClock, seen: number, training: number): number {
  return clock.taskEnd(seen) ?? PRIOR_TASK_END * training;
}

/**
 * Seconds until the run ends from `at`: what is left of this task, the later tasks with their task ends and starts, and
 * at the last task end the baselines (raw pixels, a random encoder, the curriculum re-run without memory from the
 * second task). Null while no step has been timed.
 */
export function remainingSeconds(clock: RunClock, plan: RunPlan, at: PlanPosition): number | null {
  const r = plan.recipe;
  const T = plan.tasks.length;
  let total = 0;
  let lastEnd = 0;
  for (let i = at.task; i < T; i++) {
    const t = taskShape(plan, i);
    const training = trainingLeft(clock, r, plan, t, i === at.task ? at : null);
    if (training === null) return null;
    const whole = i === at.task ? trainingLeft(clock, r, plan, t, null) ?? training : training;
    lastEnd = taskEndCost(clock, t.oldClasses + t.newClasses, whole);
    total += training + lastEnd + (i > at.task || at.phase === 'start' ? clock.taskStart() : 0);
  }
  if (plan.baselines && T > 1 && at.task < T) {
    const rr = plan.noMemoryRecipe;
    total += FIXED_BASELINES * lastEnd;
    for (let i = 1; i < T; i++) {
      const t = taskShape(plan, i);
      const training = trainingLeft(clock, rr, plan, t, null);
      if (training === null) return null;
      total += training + taskEndCost(clock, t.oldClasses + t.newClasses, training) + clock.taskStart();
    }
  }
  return total;
}
