import { defineConfig } from 'vitest/config';

// The lab tests need `lab.sh up` first (run.sh does it); the root config excludes them.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/lab/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One lab, shared state: files must not run against it at the same time.
    fileParallelism: false,
  },
});
