// The dependency rules of .dependency-cruiser.cjs (no import cycles; models/ pure; renderer/ a web page; electron only
// in the shell) hold for the project, and they bite: a fixture that breaks each rule on purpose is caught, rule by rule.
// The cruiser's API is used rather than its CLI, which refuses Node 20 (the project supports Node ≥ 20.19).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseOptions, type IViolation } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '../..');
const config = createRequire(import.meta.url)(join(repo, '.dependency-cruiser.cjs')) as { forbidden: NonNullable<ICruiseOptions['ruleSet']>['forbidden']; options: ICruiseOptions };

async function violations(baseDir: string, roots: string[], tsConfig: boolean): Promise<{ violations: IViolation[]; modules: number }> {
  const { tsConfig: _ts, ...options } = config.options;
  const r = await cruise(roots, { ...options, ...(tsConfig ? { tsConfig: _ts } : {}), baseDir, validate: true, ruleSet: { forbidden: config.forbidden } });
  const out = r.output as Exclude<typeof r.output, string>;
  return { violations: out.summary.violations, modules: out.modules.length };
}

const describeViolation = (v: IViolation) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;

describe('dependency rules', () => {
  it('hold for main/, models/, preload/ and renderer/src/', async () => {
    const r = await violations(repo, ['main', 'models', 'preload', 'renderer/src'], true);
    expect(r.modules).toBeGreaterThan(150); // the cruise saw the code (TypeScript resolved), not an empty tree
    expect(r.violations.map(describeViolation)).toEqual([]);
  });

  const fixture = mkdtempSync(join(tmpdir(), 'crate-lab-deps-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(fixture, rel)), { recursive: true });
    writeFileSync(join(fixture, rel), text);
  };

  it('catch a cycle and each forbidden import of a fixture that breaks them', async () => {
    write('main/engine/a.ts', "import { b } from './b';\nexport const a = () => b;\n");
    write('main/engine/b.ts', "import type { a } from './a';\nexport const b = 1;\nexport type A = typeof a;\n"); // a type-only import closes the cycle
    write('main/engine/usesElectron.ts', "import { app } from 'electron';\nexport const v = app;\n");
    write('main/shell/index.ts', "import { app } from 'electron';\nexport const v = app;\n"); // allowed: the shell
    write('models/readsFiles.ts', "import * as fs from 'node:fs';\nexport const f = fs;\n");
    write('models/drawsDom.ts', "import * as THREE from 'three';\nexport const t = THREE;\n");
    write('models/reachesUp.ts', "import { a } from '../main/engine/a';\nexport const x = a;\n");
    write('renderer/src/readsFiles.ts', "import { join } from 'node:path';\nexport const j = join;\n");
    write('renderer/src/usesElectron.ts', "import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;\n");
    write('renderer/src/reachesMain.ts', "import { b } from '../../main/engine/b';\nexport const y = b;\n");
    const r = await violations(fixture, ['main', 'models', 'renderer'], false);
    // the cycle a → b → a (closed by a type-only import) is reported once, from whichever side the cruiser starts
    const cycles = r.violations.filter((v) => v.rule.name === 'no-circular');
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles.every((v) => ['main/engine/a.ts', 'main/engine/b.ts'].includes(v.from))).toBe(true);
    const got = r.violations.filter((v) => v.rule.name !== 'no-circular').map((v) => `${v.rule.name} ${v.from}`).sort();
    expect(got).toEqual(
      [
        'electron-only-in-the-shell main/engine/usesElectron.ts',
        'electron-only-in-the-shell renderer/src/usesElectron.ts',
        'models-no-electron-or-dom models/drawsDom.ts',
        'models-no-electron-or-dom models/reachesUp.ts',
        'models-no-node models/readsFiles.ts',
        'renderer-no-electron-or-main renderer/src/reachesMain.ts',
        'renderer-no-electron-or-main renderer/src/usesElectron.ts',
        'renderer-no-node renderer/src/readsFiles.ts',
      ].sort(),
    );
  });
});
