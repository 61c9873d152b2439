/**
 * `export RUN --what view`: the 3D view of a run's stored feature snapshot as data — view.csv (every point's view
 * coordinates, class, class name, task; feature vectors with --features) and the projection as view-axes.npy and
 * view-center.npy — computed by the window's own projection code (renderer/src/scenes/cloudFrame.ts), so the numbers
 * are those the window draws for the same snapshot and projection. Runs keep the snapshot of their latest task end
 * only (snapshot.json), so that is the one task this can export.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildCloudFrame, decodeSnapshot, type ProjectionMode } from '../../renderer/src/scenes/cloudFrame';
import { classTaskMap, npyFloat32, viewAxes, viewCsv } from '../../renderer/src/lib/viewData';
import { isValidRunId, readRunJson, readSnapshot, runDirOf, snapshotFile } from '../store/runFiles';
import { writeFileAtomic } from '../store/atomicFile';
import { ExportError } from './exportError';
import { describeFsError } from './stagingDir';

export interface ViewExportOptions {
  /** task from 1, as the window shows it; default the stored snapshot's */
  task?: number;
  /** 'pca' (default) or three class indices whose leading directions are the axes */
  classes?: [number, number, number];
  features?: boolean;
  outDir?: string;
}

export interface ViewExportResult {
  outDir: string;
  files: string[];
  points: number;
  task: number;
  projection: 'pca' | 'classes';
}

export function exportView(runsRoot: string, runId: string, o: ViewExportOptions = {}): ViewExportResult {
  if (!isValidRunId(runId)) throw new ExportError('bad-request', `'${runId}' is not a valid run id`);
  const dir = runDirOf(runsRoot, runId);
  const run = readRunJson(dir);
  if (!run) throw new ExportError('not-found', `run '${runId}' not found in ${runsRoot}`);
  const snap = readSnapshot(dir);
  if (!snap) throw new ExportError('not-found', `run '${runId}' has no stored feature snapshot (${snapshotFile(dir)}): it has not finished a task yet, or was recorded before snapshots were kept`);
  const stored = snap.task + 1;
  if (o.task !== undefined && o.task !== stored)
    throw new ExportError(
      'not-found',
      `run '${runId}' stores the feature snapshot of its latest task end only (task ${stored}); the snapshot of task ${o.task} was not kept`,
      `leave --task out, or use --task ${stored}`,
    );
  let decoded;
  try {
    decoded = decodeSnapshot(snap);
  } catch (e) {
    throw new ExportError('bad-data', `run '${runId}': ${snapshotFile(dir)} is not readable: ${(e as Error).message}`);
  }
  let mode: ProjectionMode = { kind: 'pca' };
  if (o.classes) {
    const have = decoded.classes.map((c) => c.cls);
    const missing = o.classes.find((c) => !have.includes(c));
    if (missing !== undefined) throw new ExportError('bad-request', `--classes: class ${missing} is not in the snapshot (it holds ${have.join(', ')})`);
    mode = { kind: 'classes', classes: o.classes };
  }
  const frame = buildCloudFrame(decoded, mode, null);
  const csv = viewCsv({ frame, snapshot: decoded, classNames: run.data.classNames, classTask: classTaskMap(run.tasks.map((classes) => ({ classes }))), features: !!o.features });
  const { axes, center, d } = viewAxes(frame);
  const outDir = path.resolve(o.outDir ?? path.join(dir, 'exports', `view-task${stored}`));
  const files = [
    ['view.csv', csv],
    ['view-axes.npy', npyFloat32(axes, [3, d])],
    ['view-center.npy', npyFloat32(center, [d])],
  ] as const;
  try {
    fs.mkdirSync(outDir, { recursive: true });
    for (const [name, data] of files) writeFileAtomic(path.join(outDir, name), data);
  } catch (e) {
    throw new ExportError('io', `cannot write the view export to ${outDir}: ${describeFsError(e)}`);
  }
  return { outDir, files: files.map(([n]) => path.join(outDir, n)), points: frame.n, task: stored, projection: mode.kind };
}
