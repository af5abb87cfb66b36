/**
 * Layer rules (README "Development"): arrows point inward.
 *
 *   cli -> daemon (composition root) -> audit | view | collect | store | http | metrics | report | window
 *       -> collectors | transports | rules (edges) -> core (pure: model, diff, rules, score)
 *
 * `npm run deps` checks them with `depcruise`; .ci/run runs it.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide the layering, even type-only ones.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core knows nothing of SSH, SQLite, HTTP, the file system, config loading or the clock: pure functions over plain data.',
      from: { path: '^src/core/' },
      to: {
        pathNot: ['^src/core/', '^node_modules/(zod|diff)/', '^crypto$', '^v8$'],
        dependencyTypesNot: ['npm-dev'],
      },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      comment:
        "Only node:crypto (hashing) and node:v8 (switching rule regexes to V8's linear-time engine on excessive backtracking, src/core/engine/rules/safe-regex.ts) are allowed in the pure core.",
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'], pathNot: ['^crypto$', '^v8$'] },
    },
    {
      name: 'only-the-composition-root-imports-daemon',
      severity: 'error',
      comment: 'src/daemon is lifecycle, schedule, signals and wiring; nothing below it may import it.',
      from: { path: '^src/', pathNot: ['^src/daemon/', '^src/cli/'] },
      to: { path: '^src/daemon/' },
    },
    {
      name: 'collectors-are-parsers',
      severity: 'error',
      comment: 'Collectors declare commands and parse output; they never reach transports, the store, HTTP or metrics.',
      from: { path: '^src/collectors/' },
      to: { path: '^src/(transports|store|http|metrics|daemon|cli|collect|report|window)/' },
    },
    {
      name: 'transports-know-no-facets',
      severity: 'error',
      from: { path: '^src/transports/' },
      to: { path: '^src/(collectors|store|http|metrics|daemon|cli|report|window)/' },
    },
    {
      name: 'store-below-presentation',
      severity: 'error',
      comment: 'The store keeps history; it does not know HTTP, metrics, reports, transports or the CLI.',
      from: { path: '^src/store/' },
      to: { path: '^src/(http|metrics|daemon|cli|report|transports|collect|collectors)/' },
    },
    {
      name: 'cli-definitions-stay-cheap',
      severity: 'error',
      comment:
        "driftd --version and --help load main.ts and every command's definition: they import only commander and small modules. A command's work (config, store, SSH, engine) is import()ed in its action (src/cli/main.ts).",
      from: { path: ['^src/cli/(main|bin)[.]ts$', '^src/cli/definitions/'] },
      to: {
        pathNot: [
          '^src/cli/(definitions/|docs/|defaults[.]ts$|exit-codes[.]ts$|main[.]ts$|listen[.]ts$|closed-output[.]ts$)',
          '^src/version[.]ts$',
          '^src/core/(snapshot|text/terminal)[.]ts$',
          '^src/report/defaults[.]ts$',
          '(^|/)node_modules/commander/',
        ],
        dependencyTypesNot: ['type-only', 'dynamic-import', 'core'],
      },
    },
    {
      name: 'no-src-to-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
