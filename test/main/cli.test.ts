import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const lab = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });

describe('crate-lab CLI', () => {
  it('prints help with exit 0, listing the foundation commands', () => {
    const r = lab('--help');
    expect(r.status).toBe(0);
    for (const c of ['serve', 'backends', 'models']) expect(r.stdout).toContain(c);
  });

  it('exits 2 on usage errors, with a message and no stack trace', () => {
    for (const args of [['no-such-command'], ['serve', '--port', 'abc'], ['serve', '--backend', 'cuda']]) {
      const r = lab(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error:/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('backends --json prints one JSON object with the probed backends', () => {
    const r = lab('backends', '--json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { backends: { name: string; available: boolean }[]; auto: string };
    expect(out.backends.map((b) => b.name)).toEqual(['webgpu', 'tensorflow', 'wasm', 'cpu']);
    expect(out.backends.find((b) => b.name === out.auto)?.available).toBe(true);
  });
});
