// The packaging configuration as data: `npm run dist` (electron-builder) downloads Electron, which cannot happen here,
// so what is checked is what it would build with: the fuses that close Electron's side doors, the asar archive with
// only the native parts unpacked, the built output as the app's only code, and the icon.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../..');
const config = JSON.parse(readFileSync(join(repo, 'electron-builder.json'), 'utf8')) as {
  appId: string;
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  icon: string;
  electronFuses: Record<string, boolean>;
};
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string>; dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };

describe('packaging (electron-builder.json)', () => {
  it('sets the fuses: no RunAsNode, no NODE_OPTIONS or --inspect, encrypted cookies, asar integrity, only-load-from-asar', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
    // integrity and only-from-asar are meaningful only with an asar archive
    expect(config.asar).toBe(true);
  });

  it('`npm run dist` builds first and packages with this file', () => {
    expect(pkg.scripts['dist']).toBe('electron-vite build && electron-builder --config electron-builder.json');
  });

  it('ships the built output (the main entry among it) and no source maps', () => {
    expect(config.files).toContain('out/**');
    expect(config.files).toContain('!**/*.map');
    expect(pkg.main.replace(/^\.\//, '')).toMatch(/^out\//);
  });

  it('unpacks every native addon of the dependencies from the asar (a .node file cannot be loaded from inside it)', () => {
    expect(config.asarUnpack).toContain('**/*.node');
    const deps = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})];
    const withAddons = deps.filter((d) => {
      const dir = join(repo, 'node_modules', d);
      if (!existsSync(dir)) return false;
      return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).some((f) => f.endsWith('.node'));
    });
    expect(withAddons).toEqual(expect.arrayContaining(['onnxruntime-node', 'webgpu']));
    for (const d of withAddons) expect(config.asarUnpack, d).toContain(`node_modules/${d}/**`);
  });

  it('has a 512×512 app icon (electron-builder derives the platform formats from it)', () => {
    const png = PNG.sync.read(readFileSync(join(repo, config.icon)));
    expect([png.width, png.height]).toEqual([512, 512]);
  });

  it('the app never relies on running Electron as Node (the runAsNode fuse is off)', () => {
    // the engine is a utilityProcess in the app; child_process.fork of process.execPath would need ELECTRON_RUN_AS_NODE
    const index = readFileSync(join(repo, 'main/shell/index.ts'), 'utf8');
    expect(index).toMatch(/utilityProcess\.fork/);
    expect(index).not.toMatch(/ELECTRON_RUN_AS_NODE/);
    const backends = readFileSync(join(repo, 'main/engine/backends.ts'), 'utf8');
    expect(backends).toMatch(/process\.versions\.electron/); // the quiet GPU probe runs in-process under Electron
  });
});
