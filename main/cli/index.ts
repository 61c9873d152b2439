/**
 * `crate-lab` command line (`npm run lab -- <command>`). Exit codes: 0 ok, 2 usage or bad input, 3 no readable checkpoint (resume), 1 failure.
 *
 * This file owns the root command and the foundation commands (serve, backends, models); other modules add
 * theirs through a `registerXCommand(program)` hook, loaded here when present so that a module still being
 * written never breaks the CLI.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice, PresetInfo } from '../../preload/api';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
export const DEFAULT_PORT = 4477;

/** Runs go to --runs-root, else $CRATE_LAB_RUNS, else ./runs. */
export function defaultRunsRoot(): string {
  return resolve(process.env['CRATE_LAB_RUNS'] ?? 'runs');
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0-65535, got '${v}'`);
  return n;
}

const backendOption = (): Option =>
  new Option('--backend <name>', 'TF.js backend for the engine').choices(BACKEND_CHOICES as string[]).default('auto');

// ---------------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------------

interface ServeOptions {
  port: number;
  host: string;
  open?: boolean;
  runsRoot: string;
  /** folders the web API may read datasets from, besides the runs root (repeatable --data-root) */
  dataRoot: string[];
  backend: BackendChoice;
  rendererDir: string;
}

/** A fresh checkout has no build yet: build once (electron-vite only bundles, no Electron binary needed). */
async function buildRenderer(rendererDir: string): Promise<void> {
  process.stderr.write(`No built renderer in ${rendererDir}; building it now (npm run build)...\n`);
  try {
    const { build } = await import('electron-vite');
    await build({ configFile: resolve(repoRoot, 'electron.vite.config.ts'), logLevel: 'warn' });
  } catch (e) {
    process.stderr.write(`warning: the build failed (${(e as Error).message}); the page will say so until \`npm run build\` succeeds.\n`);
  }
}

async function serve(opts: ServeOptions): Promise<void> {
  const { EngineHost } = await import('../engine/host');
  const { startServer } = await import('../server/server');
  const { isLoopbackHost, isWildcardHost, interfaceAddresses } = await import('../server/auth');
  if (!isLoopbackHost(opts.host)) {
    process.stderr.write(
      `warning: binding to ${opts.host}, which is not a loopback address: anyone who can reach this machine and ` +
        'learns the token can control the lab. Prefer an SSH tunnel to 127.0.0.1.\n',
    );
  }
  if (!existsSync(resolve(opts.rendererDir, 'index.html'))) await buildRenderer(opts.rendererDir);
  const missing = opts.dataRoot.filter((r) => !existsSync(r));
  if (missing.length) {
    process.stderr.write(`error: --data-root ${missing.join(', ')}: no such folder\n`);
    process.exitCode = 2;
    return;
  }
  const host = new EngineHost({ runsRoot: opts.runsRoot, backend: opts.backend, host: 'web', dataRoots: opts.dataRoot });
  host.onEvent((e) => {
    if (e.type === 'engine') process.stderr.write(`engine: ${e.message}\n`);
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ backend: host, rendererDir: opts.rendererDir, host: opts.host, port: opts.port });
  } catch (e) {
    // The engine child would keep this process alive: stop it before reporting.
    await host.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new Error(`port ${opts.port} on ${opts.host} is already in use; choose another with --port`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') throw new Error(`cannot bind to ${opts.host}: not an address of this machine`);
    throw e;
  }
  // Started once the port is ours, so a busy port costs no engine start-up.
  host.start().catch((e: Error) => process.stderr.write(`engine: failed to start: ${e.message}\n`));
  process.stdout.write(`CRATE Lab web mode: ${server.url}\n`);
  if (isWildcardHost(opts.host)) {
    for (const a of interfaceAddresses().filter((x) => !x.includes(':') && !x.startsWith('127.'))) {
      process.stdout.write(`  also at: ${server.url.replace(/^http:\/\/[^/]+/, `http://${a}:${server.port}`)}\n`);
    }
  }
  process.stdout.write(`runs: ${opts.runsRoot}   backend: ${opts.backend}   (Ctrl+C to stop)\n`);
  process.stdout.write(
    `the page may read data from: the built-in data, ${[opts.runsRoot, ...opts.dataRoot].join(', ')}` +
      `${opts.dataRoot.length ? '' : ' (add folders with --data-root DIR)'}; exports go to each run's exports/ folder\n`,
  );
  if (opts.open) {
    const { openBrowser } = await import('../server/openBrowser');
    openBrowser(server.url);
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      void Promise.allSettled([server.close(), host.close()]).then(() => done());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

// ---------------------------------------------------------------------------------------------
// backends
// ---------------------------------------------------------------------------------------------

async function backends(opts: { json?: boolean }): Promise<void> {
  const { probeBackends, probeWebGpu, runtimeVersions } = await import('../engine/backends');
  const list = await probeBackends();
  const gpu = await probeWebGpu();
  const auto = list.find((b) => b.available && !(b.name === 'webgpu' && gpu.software))?.name ?? 'cpu';
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ backends: list, auto, adapter: gpu.adapter, versions: runtimeVersions() })}\n`);
    return;
  }
  for (const b of list) {
    process.stdout.write(`${b.name.padEnd(11)} ${b.available ? 'available  ' : 'unavailable'}  ${b.reason ?? ''}\n`);
  }
  if (gpu.adapter) {
    const a = gpu.adapter;
    process.stdout.write(`adapter     ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' / ')}${gpu.software ? ' (software)' : ''}\n`);
  }
  process.stdout.write(`auto picks  ${auto}\n`);
}

// ---------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------

async function models(opts: { json?: boolean }): Promise<void> {
  const { initBackend } = await import('../engine/backends');
  const config = await import('../../models/crate/config');
  const params = await import('../../models/crate/params');
  const { engineConfig } = await import('../engine/modelDefaults');
  // Counting allocates the weights once; cpu keeps that independent of the machine's GPU.
  await initBackend('cpu');
  const descriptions = (config as { PRESET_DESCRIPTIONS?: Record<string, string> }).PRESET_DESCRIPTIONS ?? {};
  const infos: PresetInfo[] = Object.keys(config.PRESETS).map((name) => {
    const cfg = engineConfig(name); // what a run trains, not the bare preset
    const enc = params.initEncoderParams(cfg, 0);
    const dec = params.initDecoderParams(cfg, 0);
    const info: PresetInfo = {
      name,
      description: descriptions[name] ?? '',
      imageShape: [cfg.imageShape[0], cfg.imageShape[1], cfg.imageShape[2]],
      featureDim: cfg.featureDim,
      pool: cfg.pool,
      encoderParams: params.countParams(enc),
      decoderParams: params.countParams(dec),
    };
    for (const p of [enc, dec]) for (const v of p.values()) v.dispose();
    return info;
  });
  if (opts.json) {
    for (const i of infos) process.stdout.write(`${JSON.stringify(i)}\n`);
    return;
  }
  const w = Math.max(6, ...infos.map((i) => i.name.length));
  process.stdout.write(`${'preset'.padEnd(w)}  ${'image'.padEnd(9)}  ${'F'.padStart(4)}  ${'pool'.padEnd(4)}  ${'encoder'.padStart(10)}  ${'decoder'.padStart(10)}  description\n`);
  for (const i of infos) {
    process.stdout.write(
      `${i.name.padEnd(w)}  ${i.imageShape.join('x').padEnd(9)}  ${String(i.featureDim).padStart(4)}  ${i.pool.padEnd(4)}  ${i.encoderParams.toLocaleString('en-US').padStart(10)}  ` +
        `${i.decoderParams.toLocaleString('en-US').padStart(10)}  ${i.description}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Root
// ---------------------------------------------------------------------------------------------

type Register = (program: Command) => void;

/** Sub-command modules written by other parts of the lab: file → exported hook names. */
const COMMAND_MODULES: readonly [string, readonly string[]][] = [
  ['./data', ['registerDataCommand']],
  ['./train', ['registerTrainCommands']],
  ['./runs', ['registerRunsCommand', 'registerRunsCommands']],
  ['./export', ['registerExportCommand']],
  ['./report', ['registerReportCommand']],
  ['./bench', ['registerBenchCommand']],
];

async function registerOptionalCommands(program: Command): Promise<void> {
  for (const [spec, hooks] of COMMAND_MODULES) {
    // A module not written yet is skipped quietly; one that exists but fails to load is worth a warning.
    if (!existsSync(fileURLToPath(new URL(`${spec}.ts`, import.meta.url)))) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(/* @vite-ignore */ spec)) as Record<string, unknown>;
    } catch (e) {
      process.stderr.write(`warning: commands from main/cli/${spec.slice(2)}.ts failed to load: ${(e as Error).message.split('\n')[0]}\n`);
      continue;
    }
    for (const name of hooks) {
      const hook = mod[name];
      if (typeof hook !== 'function') continue;
      try {
        (hook as Register)(program);
      } catch (e) {
        // e.g. two modules adding the same command name: keep the CLI usable and say which hook clashed.
        process.stderr.write(`warning: ${name} from main/cli/${spec.slice(2)}.ts failed: ${(e as Error).message}\n`);
      }
    }
  }
}

export async function buildProgram(): Promise<Command> {
  const program = new Command('crate-lab')
    .description('CRATE Lab: continual learning with white-box CRATE models')
    .version(process.env['npm_package_version'] ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Set before adding sub-commands: they inherit it, so every usage error reaches our exit-code mapping.
    .exitOverride();

  program
    .command('serve')
    .description('web mode: serve the lab UI and its API to a browser (token-protected, loopback by default)')
    .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').argParser(port).default(DEFAULT_PORT))
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--open', 'open the URL in the default browser')
    .option('--runs-root <dir>', 'folder holding the runs (default $CRATE_LAB_RUNS or ./runs)', defaultRunsRoot())
    .option('--data-root <dir>', 'a folder the page may read datasets from, besides the runs root (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(backendOption())
    .addOption(new Option('--renderer-dir <dir>', 'built renderer to serve').default(resolve(repoRoot, 'out/renderer')).hideHelp())
    .action(async (opts: ServeOptions) =>
      serve({ ...opts, runsRoot: resolve(opts.runsRoot), dataRoot: opts.dataRoot.map((r) => resolve(r)), rendererDir: resolve(opts.rendererDir) }),
    );

  program
    .command('backends')
    .description('list the TF.js compute backends this machine offers, and the GPU adapter if any')
    .option('--json', 'print one JSON object')
    .action(backends);

  program
    .command('models')
    .description('list the CRATE presets with their parameter counts')
    .option('--json', 'print one JSON object per preset')
    .action(models);

  await registerOptionalCommands(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      return 2;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

const code = await main();
process.exitCode = code;
