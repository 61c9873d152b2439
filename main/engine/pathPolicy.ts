/**
 * What the API may touch on disk. The CLI, run by a person at a shell, keeps any path; requests that come through the
 * window (Electron IPC) or web mode (WebSocket, token-protected but possibly a hostile page or a stolen token) are
 * confined:
 *   - read (dataset specs, `from`, a watched folder): inside the runs root, or a data root: given at server start
 *     (`serve --data-root DIR`, repeatable) or picked by the person in the app's native dialog this session;
 *     `builtin:` data has no path;
 *   - write (exports): inside the run's own exports/ folder, or a folder the person picked this session (Electron).
 * Paths are compared after resolving symbolic links (of the longest part that exists), so a link inside a root that
 * points out of it is outside. A refusal names the path and says how to allow it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isValidRunId, runDirOf } from '../store/runFiles';

export type PolicyHost = 'electron' | 'web' | 'cli';

export class PathRefusedError extends Error {
  readonly code = 'forbidden';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

/** The real path of `p`: symbolic links of its existing part resolved, the rest appended. */
export function realPathNearest(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail.reverse());
    } catch {
      const up = path.dirname(head);
      if (up === head) return path.join(head, ...tail.reverse());
      tail.push(path.basename(head));
      head = up;
    }
  }
}

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const DATA_SCHEMES = new Set(['idx', 'cifar', 'folder', 'npy']);

export class PathPolicy {
  private readonly dataRoots = new Set<string>();
  private readonly exportRoots = new Set<string>();

  constructor(
    readonly host: PolicyHost,
    readonly runsRoot: string,
    dataRoots: readonly string[] = [],
  ) {
    for (const r of dataRoots) this.allowData(r);
  }

  get confined(): boolean {
    return this.host !== 'cli';
  }

  /** A folder (or file) the lab may read from: a server's --data-root, or what the person picked in the app. */
  allowData(p: string): void {
    this.dataRoots.add(realPathNearest(p));
  }

  /** A folder the lab may export into: what the person picked in the app's native dialog. */
  allowExport(p: string): void {
    this.exportRoots.add(realPathNearest(p));
  }

  roots(): { data: string[]; exports: string[] } {
    return { data: [...this.dataRoots], exports: [...this.exportRoots] };
  }

  private readable(real: string): boolean {
    return isInside(realPathNearest(this.runsRoot), real) || [...this.dataRoots, ...this.exportRoots].some((r) => isInside(r, real));
  }

  private howToRead(p: string): string {
    return this.host === 'electron'
      ? `Choose it with the Browse… button (the app's file picker), which allows it for this session, or use the command line (npm run lab -- …), which reads any path.`
      : `Start the server with --data-root ${quote(path.resolve(p))} (repeatable) to allow it, or use the command line (npm run lab -- …), which reads any path.`;
  }

  private refuseRead(what: string, shown: string, p: string): never {
    const roots = [this.runsRoot, ...this.dataRoots].map((r) => quote(r)).join(', ');
    throw new PathRefusedError(`${what}: ${shown} is outside the folders this lab may read (the built-in data, ${roots})`, this.howToRead(p));
  }

  /** A dataset spec: builtin needs nothing; a path scheme's path must be readable. */
  checkDataSpec(spec: string, what: string): void {
    if (!this.confined) return;
    const s = spec.trim();
    const colon = s.indexOf(':');
    const scheme = colon > 0 ? s.slice(0, colon) : '';
    if (!DATA_SCHEMES.has(scheme)) return; // builtin:, or a spec the loader refuses without reading anything
    const p = s.slice(colon + 1);
    if (p === '') return;
    if (!this.readable(realPathNearest(p))) this.refuseRead(what, s, p);
  }

  checkReadPath(p: string, what: string): void {
    if (!this.confined) return;
    if (!this.readable(realPathNearest(p))) this.refuseRead(what, p, p);
  }

  /**
   * `from`: a run id of the runs root (returned as that run's folder, so no other folder of the same name is read), or
   * a folder that must be readable.
   */
  resolveFrom(from: string): string {
    if (this.confined && isValidRunId(from) && fs.existsSync(path.join(runDirOf(this.runsRoot, from), 'run.json'))) return runDirOf(this.runsRoot, from);
    if (this.confined) this.checkReadPath(from, 'from');
    return from;
  }

  /** An export's destination: the run's exports/ folder (the default), or a folder the person picked. */
  checkExportDir(runId: string, outDir: string | undefined): void {
    if (!this.confined || outDir === undefined) return;
    const real = realPathNearest(outDir);
    const own = realPathNearest(path.join(runDirOf(this.runsRoot, runId), 'exports'));
    if (isInside(own, real) || [...this.exportRoots].some((r) => isInside(r, real))) return;
    throw new PathRefusedError(
      `exportRun: ${outDir} is outside the run's exports folder (${own})${this.exportRoots.size ? ` and the folders picked this session (${[...this.exportRoots].map(quote).join(', ')})` : ''}`,
      this.host === 'electron'
        ? `Leave the folder empty to export into the run's exports/ folder, pick the destination with the app's folder picker, or run \`npm run lab -- export ${runId} --out ${quote(outDir)}\` at a shell.`
        : `Leave the folder empty to export into the run's exports/ folder, or run \`npm run lab -- export ${runId} --out ${quote(outDir)}\` at a shell.`,
    );
  }
}

const quote = (p: string): string => (/[\s'"$`\\]/.test(p) ? JSON.stringify(p) : p);
