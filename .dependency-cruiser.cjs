/**
 * The dependency rules of src/ (docs/architecture.md), checked by `npm test` (npm run check:deps):
 * no import cycle between files or between folders, and adapters at the edge — they never import
 * the pipeline, the consumer, the composition (runtime/, daemon, CLI) or config.ts.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file that ends up importing itself.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      scope: 'folder',
      severity: 'error',
      comment: 'Folders depend one way: a cycle between folders means a layer imports one above it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'adapters-at-the-edge',
      severity: 'error',
      comment: 'Adapters implement ports; they receive typed options and never reach up into the application.',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(pipeline|consumer|runtime|commands|gate|pool|spot|local|http|config\\.ts|daemon\\.ts|cli\\.ts)' },
    },
    {
      name: 'core-depends-on-nothing',
      severity: 'error',
      comment: 'The domain core (errors, codes, classify, outcomes, backoff, document shapes) imports no other part of src/.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
