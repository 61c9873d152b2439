// The curriculum runner: learns a run's tasks one after another, in the order the method is told in the README —
//   start task → warm-up → closed loop → decoder phase → task end → next task
// — and obeys control messages between steps. Each phase is its own module (startTask, warmup, closedLoop,
// decoderPhase, taskEnd; trainStep runs one step of whichever phase the task is in); control (control.ts) and
// persistence (persistence.ts, runLog.ts) are apart from learning. What a run carries is in state.ts.
import * as path from 'node:path';
import type { RunStatus } from '../../../preload/api';
import type { TensorRecord } from '../../store/checkpoints';
import { MemoryBank } from '../memoryBank';
import type { Recipe } from '../recipe';
import type { SubspaceModel } from '../subspaceAdapter';
import { BatchOrder } from './batch';
import type { RunContext } from './context';
import { RunControl } from './control';
import { DecoderPhase } from './decoderPhase';
import { RunClock } from './eta';
import { restoreCheckpoint, writeCheckpoint } from './persistence';
import { RunLog } from './runLog';
import { startTask } from './startTask';
import { LearnerState, type EngineTaskRecord, type Position, type RunnerDeps, type TaskWork } from './state';
import { endTask, FidelityJudge } from './taskEnd';
import { StepTimer, trainStep } from './trainStep';

export class CurriculumRunner {
  readonly runId: string;
  readonly state: LearnerState;
  /** pause, step N, stop, next task, autonomous: called by the service between steps (the loop yields after each) */
  readonly control: RunControl;
  private readonly out: RunLog;
  private readonly ctx: RunContext;
  private readonly timer = new StepTimer();
  private readonly judge = new FidelityJudge();
  private resumedFrom: number | null = null;
  private resumeNote: string | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly d: RunnerDeps) {
    this.runId = d.run.id;
    const s = new LearnerState(d.run, d.model.featureDim);
    this.state = s;
    this.out = new RunLog({
      runId: d.run.id, runDir: d.runDir, persist: d.persist, hub: d.hub, index: d.index,
      where: () => ({ task: s.pos.task, step: s.pos.step, time: s.elapsed, tasksTotal: s.tasks.length }),
    });
    this.control = new RunControl(d.run.request.autonomous ?? true, () => this.out.status === 'running', () => s.task !== null);
    this.ctx = { d, s, out: this.out, control: this.control, order: new BatchOrder(d.run.seed), decoder: new DecoderPhase(), clock: new RunClock(), onStep: null };
  }

  /** Start (or continue) in the background; the promise settles when the run ends. */
  start(): Promise<void> {
    if (!this.done) this.done = this.run();
    return this.done;
  }

  private async run(): Promise<void> {
    const { state: s, out, control } = this;
    try {
      out.open();
      if (this.resumedFrom !== null)
        out.knowledge('resumed', this.resumedFrom > 0 ? `resumed from the checkpoint at step ${this.resumedFrom} (task ${s.pos.task + 1})` : (this.resumeNote ?? 'restarted from the beginning (no checkpoint was written before the interruption)'));
      await out.setStatus('running');
      if (s.pos.step === 0 && s.pos.phase === 'start' && s.pos.task === 0) await this.checkpoint();
      for (;;) {
        const gate = await control.between(out);
        if (gate === 'stop') break;
        if (gate === 'wait') continue;
        if (s.pos.task >= s.tasks.length) {
          if (await this.waitForNewClasses()) continue;
          break;
        }
        if (s.pos.phase === 'start') {
          const t0 = performance.now();
          await startTask(this.ctx);
          this.ctx.clock.observeTaskStart((performance.now() - t0) / 1000);
        }
        else if (s.pos.phase === 'finalize') await endTask(this.ctx, this.judge, (deps) => new CurriculumRunner(deps));
        else await trainStep(this.ctx, this.timer); // warm-up, closed loop or decoder phase, one step
      }
      // the closing event goes into the log before the checkpoint, so a later resume keeps it
      if (control.stopRequested) {
        out.knowledge('stopped', 'stopped on request');
        await this.checkpoint();
        await out.setStatus('stopped');
      } else {
        out.knowledge('finished', `curriculum finished: ${s.history.length} task(s) in ${s.elapsed.toFixed(1)} s`);
        await this.checkpoint();
        await out.setStatus('finished');
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      out.log('error', msg);
      try {
        out.syncKnowledge();
        await out.setStatus('failed', msg);
      } catch {
        // the store itself failed: the status stays 'running' and the index reports 'interrupted'
      }
      if (!this.d.persist) throw e;
    } finally {
      out.close();
    }
  }

  /** After the curriculum, in autonomous mode with a watched folder: true to go on (new classes became a task, or
   *  none yet), false to finish. */
  private async waitForNewClasses(): Promise<boolean> {
    const { d, state: s, out, control } = this;
    if (!d.watch || !control.autonomous) return false;
    const found = await d.watch.poll();
    if (found && found.length) {
      s.tasks.push(found);
      out.knowledge('watch-found', `new class folder(s) in ${d.watch.dir}: ${found.map((c) => d.data.classNames[c]).join(', ')}`);
      await out.setStatus('running');
      return true;
    }
    await control.sleep(500);
    return true;
  }

  // ------------------------------------------------------------------------------------------------------------
  // the session's ways in: continue from another run, checkpoint and restore, resume notes

  /** A continued run's starting point: the source's networks (fresh optimisers), memory and classifier. */
  async continueFrom(src: { weights: Map<string, TensorRecord>; memory: MemoryBank; classifier: SubspaceModel | null }): Promise<void> {
    const s = this.state;
    if (s.pos.step !== 0 || s.pos.task !== 0 || s.history.length) throw new Error('continueFrom: the run has already started');
    await this.d.model.importState(src.weights);
    const mem = new MemoryBank(this.d.model.featureDim);
    for (const c of s.base) {
      const e = src.memory.classes.get(c);
      if (!e) throw new Error(`continueFrom: the source's memory has no class ${c}`);
      mem.classes.set(c, e);
    }
    mem.activations = src.memory.activations; // the span of the known classes' head inputs (null-space learning)
    s.memory = mem;
    s.classifier = src.classifier;
  }

  checkpoint(): Promise<void> {
    return writeCheckpoint(this.ctx);
  }

  /** Restore the newest valid checkpoint (resume, divergence). Returns false when there is none. */
  restore(): Promise<boolean> {
    return restoreCheckpoint(this.ctx);
  }

  /** Record (at the next start) that this run continues from a checkpoint; `note` says why it starts over instead. */
  markResumed(restored: boolean, note?: string): void {
    this.resumedFrom = restored ? this.state.pos.step : 0;
    this.resumeNote = note ?? null;
  }

  // ------------------------------------------------------------------------------------------------------------
  // what the service, the CLI and the tests read

  get status(): RunStatus {
    return this.out.status;
  }
  get lastMessage(): string {
    return this.out.lastMessage;
  }
  get autonomous(): boolean {
    return this.control.autonomous;
  }
  get tasks(): number[][] {
    return this.state.tasks;
  }
  get pos(): Position {
    return this.state.pos;
  }
  get history(): EngineTaskRecord[] {
    return this.state.history;
  }
  get memory(): MemoryBank {
    return this.state.memory;
  }
  get task(): TaskWork | null {
    return this.state.task;
  }
  get classifier(): SubspaceModel | null {
    return this.state.classifier;
  }
  get elapsed(): number {
    return this.state.elapsed;
  }
  get recipe(): Recipe {
    return this.d.recipe;
  }
  get classNames(): string[] {
    return this.d.data.classNames;
  }
  get runDir(): string {
    return this.d.runDir;
  }
  get checkpointsDir(): string {
    return path.join(this.d.runDir, 'checkpoints');
  }
  /** set on the no-memory baseline's sub-run: where it is, for the parent's activity events */
  set onStep(f: RunContext['onStep']) {
    this.ctx.onStep = f;
  }
  get onStep(): RunContext['onStep'] {
    return this.ctx.onStep;
  }
  /** the timings behind the ETA (eta.ts): the no-memory re-run is given its parent's, so it is right from its first step */
  set clock(c: RunClock) {
    this.ctx.clock = c;
  }
  get clock(): RunClock {
    return this.ctx.clock;
  }

  dispose(): void {
    this.state.frozen?.enc.dispose();
    this.state.frozen = null;
    this.d.model.dispose();
  }
}
