/**
 * Exports are written into a hidden staging folder beside the destination and only moved into place once every file
 * is written and the parity check has passed, so a failed export leaves whatever was at the destination untouched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ExportError } from './exportError';

/** `.<name>.export-<pid>-<time>.tmp`: the staging folder of an export into `<parent>/<name>`. */
const STAGING = /^\..+\.export-(\d+)-[0-9a-z]+\.tmp$/;

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Remove staging folders in `dir` left by an export that was killed before it published (its process is gone). A
 * staging folder of a live process is kept (it may be exporting now); a reused PID only delays the clean-up.
 */
export function removeStaleStaging(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = STAGING.exec(n);
    if (!m || Number(m[1]) === process.pid || !pidGone(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/** Create the staging folder for `outDir`; an unwritable or invalid destination fails here, before any work. */
export function createStaging(outDir: string): string {
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
    throw new ExportError('io', `cannot export to ${outDir}: it exists and is not a folder`);
  }
  const parent = path.dirname(outDir);
  removeStaleStaging(parent);
  const staging = path.join(parent, `.${path.basename(outDir)}.export-${process.pid}-${Date.now().toString(36)}.tmp`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.mkdirSync(staging);
    fs.accessSync(staging, fs.constants.W_OK);
  } catch (e) {
    discardStaging(staging);
    throw new ExportError('io', `cannot write to ${outDir}: ${describeFsError(e)}`, 'Choose a folder you can write to with --out.');
  }
  return staging;
}

/** Move the staged files into `outDir` (the whole folder when it does not exist yet); returns their final paths. */
export function publishStaging(staging: string, outDir: string): string[] {
  const names = fs.readdirSync(staging).sort();
  try {
    if (!fs.existsSync(outDir)) {
      fs.renameSync(staging, outDir);
    } else {
      // files of an earlier export with the same names are replaced one by one; anything else in the folder stays
      for (const n of names) fs.renameSync(path.join(staging, n), path.join(outDir, n));
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new ExportError('io', `cannot move the export into ${outDir}: ${(e as Error).message}`);
  }
  return names.map((n) => path.join(outDir, n));
}

/** A file-system error in words, with its code for searching. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOTDIR: 'a parent in the path is a file, not a folder',
    EEXIST: 'a parent in the path is a file, not a folder',
    ENOSPC: 'no space left on the device',
  };
  return code && words[code] ? `${words[code]} (${code})` : (e as Error).message;
}

export function discardStaging(staging: string): void {
  try {
    fs.rmSync(staging, { recursive: true, force: true });
  } catch {
    // nothing was created (e.g. the parent is not a folder)
  }
}
