// What a run tells the world: events on the hub (the window, web mode, the CLI), its two logs (metrics.ndjson,
// knowledge.ndjson) and status.json. A baseline's in-process re-run (persist false) tells nobody: its events would be
// mistaken for the run's own.
import type { ActivityEvent, KnowledgeEvent, LabEvent, MetricRecord, RunStatus } from '../../../preload/api';
import { NdjsonWriter } from '../../store/ndjson';
import { knowledgeFile, metricsFile, writeStatus } from '../../store/runFiles';
import type { RunIndex } from '../../store/runIndex';
import type { EventHub } from '../events';
import type { EngineTaskRecord } from './state';

export interface RunLogDeps {
  runId: string;
  runDir: string;
  persist: boolean;
  hub: EventHub;
  index: RunIndex | null;
  /** where the run is, for knowledge events and status.json */
  where: () => { task: number; step: number; time: number; tasksTotal: number };
}

export class RunLog {
  status: RunStatus = 'created';
  lastMessage = '';
  private metricsW: NdjsonWriter | null = null;
  private knowledgeW: NdjsonWriter | null = null;

  constructor(private readonly d: RunLogDeps) {}

  open(): void {
    if (!this.d.persist) return;
    this.metricsW = new NdjsonWriter(metricsFile(this.d.runDir));
    this.knowledgeW = new NdjsonWriter(knowledgeFile(this.d.runDir));
  }

  emit(e: LabEvent): void {
    if (this.d.persist) this.d.hub.emit(e);
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', runId: this.d.runId, level, message, time: new Date().toISOString() });
  }

  activity(activity: ActivityEvent['activity'], detail = '', fraction: number | null = null, etaSec: number | null = null): void {
    this.emit({ type: 'activity', runId: this.d.runId, activity, detail, fraction, ...(etaSec !== null ? { etaSec } : {}) });
  }

  knowledge(event: KnowledgeEvent['event'], message: string): void {
    const w = this.d.where();
    const rec: KnowledgeEvent = { kind: 'event', event, task: w.task, step: w.step, time: w.time, message };
    this.knowledgeW?.append(rec);
    this.emit({ type: 'knowledge', runId: this.d.runId, record: rec });
  }

  /** A task's record joins knowledge.ndjson (its task-result event is the caller's). */
  taskRecord(record: EngineTaskRecord): void {
    this.knowledgeW?.append(record);
  }

  metric(rec: MetricRecord): void {
    this.metricsW?.append(rec);
  }

  /** Flush both logs; their byte lengths go into the checkpoint, so that a resume cuts them back to it. */
  sync(): { metricsBytes: number; knowledgeBytes: number } {
    return { metricsBytes: this.metricsW!.sync(), knowledgeBytes: this.knowledgeW!.sync() };
  }

  syncKnowledge(): void {
    this.knowledgeW?.sync();
  }

  async setStatus(status: RunStatus, message?: string): Promise<void> {
    this.status = status;
    if (message) this.lastMessage = message;
    if (this.d.persist) {
      const live = status === 'running' || status === 'paused';
      writeStatus(this.d.runDir, {
        status,
        updatedAt: new Date().toISOString(),
        ...(message ? { message } : {}),
        ...(live ? { pid: process.pid } : {}),
        tasksTotal: this.d.where().tasksTotal,
      });
      await this.d.index?.refresh(this.d.runId);
    }
    this.emit({ type: 'run-status', runId: this.d.runId, status, ...(message ? { message } : {}) });
  }

  /** The run list (index) reads status and records from the folder: tell it the folder changed. */
  async refreshIndex(): Promise<void> {
    if (this.d.persist) await this.d.index?.refresh(this.d.runId);
  }

  close(): void {
    this.d.hub.flush();
    this.metricsW?.close();
    this.knowledgeW?.close();
  }
}
