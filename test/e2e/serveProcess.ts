import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repo, 'main/cli/index.ts');

/**
 * `crate-lab serve` in a child process, as the end-to-end suites drive it: start() resolves with the tokenised URL the
 * server prints, stop() ends it (SIGTERM, then SIGKILL after 15 s) so a test can restart the server on the same runs.
 */
export class ServeProcess {
  private child: ChildProcess | null = null;

  constructor(
    private readonly runsRoot: string,
    private readonly extraArgs: string[] = [],
    private readonly timeoutMs = 90_000,
  ) {}

  start(): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--port', '0', '--runs-root', this.runsRoot, ...this.extraArgs], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve printed no URL in ${this.timeoutMs / 1000} s; stderr:\n${err}`)), this.timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited early (${code}); stderr:\n${err}`));
      });
    });
  }

  async stop(): Promise<void> {
    const s = this.child;
    this.child = null;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (s.exitCode === null) s.kill('SIGKILL');
  }
}
