// The version in run records must be the app's, from source and from the bundle alike (different depths).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appVersion } from '../../main/engine/appVersion';

const root = mkdtempSync(join(tmpdir(), 'crate-version-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('appVersion', () => {
  it('is the version of package.json at the repository root when called from the source tree', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(appVersion()).toBe(pkg.version);
  });

  it('walks past a foreign package.json to the one named crate-lab, from a bundle-like depth', () => {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'crate-lab', version: '9.8.7' }));
    const chunks = join(root, 'out', 'main', 'chunks');
    mkdirSync(chunks, { recursive: true });
    writeFileSync(join(root, 'out', 'package.json'), JSON.stringify({ name: 'something-else', version: '1.0.0' }));
    expect(appVersion(chunks)).toBe('9.8.7');
  });
});
