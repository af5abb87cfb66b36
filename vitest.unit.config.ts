import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the fast loop. The pure core, parsers on recorded fixtures, rules,
 * config, store, view, metrics rendering and window logic; no sshd, browser, Prometheus or
 * cluster stack needed. The few checks inside these files that compare with a real tool
 * (dpkg, rpm, promtool) skip loudly when the tool is absent; `npm test` runs everything.
 */
export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/collectors/**/*.test.ts',
      'test/config/**/*.test.ts',
      'test/rules/**/*.test.ts',
      'test/store/**/*.test.ts',
      'test/view/**/*.test.ts',
      'test/window/**/*.test.ts',
      // Failover simulation: the pure parts (the corpus and CLI tests run the real crm_simulate).
      'test/simulate/cib-state.test.ts',
      'test/simulate/parse-output.test.ts',
      'test/simulate/judge.test.ts',
      'test/simulate/failover-finding.property.test.ts',
    ],
    exclude: ['test/lab/**', 'node_modules/**', 'test/store/crash.test.ts', 'test/window/resources.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
