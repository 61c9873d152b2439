/**
 * Three builds (electron-vite): main (with the engine as its own entry for the utilityProcess), the sandboxed
 * preload (one self-contained CommonJS file: a sandboxed preload cannot load modules), and the React renderer.
 * `electron-vite build` only bundles, so it works on machines without the Electron binary (CI, web mode).
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy } from './main/shared/csp';

const root = import.meta.dirname;

/**
 * The CSP meta tag in renderer/index.html is the strict production policy. Vite's dev server needs inline
 * styles, its React-refresh preamble and its HMR socket, so in dev (serve) only, the tag gets the dev policy.
 */
function devCspPlugin(): Plugin {
  return {
    name: 'crate-lab-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace(
        /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/i,
        // frame-ancestors is ignored (with a console warning) when delivered in a meta tag.
        (_m, open: string, close: string) => `${open}${contentSecurityPolicy(true).replace(/; frame-ancestors [^;]*/, '')}${close}`,
      ),
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // TF.js packages reached only transitively (models/ imports tfjs-core) must stay external too: a bundled
      // second copy of tfjs-core would have its own backend registry, and setBackend would miss it.
      externalizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-node'] },
      rolldownOptions: {
        // The engine entry is also reached through `?modulePath` in main/shell/index.ts, which bundles it separately.
        input: { index: resolve(root, 'main/shell/index.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Bundle everything (only electron stays external): the sandbox has no module loader.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [react(), devCspPlugin()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
