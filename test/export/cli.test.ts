// The `export` and `report` sub-commands: output, exit codes and readable errors (no stack traces).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerExportCommand } from '../../main/cli/export';
import { makeFakeRun } from './fakeRun';

let root: string;
let runId: string;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-cli-'));
  runId = (await makeFakeRun(root)).id;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function lab(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const program = new Command('crate-lab').exitOverride();
  registerExportCommand(program);
  let code = 0;
  try {
    await program.parseAsync(['node', 'crate-lab', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch {
    code = 2; // commander usage error, as main/cli/index.ts maps it
  } finally {
    vi.restoreAllMocks();
  }
  return { out: out.join(''), err: err.join(''), code };
}

describe('lab export / lab report', () => {
  it('export --json prints the result; the files are there', async () => {
    const out = path.join(root, 'cli-out');
    const r = await lab('export', runId, '--runs-root', root, '--backend', 'cpu', '--what', 'encoder', '--out', out, '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.out.trim());
    expect(res.outDir).toBe(out);
    expect(res.parity[0]).toMatchObject({ model: 'encoder.onnx', ok: true });
    expect(fs.existsSync(path.join(out, 'encoder.onnx'))).toBe(true);
  });

  it('an unfinished or missing run exits 2 with one readable line', async () => {
    await makeFakeRun(root, { id: 'cli-running', status: 'running' });
    const r = await lab('export', 'cli-running', '--runs-root', root, '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: run 'cli-running' is running, not finished/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const m = await lab('export', 'ghost', '--runs-root', root, '--backend', 'cpu');
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/run 'ghost' not found/);
  });

  it('an unknown format is a usage error', async () => {
    const r = await lab('export', runId, '--runs-root', root, '--format', 'keras');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/argument 'keras' is invalid\. Allowed choices are onnx, tfjs/);
  });

  it('report writes the HTML file and says where', async () => {
    const file = path.join(root, 'rep', 'r.html');
    const r = await lab('report', runId, '--runs-root', root, '--out', file);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`report written to ${file}\n`);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/);
  });
});
