/**
 * `bench` commands: `npm run lab -- bench models …` through the root CLI (registerBenchCommand), and
 * `npm run bench -- models …` (or plain `npm run bench`, which benches mnist-s) when run as a script.
 * Exit codes as the root CLI: 0 ok, 2 usage or bad input, 1 failure.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as path from 'node:path';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PRESETS } from '../../models/crate/config';

const BACKENDS = ['webgpu', 'tensorflow', 'wasm', 'cpu'];

interface ModelsOptions {
  backend?: string;
  preset: string;
  steps: number;
  threads?: number;
  profile?: boolean;
  compareThreads: boolean;
  json?: boolean;
}

function posInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

function addModelsCommand(parent: Command, isDefault: boolean): void {
  parent
    .command('models', { isDefault })
    .description('closed-loop training throughput per backend, beside the PyTorch CPU reference run on this machine')
    .addOption(new Option('--backend <name>', 'bench only this backend (default: every available one except cpu)').choices(BACKENDS))
    .addOption(new Option('--preset <name>', 'model preset').choices(Object.keys(PRESETS)).default('mnist-s'))
    .addOption(new Option('--steps <n>', 'timed steps per measurement, after one warm-up step').argParser(posInt).default(3))
    .addOption(new Option('--threads <n>', 'wasm threads (default: CRATE_WASM_THREADS, else every core up to 8)').argParser(posInt))
    .option('--no-compare-threads', 'skip timing wasm on one thread beside the multi-threaded run')
    .option('--profile', 'also time every kernel of one step and print where the time goes')
    .option('--json', 'print one JSON object (the whole report) on stdout')
    .action(async (opts: ModelsOptions) => {
      // Loaded on use: TF.js and its backends are heavy, and `lab --help` should stay instant.
      const { benchModels } = await import('./benchModels');
      await benchModels({
        backend: opts.backend,
        preset: opts.preset,
        steps: opts.steps,
        json: opts.json,
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        profile: !!opts.profile,
        compareThreads: opts.compareThreads,
      });
    });
}

function addDeviceCommand(parent: Command): void {
  parent
    .command('device')
    .description('pack the webgpu bench, a Node binary, the Vulkan loader and the PyTorch reference for a GPU machine without Node')
    .option('--out <dir>', 'folder to fill (replaced)', '.device')
    .addOption(new Option('--preset <name>', 'model preset').choices(Object.keys(PRESETS)).default('mnist-s'))
    .addOption(new Option('--steps <n>', 'timed steps of each side').argParser(posInt).default(10))
    .option('--offline', 'skip the downloads (Node binary, Vulkan loader)')
    .action(async (opts: { out: string; preset: string; steps: number; offline?: boolean }) => {
      const { packDevice } = await import('./benchDevice');
      const p = await packDevice(opts);
      process.stdout.write(`${p.dir}: ${(p.bytes / 1024 / 1024).toFixed(1)} MiB (${p.files.join(', ')})\n`);
      for (const m of p.missing) process.stdout.write(`  missing: ${m}\n`);
      process.stdout.write(`on the GPU machine: bash ${path.relative(process.cwd(), p.dir) || '.'}/run.sh   (results in $OUT, else ${path.relative(process.cwd(), p.dir)}/results)\n`);
      if (p.bytes > 64 * 1024 * 1024) process.stdout.write('  warning: over 64 MiB, more than the device tool carries\n');
    });
}

/** Adds `bench models` and `bench device` to the root `crate-lab` program. */
export function registerBenchCommand(program: Command): void {
  const bench = program.command('bench').description('speed benchmarks (closed-loop training step vs PyTorch)');
  addModelsCommand(bench, false);
  addDeviceCommand(bench);
}

/** `npm run bench -- [models] [options]`: the same sub-command, as the default of a stand-alone program. */
export async function runBenchScript(argv: string[] = process.argv): Promise<number> {
  const program = new Command('bench').description('CRATE Lab speed benchmarks').showHelpAfterError('(run with --help for usage)').exitOverride();
  addModelsCommand(program, true);
  addDeviceCommand(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runBenchScript();
}
