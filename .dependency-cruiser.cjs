// The project's dependency rules, checked in `npm test` (test/architecture/dependencies.test.ts runs the cruiser
// with these on main/, models/, preload/ and renderer/src/, and on fixtures that break each rule on purpose).
// docs/ARCHITECTURE.md says why each boundary is where it is.
const ELECTRON = ['(^|/)node_modules/electron/', '^electron$'];
const DOM_LIBRARIES = ['(^|/)node_modules/(react|react-dom|three|@react-three/[^/]+)/', '^(react|react-dom|three)$'];
const NODE_BUILTINS = { dependencyTypes: ['core'] };

/** A rule whose violation fails `npm test`: nothing matching `from` may import anything matching `to`. */
const forbid = (name, comment, from, to) => ({ name, severity: 'error', comment, from, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid('no-circular', 'No import cycles: a module and what it imports read in one direction.', {}, { circular: true }),
    // models/ (CRATE, losses, memory, subspaces) runs in the engine process and could run in the browser
    forbid('models-no-node', 'models/ imports no Node built-ins.', { path: '^models/' }, NODE_BUILTINS),
    forbid(
      'models-no-electron-or-dom',
      'models/ imports neither Electron nor DOM libraries (tsconfig.models.json has no DOM lib either), nor the app around it.',
      { path: '^models/' },
      { path: [...ELECTRON, ...DOM_LIBRARIES, '^(main|renderer|preload)/'] },
    ),
    // renderer/ is a sandboxed web page (the app window, or a browser tab in web mode)
    forbid('renderer-no-node', 'renderer/ imports no Node built-ins.', { path: '^renderer/' }, NODE_BUILTINS),
    forbid(
      'renderer-no-electron-or-main',
      'renderer/ reaches the lab only through the API (preload/api.ts): no Electron, nothing of main/.',
      { path: '^renderer/' },
      { path: [...ELECTRON, '^main/'] },
    ),
    forbid(
      'electron-only-in-the-shell',
      'Only the Electron shell (main/shell/) and its preload import electron: the engine, the Node services and web mode run under plain Node.',
      { pathNot: '^(main/shell|preload)/' },
      { path: ELECTRON },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(out|\\.tsbuild|test-artifacts|runs)/' },
    // type-only imports count too: a cycle through types is still a cycle to read
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'] },
  },
};
