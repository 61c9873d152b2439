// Autonomous mode with --watch DIR: a new class sub-folder that appears in DIR becomes a new task once its contents
// have stopped changing for `stableMs` (a copy in progress is not learned half-way). Polling, not fs.watch: it works
// the same on every platform and network drive, and a poll every half second costs nothing next to training.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Seen {
  signature: string;
  since: number;
}

export class FolderWatcher {
  private readonly pending = new Map<string, Seen>();
  constructor(
    readonly dir: string,
    private readonly known: Set<string>,
    private readonly stableMs = 2000,
  ) {}

  /** Names of sub-folders that are new, non-empty and unchanged for stableMs; they are then marked known. */
  poll(now = Date.now()): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => !n.startsWith('.') && isDir(path.join(this.dir, n)));
    } catch {
      return [];
    }
    const ready: string[] = [];
    for (const n of names.sort()) {
      if (this.known.has(n)) continue;
      const sig = signature(path.join(this.dir, n));
      if (sig === null) continue; // empty: wait for files
      const p = this.pending.get(n);
      if (!p || p.signature !== sig) {
        this.pending.set(n, { signature: sig, since: now });
        continue;
      }
      if (now - p.since >= this.stableMs) {
        ready.push(n);
        this.pending.delete(n);
        this.known.add(n);
      }
    }
    return ready;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** count, total size and newest mtime of the files in a folder; null when it has no files. */
function signature(dir: string): string | null {
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return null;
  }
  let count = 0;
  let size = 0;
  let mtime = 0;
  for (const f of files) {
    try {
      const st = fs.statSync(path.join(dir, f));
      if (!st.isFile()) continue;
      count++;
      size += st.size;
      mtime = Math.max(mtime, st.mtimeMs);
    } catch {
      // vanished while listing: the signature changes next poll
    }
  }
  return count ? `${count}/${size}/${mtime}` : null;
}
