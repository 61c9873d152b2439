// The lab index <runsRoot>/lab.json (lowdb): one RunSummary per run, for a fast run browser.
//
// It is a cache of the run folders. Two processes (the app and a CLI run) may write it, and a kill may leave it stale,
// so every list() reconciles it with the folders: a missing entry, an entry for a deleted folder, or an entry that
// differs from the summary derived from run.json/status.json/knowledge.ndjson is rebuilt. Writes are atomic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import type { RunSummary } from '../../preload/api';
import { readJsonOrNull, removeStaleTmpFiles, writeJsonAtomic } from './atomicFile';
import { isValidRunId, summarizeRun } from './runFiles';

export const INDEX_FORMAT_VERSION = 1;

interface IndexData {
  formatVersion: number;
  runs: RunSummary[];
}

/** lowdb adapter with our fsync'd atomic write; an unreadable file reads as empty (it is rebuilt). */
class AtomicJsonAdapter implements Adapter<IndexData> {
  constructor(private readonly file: string) {}
  async read(): Promise<IndexData | null> {
    const d = readJsonOrNull<IndexData>(this.file);
    return d && d.formatVersion === INDEX_FORMAT_VERSION && Array.isArray(d.runs) ? d : null;
  }
  async write(data: IndexData): Promise<void> {
    writeJsonAtomic(this.file, data);
  }
}

const same = (a: RunSummary, b: RunSummary): boolean => JSON.stringify(a) === JSON.stringify(b);

export class RunIndex {
  private readonly db: Low<IndexData>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly runsRoot: string) {
    fs.mkdirSync(runsRoot, { recursive: true });
    this.db = new Low<IndexData>(new AtomicJsonAdapter(path.join(runsRoot, 'lab.json')), { formatVersion: INDEX_FORMAT_VERSION, runs: [] });
  }

  /** Serialise index updates inside this process. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Reconcile with the folders and return all runs, newest first. */
  list(): Promise<RunSummary[]> {
    return this.serial(async () => {
      removeStaleTmpFiles(this.runsRoot);
      await this.db.read();
      const byId = new Map(this.db.data.runs.map((r) => [r.id, r]));
      const fresh: RunSummary[] = [];
      let dirty = false;
      for (const name of safeReaddir(this.runsRoot)) {
        if (!isValidRunId(name)) continue;
        const s = summarizeRun(path.join(this.runsRoot, name));
        if (!s) continue;
        const old = byId.get(name);
        if (!old || !same(old, s)) dirty = true;
        byId.delete(name);
        fresh.push(s);
      }
      if (byId.size > 0) dirty = true; // entries whose folder is gone
      fresh.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
      if (dirty) {
        this.db.data = { formatVersion: INDEX_FORMAT_VERSION, runs: fresh };
        await this.db.write();
      }
      return fresh;
    });
  }

  /** Refresh one run's entry from its folder (after a status change or a task). */
  refresh(id: string): Promise<RunSummary | null> {
    return this.serial(async () => {
      await this.db.read();
      const s = summarizeRun(path.join(this.runsRoot, id));
      const runs = this.db.data.runs.filter((r) => r.id !== id);
      if (s) runs.unshift(s);
      this.db.data = { formatVersion: INDEX_FORMAT_VERSION, runs };
      await this.db.write();
      return s;
    });
  }

  /** The entry as stored (possibly stale); for tests and diagnostics. */
  async rawEntries(): Promise<RunSummary[]> {
    await this.db.read();
    return this.db.data.runs;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => {
      try {
        return fs.statSync(path.join(dir, n)).isDirectory();
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}
