/**
 * `lab export RUN [--what encoder|decoder|classifier|memory|all] [--format onnx|tfjs] [--out DIR]`
 * `lab export RUN --what view [--task K] [--classes A,B,C] [--features] [--out DIR]`: the 3D view as CSV + .npy
 * `lab report RUN|SWEEP [--out FILE]`
 * Exit codes as the root command: 0 ok, 2 bad input (unknown/unfinished/corrupt run, bad option, unwritable folder),
 * 1 any other failure (a failed parity check included).
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { BackendChoice, ExportFormat, ExportWhat } from '../../preload/api';
import { ExportError } from '../export/exportError';

const BAD_INPUT = new Set(['bad-request', 'bad-data', 'not-found', 'conflict', 'io', 'unavailable']);

function runsRootOf(opts: { runsRoot?: string }): string {
  return resolve(opts.runsRoot ?? process.env['CRATE_LAB_RUNS'] ?? 'runs');
}

async function fail(e: unknown): Promise<void> {
  const { exportErrorToLabError } = await import('../export/exportError');
  const err = exportErrorToLabError(e);
  process.stderr.write(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
  process.exitCode = BAD_INPUT.has(err.code) ? 2 : 1;
}

interface ExportCliOptions {
  what: ExportWhat | 'view';
  task?: string;
  classes?: string;
  features?: boolean;
  format: ExportFormat;
  out?: string;
  runsRoot?: string;
  backend: BackendChoice;
  json?: boolean;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a finished run: ONNX models checked against onnxruntime, TF.js weights, the structured memory')
    .argument('<run>', 'run id')
    .addOption(new Option('--what <part>', 'what to export').choices(['encoder', 'decoder', 'classifier', 'memory', 'all', 'view']).default('all'))
    .option('--task <k>', 'with --what view: the task end whose snapshot to export, from 1 (runs keep their latest one only)')
    .option('--classes <a,b,c>', 'with --what view: project on these three classes\' leading directions instead of PCA')
    .option('--features', 'with --what view: add each point\'s full feature vector to the CSV')
    .addOption(new Option('--format <format>', 'model format').choices(['onnx', 'tfjs']).default('onnx'))
    .option('--out <dir>', 'output folder (default <run>/exports/<what>-<format>)')
    .option('--runs-root <dir>', 'folder holding the runs (default $CRATE_LAB_RUNS or ./runs)')
    .addOption(
      new Option('--backend <name>', 'TF.js backend of the reference side of the parity check')
        .choices(['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'])
        .default('auto'),
    )
    .option('--json', 'print the result as one JSON object')
    .action(async (run: string, opts: ExportCliOptions) => {
      try {
        if (opts.what === 'view') return await viewCmd(run, opts);
        const { initBackend } = await import('../engine/backends');
        await initBackend(opts.backend);
        const { exportRun } = await import('../export/exportRun');
        const log = opts.json ? undefined : (l: string) => process.stdout.write(`${l}\n`);
        const res = await exportRun(
          runsRootOf(opts),
          { runId: run, what: opts.what as ExportWhat, format: opts.format, ...(opts.out ? { outDir: resolve(opts.out) } : {}) },
          { log },
        );
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(res)}\n`);
          return;
        }
        for (const p of res.parity) {
          const labels = p.labelsEqual === null ? '' : `, labels ${p.labelsEqual ? 'identical' : 'DIFFER'}`;
          process.stdout.write(`parity ${p.ok ? 'ok  ' : 'FAIL'} ${p.model.padEnd(24)} max abs error ${p.maxAbsError.toExponential(2)}${labels}\n`);
        }
        process.stdout.write(`exported ${res.files.length} files to ${res.outDir}\n`);
      } catch (e) {
        await fail(e);
      }
    });

  program
    .command('report')
    .description('write one self-contained HTML report of a run (charts, accuracy matrix, config, environment, reconstructions), or of a sweep (mean ± std of every figure and every seed\'s value)')
    .argument('<run>', 'run id or sweep name (see `runs`)')
    .option('--out <file>', 'output HTML file (default <run>/report.html, sweeps/<name>.html)')
    .option('--runs-root <dir>', 'folder holding the runs (default $CRATE_LAB_RUNS or ./runs)')
    .option('--json', 'print the result as one JSON object')
    .action(async (run: string, opts: { out?: string; runsRoot?: string; json?: boolean }) => {
      try {
        const root = runsRootOf(opts);
        const { readSweep } = await import('../store/sweepFiles');
        const { readRunJson, runDirOf, isValidRunId } = await import('../store/runFiles');
        if (isValidRunId(run) && !readRunJson(runDirOf(root, run)) && readSweep(root, run)) {
          const { reportGroup } = await import('../export/report/reportGroup');
          const res = reportGroup(root, run, opts.out ? resolve(opts.out) : undefined);
          process.stdout.write(opts.json ? `${JSON.stringify(res)}\n` : `sweep report written to ${res.file}\n`);
          return;
        }
        const { initBackend } = await import('../engine/backends');
        await initBackend('cpu'); // reconstructions of a few memory rows only
        const { reportRun } = await import('../export/report/reportRun');
        const res = await reportRun(runsRootOf(opts), run, opts.out ? resolve(opts.out) : undefined);
        process.stdout.write(opts.json ? `${JSON.stringify(res)}\n` : `report written to ${res.file}\n`);
      } catch (e) {
        await fail(e);
      }
    });
}

/** Parses a whole number option; the message names the option. */
function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new ExportError('bad-request', `${what} must be a whole number ≥ ${min}, got '${text}'`);
  return n;
}

async function viewCmd(run: string, opts: ExportCliOptions): Promise<void> {
  const bad = (m: string) => new ExportError('bad-request', m);
  let classes: [number, number, number] | undefined;
  if (opts.classes !== undefined) {
    const parts = opts.classes.split(/[\s,]+/).filter(Boolean);
    if (parts.length !== 3) throw bad(`--classes needs three class indices such as 0,1,2, got '${opts.classes}'`);
    classes = parts.map((p) => wholeNumber(p, '--classes', 0)) as [number, number, number];
  }
  if (opts.format !== 'onnx') throw bad('--format does not apply to --what view (it writes CSV and .npy)');
  const task = opts.task === undefined ? undefined : wholeNumber(opts.task, '--task', 1);
  const { exportView } = await import('../export/viewExport');
  const res = exportView(runsRootOf(opts), run, { task, classes, features: !!opts.features, ...(opts.out ? { outDir: resolve(opts.out) } : {}) });
  if (opts.json) process.stdout.write(`${JSON.stringify(res)}\n`);
  else process.stdout.write(`exported the ${res.projection} view of task ${res.task} (${res.points} points) to ${res.outDir}: ${res.files.map((f) => f.slice(res.outDir.length + 1)).join(', ')}\n`);
}
