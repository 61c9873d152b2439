// Control of a running curriculum: pause, step N, stop, next task, autonomous on/off. Messages arrive from the service
// between steps (the runner yields to the event loop after every step); they set flags here, and the runner asks
// `between` before each step whether to go on, wait or stop. Nothing here touches learning.
import type { RunStatus } from '../../../preload/api';

/** The part of the run's log that pausing reports through. */
export interface StatusPort {
  readonly status: RunStatus;
  setStatus(status: RunStatus): Promise<void>;
}

export class RunControl {
  pauseRequested = false;
  stopRequested = false;
  /** steps still to run of a "step N" (0: none asked) */
  stepBudget = 0;
  /** end the current task's training now (next task) */
  skipTask = false;
  /** go on to the next task by itself (off: pause after each task) */
  autonomous: boolean;
  private wake: (() => void) | null = null;

  constructor(
    autonomous: boolean,
    private readonly running: () => boolean,
    private readonly inTask: () => boolean,
  ) {
    this.autonomous = autonomous;
  }

  pause(): void {
    if (this.running()) this.pauseRequested = true;
  }
  resume(): void {
    this.pauseRequested = false;
    this.stepBudget = 0;
    this.kick();
  }
  step(n: number): void {
    this.stepBudget = Math.max(1, Math.floor(n));
    this.pauseRequested = true;
    this.kick();
  }
  stop(): void {
    this.stopRequested = true;
    this.kick();
  }
  nextTask(): void {
    // inside a task: end its training now; between tasks (paused with autonomous off): just start the next one
    if (this.inTask()) this.skipTask = true;
    this.pauseRequested = false;
    this.kick();
  }
  setAutonomous(on: boolean): void {
    this.autonomous = on;
    this.kick();
  }

  /** A step was taken: it counts against a "step N". */
  stepTaken(): void {
    if (this.stepBudget > 0) this.stepBudget--;
  }

  /** Whether the task's training is to end on request (and forget the request). */
  takeSkipTask(): boolean {
    const skip = this.skipTask;
    this.skipTask = false;
    return skip;
  }

  /** Pause is asked for and not overruled by step N, stop or next task. */
  holding(): boolean {
    return this.pauseRequested && this.stepBudget === 0 && !this.stopRequested;
  }

  /** Before each step: let control messages in, then 'stop', 'wait' (paused: ask again) or 'go'. */
  async between(out: StatusPort): Promise<'stop' | 'wait' | 'go'> {
    await new Promise<void>((r) => setImmediate(r)); // let control messages in
    if (this.stopRequested) return 'stop';
    if (this.holding()) {
      if (out.status !== 'paused') await out.setStatus('paused');
      await this.sleep(200);
      return 'wait';
    }
    if (out.status === 'paused') await out.setStatus('running');
    return 'go';
  }

  /**
   * A pause point inside a long task end (the last task's baselines run for minutes): the run reports 'paused' and
   * waits here, as it does between steps, instead of making a Pause wait for the whole stretch.
   */
  async pausePoint(out: StatusPort): Promise<void> {
    await new Promise<void>((res) => setImmediate(res)); // let a control message in
    while (this.holding()) {
      if (out.status !== 'paused') await out.setStatus('paused');
      await this.sleep(200);
    }
    if (out.status === 'paused') await out.setStatus('running');
  }

  /** Wait `ms`, or less when a control message arrives. */
  sleep(ms: number): Promise<void> {
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.wake = null;
        res();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        res();
      };
    });
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
