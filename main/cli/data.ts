/**
 * `lab data inspect [SPEC]`: loads a dataset spec as a run would, prints its classes, counts, shape,
 * value range and conversion (a table, or one JSON object with --json), and writes a PNG grid of samples.
 * Exit codes: 0 success, 2 bad input (unreadable data, unknown preset, bad option), 1 any other failure.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { DataInspectResult } from '../../preload/api';
import { PRESETS } from '../../models/crate/config';
import { DataError } from '../data/dataError';
import { DEFAULT_SEED, DEFAULT_SPEC, loadDataset } from '../data/dataset';
import { renderSampleGrid, summarizeDataset } from '../data/inspect';

export interface DataInspectOptions {
  out: string;
  json?: boolean;
  preset?: string;
  seed?: number;
  maxPerClass?: number;
  /** PNG/JPEG files declaring more pixels are refused before decoding (default 4096², $CRATE_LAB_MAX_IMAGE_PIXELS) */
  maxImagePixels?: number;
}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

function integerOption(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${v}'`);
    return n;
  };
}

export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('datasets: inspect what a spec yields');
  data
    .command('inspect')
    .description('print classes, counts, shape, value range and conversion of a dataset, and write a PNG grid of samples')
    .argument('[spec]', 'builtin:digits | idx:DIR | cifar:DIR | folder:DIR | npy:FILE', DEFAULT_SPEC)
    .option('--out <file>', 'where to write the sample grid PNG', './data-inspect.png')
    .option('--json', 'print one JSON object instead of a table')
    .option('--preset <name>', `convert to a preset's image shape (${Object.keys(PRESETS).join(', ')})`)
    .option('--seed <n>', 'seed of the train/test split', integerOption('--seed', 0), DEFAULT_SEED)
    .option('--max-per-class <n>', 'keep at most n training images per class', integerOption('--max-per-class', 1))
    .option('--max-image-pixels <n>', 'refuse PNG/JPEG files declaring more pixels, before decoding them (default 4096x4096 = 16777216, or $CRATE_LAB_MAX_IMAGE_PIXELS)', integerOption('--max-image-pixels', 1))
    .action(async (spec: string, opts: DataInspectOptions) => {
      process.exitCode = await runDataInspect(spec, opts, processIo);
    });
}

/** The command's body, returning the exit code (tests call it directly). */
export async function runDataInspect(spec: string, opts: DataInspectOptions, io: CliIo = processIo): Promise<number> {
  let shape: [number, number, number] | undefined;
  if (opts.preset !== undefined) {
    const cfg = Object.prototype.hasOwnProperty.call(PRESETS, opts.preset) ? PRESETS[opts.preset] : undefined;
    if (!cfg) {
      io.stderr(`error: unknown preset '${opts.preset}' (known: ${Object.keys(PRESETS).join(', ')})\n`);
      return 2;
    }
    shape = [cfg.imageShape[0], cfg.imageShape[1], cfg.imageShape[2]];
  }
  let result: DataInspectResult;
  let png: Buffer;
  try {
    const ds = await loadDataset(spec, { shape, seed: opts.seed, maxPerClass: opts.maxPerClass, maxImagePixels: opts.maxImagePixels });
    result = summarizeDataset(ds);
    png = renderSampleGrid(ds);
  } catch (err) {
    if (err instanceof DataError) {
      io.stderr(`error: ${err.message}\n`);
      return 2;
    }
    io.stderr(`error: loading ${spec} failed: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
  try {
    await writeFile(opts.out, png);
  } catch (err) {
    io.stderr(`error: cannot write the sample grid to ${opts.out}: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout(opts.json ? `${JSON.stringify({ ...result, grid: opts.out })}\n` : formatTable(result, opts.out));
  return 0;
}

export function formatTable(r: DataInspectResult, gridFile: string): string {
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));
  const lines = [
    `dataset     ${r.spec}`,
    `shape       ${r.shape.join('x')} (C x H x W)`,
    `range       ${fmt(r.range[0])} .. ${fmt(r.range[1])}`,
    `conversion  ${r.conversion}`,
    `grid        ${gridFile}`,
    '',
  ];
  const nameW = Math.max(5, ...r.classes.map((c) => c.length));
  const total = r.counts.reduce((a, c) => ({ train: a.train + c.train, test: a.test + c.test }), { train: 0, test: 0 });
  lines.push(`${'class'.padEnd(nameW)}  ${'train'.padStart(7)}  ${'test'.padStart(7)}`);
  r.classes.forEach((c, k) => lines.push(`${c.padEnd(nameW)}  ${String(r.counts[k].train).padStart(7)}  ${String(r.counts[k].test).padStart(7)}`));
  lines.push(`${'total'.padEnd(nameW)}  ${String(total.train).padStart(7)}  ${String(total.test).padStart(7)}`);
  return `${lines.join('\n')}\n`;
}
