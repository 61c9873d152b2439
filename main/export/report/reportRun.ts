/**
 * `report RUN`: gather a run's files into ReportData and write the self-contained HTML (atomically, so a failed
 * report never leaves half a file over an older one). Works for unfinished runs too: the report says their status.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { KnowledgeEvent, MetricRecord, TaskRecord } from '../../../preload/api';
import { isValidRunId, readKnowledge, readMetrics, readRunJson, readStatus, runDirOf, settingsOf } from '../../store/runFiles';
import { ExportError } from '../exportError';
import { writeReport } from './writeReport';
import { reconstructionStrips } from './reconstructions';
import { reportHtml, type ReportAssets, type ReportData } from './reportHtml';

const MAX_POINTS = 2000;

export function reportAssets(): ReportAssets {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  return {
    uplotJs: fs.readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8'),
    uplotCss: fs.readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8'),
  };
}

/** Keep at most `max` evenly spaced records, always the last one. */
export function downsample<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(rows[Math.floor((i * rows.length) / (max - 1))]);
  out.push(rows[rows.length - 1]);
  return out;
}

export async function collectReportData(runsRoot: string, runId: string): Promise<ReportData> {
  if (!isValidRunId(runId)) throw new ExportError('bad-request', `'${runId}' is not a valid run id`);
  const runDir = runDirOf(runsRoot, runId);
  if (!fs.existsSync(runDir)) throw new ExportError('not-found', `run '${runId}' not found in ${runsRoot}`);
  const run = readRunJson(runDir);
  if (!run) throw new ExportError('bad-data', `run '${runId}': ${path.join(runDir, 'run.json')} is missing or corrupt`);
  const status = readStatus(runDir);
  const knowledge = readKnowledge(runDir);
  const metrics = readMetrics(runDir).filter((m: MetricRecord) => m.type === 'step');
  return {
    generatedAt: new Date().toISOString(),
    run: {
      id: run.id,
      name: run.name,
      status: status?.status ?? 'created',
      createdAt: run.createdAt,
      updatedAt: status?.updatedAt ?? null,
      data: run.data.spec,
      conversion: run.data.conversion,
      preset: run.request.preset,
      backend: run.backend,
      seed: run.seed ?? null,
      settings: settingsOf(run),
    },
    classNames: run.data.classNames,
    config: run.config,
    environment: {
      ...Object.fromEntries(Object.entries(run.versions ?? {}).map(([k, v]) => [`${k} (training)`, v])),
      'backend (training)': run.backend,
      'adapter (training)': run.adapter ?? null,
      'report node': process.version,
      'report platform': `${os.platform()} ${os.arch()}, ${os.cpus().length} CPUs`,
    },
    tasks: knowledge.filter((k): k is TaskRecord => k.kind === 'task'),
    events: knowledge.filter((k): k is KnowledgeEvent => k.kind === 'event'),
    metrics: downsample(metrics, MAX_POINTS).map((m) => ({
      step: m.step,
      T: m.T,
      lossEncoder: m.lossEncoder,
      lossDecoder: m.lossDecoder,
      samplesPerSec: m.samplesPerSec,
    })),
    reconstructions: await reconstructionStrips(runDir, run).catch(() => []),
  };
}

export async function reportRun(runsRoot: string, runId: string, outFile?: string): Promise<{ file: string; bytes: number }> {
  const data = await collectReportData(runsRoot, runId);
  const html = reportHtml(data, reportAssets());
  const file = path.resolve(outFile ?? path.join(runDirOf(runsRoot, runId), 'report.html'));
  return writeReport(file, html);
}
