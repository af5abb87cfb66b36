/**
 * `driftd history prune` and `driftd history verify` through the CLI, on a real SQLite
 * file holding ten days of runs.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { BASE_PACKAGES, CLUSTER, hoursAfter, runInput } from '../store/handmade-runs.js';
import { runDriftd } from '../helpers/cli.js';

const REPO = path.resolve(__dirname, '../..');

const driftd = runDriftd;

const T0 = '2026-10-01T00:00:00.000Z';
const RUNS = 200;

describe('driftd history prune / verify', () => {
  let dir: string;
  let config: string;
  let database: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-history-'));
    database = path.join(dir, 'history.db');
    // 200 runs every 3 hours (25 days); erp-b changes once, on day 5.
    const store = await Store.open(database);
    for (let i = 0; i < RUNS; i += 1) {
      const b = i < 40 ? { packages: BASE_PACKAGES } : { packages: { ...BASE_PACKAGES, 'pkg-001': '2' } };
      await store.saveRun(runInput(hoursAfter(T0, i * 3), { 'erp-a': { packages: BASE_PACKAGES }, 'erp-b': b }));
    }
    await store.close();
    config = path.join(dir, 'driftd.yaml');
    writeFileSync(
      config,
      [
        `database: ${database}`,
        'clusters:',
        `  - name: ${CLUSTER}`,
        '    nodes:',
        `      - { name: erp-a, transport: replay, path: ${path.join(REPO, 'fixtures/demo/erp-a')} }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a retention under one day (exit 2) and changes nothing', async () => {
    const before = statSync(database).size;
    const result = await driftd(['history', 'prune', '--config', config, '--days', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--days takes a whole number of days/);
    expect(statSync(database).size).toBe(before);
  });

  it('thins unchanged snapshots, vacuums the file smaller, and the chain still verifies', async () => {
    const pruned = await driftd(['history', 'prune', '--config', config, '--days', '1', '--vacuum']);
    expect(pruned.code).toBe(0);
    const thinned = /pruned (\d+) unchanged snapshots/.exec(pruned.stdout);
    // Every run is older than a day: per node, the first snapshot and the change boundary are kept.
    expect(Number(thinned?.[1])).toBeGreaterThan(2 * RUNS - 10);
    const vacuum = /vacuum: (\d+) -> (\d+) bytes/.exec(pruned.stdout);
    expect(Number(vacuum?.[2])).toBeLessThan(Number(vacuum?.[1]));
    expect(statSync(database).size).toBe(Number(vacuum?.[2]));

    const verify = await driftd(['history', 'verify', '--config', config, '--json']);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, runs: RUNS });

    const changes = await driftd(['changes', '--config', config, '--node', 'erp-b', '--since', T0, '--json']);
    expect(changes.code).toBe(0);
    expect(JSON.stringify(JSON.parse(changes.stdout))).toContain('pkg-001');
  });
});
