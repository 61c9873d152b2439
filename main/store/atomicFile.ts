// Crash-safe file primitives for the run store.
//
// A file that is replaced is written to a sibling temporary file, fsynced, renamed over the target and the directory is
// fsynced: after a SIGKILL (or power loss) at any instant the target holds either the old or the new bytes, never a mix.
import * as fs from 'node:fs';
import * as path from 'node:path';

let tmpCounter = 0;

/** fsync a directory so that a rename inside it is durable. Some filesystems refuse to open directories: ignore. */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported on this platform/filesystem; the rename itself is still atomic
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Write bytes to a file and fsync it (no atomic replace: for files inside a not-yet-published directory). */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replace `file` atomically: tmp file in the same directory + fsync + rename + fsync(dir). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    writeFileDurable(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Read and parse a JSON file; null when it is missing or unparsable (the caller decides what that means). */
export function readJsonOrNull<T>(file: string): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** Leftover temporary files from a writer that was killed between write and rename. */
export function removeStaleTmpFiles(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith('.') && n.endsWith('.tmp')) fs.rmSync(path.join(dir, n), { force: true });
}
