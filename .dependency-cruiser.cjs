// The project's dependency rules, checked in `npm test` (test/architecture/dependencies.test.ts runs the cruiser
// with these on main/, models/, preload/ and renderer/src/, and on fixtures that break each rule on purpose).
// docs/ARCHITECTURE.md says why each boundary is where it is.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: a module and what it imports must be readable in one direction.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'models-no-node',
      severity: 'error',
      comment: 'models/ (CRATE, losses, memory, subspaces) runs in Node, in the engine process and in the browser: no Node built-ins.',
      from: { path: '^models/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'models-no-electron-or-dom',
      severity: 'error',
      comment: 'models/ imports neither Electron nor DOM libraries (tsconfig.models.json has no DOM lib either), nor the app around it.',
      from: { path: '^models/' },
      to: { path: ['(^|/)node_modules/(electron|react|react-dom|three|@react-three/[^/]+)/', '^(electron|react|react-dom|three)$', '^(main|renderer|preload)/'] },
    },
    {
      name: 'renderer-no-node',
      severity: 'error',
      comment: 'renderer/ is a sandboxed web page (the app window, or a browser tab in web mode): no Node built-ins.',
      from: { path: '^renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-no-electron-or-main',
      severity: 'error',
      comment: 'renderer/ reaches the lab only through the API (preload/api.ts): no Electron, nothing of main/.',
      from: { path: '^renderer/' },
      to: { path: ['(^|/)node_modules/electron/', '^electron$', '^main/'] },
    },
    {
      name: 'electron-only-in-the-shell',
      severity: 'error',
      comment:
        'Only the Electron shell (main/shell/) and its preload import electron: the engine, the Node services and ' +
        'web mode run under plain Node.',
      from: { pathNot: '^(main/shell|preload)/' },
      to: { path: ['(^|/)node_modules/electron/', '^electron$'] },
    },
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
