/**
 * `lab export RUN [--what encoder|decoder|classifier|memory|all] [--format onnx|tfjs] [--out DIR]`
 * `lab report RUN [--out FILE]`
 * Exit codes as the root command: 0 ok, 2 bad input (unknown/unfinished/corrupt run, bad option, unwritable folder),
 * 1 any other failure (a failed parity check included).
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { BackendChoice, ExportFormat, ExportWhat } from '../../preload/api';

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
  what: ExportWhat;
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
    .addOption(new Option('--what <part>', 'what to export').choices(['encoder', 'decoder', 'classifier', 'memory', 'all']).default('all'))
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
        const { initBackend } = await import('../engine/backends');
        await initBackend(opts.backend);
        const { exportRun } = await import('../export/exportRun');
        const log = opts.json ? undefined : (l: string) => process.stdout.write(`${l}\n`);
        const res = await exportRun(
          runsRootOf(opts),
          { runId: run, what: opts.what, format: opts.format, ...(opts.out ? { outDir: resolve(opts.out) } : {}) },
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
    .description('write one self-contained HTML report of a run (charts, accuracy matrix, config, environment, reconstructions)')
    .argument('<run>', 'run id')
    .option('--out <file>', 'output HTML file (default <run>/report.html)')
    .option('--runs-root <dir>', 'folder holding the runs (default $CRATE_LAB_RUNS or ./runs)')
    .option('--json', 'print the result as one JSON object')
    .action(async (run: string, opts: { out?: string; runsRoot?: string; json?: boolean }) => {
      try {
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
