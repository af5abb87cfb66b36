/**
 * `driftd history verify` per cluster through the CLI, on a real SQLite file holding two
 * clusters' runs interleaved: every cluster's chain is verified and each broken one named
 * with its first broken run; `--cluster` verifies one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { BASE_PACKAGES, hoursAfter, inCluster, runInput } from '../store/handmade-runs.js';
import { runDriftd } from '../helpers/cli.js';

const REPO = path.resolve(__dirname, '../..');

const driftd = runDriftd;

const T0 = '2026-12-01T00:00:00.000Z';

describe('driftd history verify, per cluster', () => {
  let dir: string;
  let config: string;
  let database: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-verify-'));
    database = path.join(dir, 'history.db');
    // erp runs 1, 3, 5; crm runs 2, 4, 6.
    const store = await Store.open(database);
    const node = { packages: BASE_PACKAGES };
    for (let i = 0; i < 3; i += 1) {
      await store.saveRun(runInput(hoursAfter(T0, i), { 'erp-a': node, 'erp-b': node }));
      await store.saveRun(inCluster(runInput(hoursAfter(T0, i + 0.5), { 'crm-a': node }), 'crm'));
    }
    await store.close();
    config = path.join(dir, 'driftd.yaml');
    writeFileSync(
      config,
      [
        `database: ${database}`,
        'clusters:',
        '  - name: erp',
        '    nodes:',
        `      - { name: erp-a, transport: replay, path: ${path.join(REPO, 'fixtures/demo/erp-a')} }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies every cluster, then names the broken one and its first broken run; --cluster verifies one', async () => {
    const intact = await driftd(['history', 'verify', '--config', config]);
    expect([intact.code, intact.stdout]).toEqual([
      0,
      'evidence chain intact: 6 runs verified (0 thinned by retention, run hashes checked)\n',
    ]);

    const db = new Database(database);
    db.prepare(`UPDATE runs SET meta = '{"instance":"forged"}' WHERE id = 3`).run();
    db.close();

    const broken = await driftd(['history', 'verify', '--config', config]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      /^evidence chain BROKEN for cluster erp at run 3: run 3 \(erp, [^)]+\): run row fields \(times, counts, meta or hashes\) differ from its hash\n\(5 runs checked; 1 cluster broken, any other verifies\)\n$/,
    );

    const crm = await driftd(['history', 'verify', '--config', config, '--cluster', 'crm']);
    expect([crm.code, crm.stdout]).toEqual([
      0,
      'evidence chain of cluster crm intact: 3 runs verified (0 thinned by retention, run hashes checked)\n',
    ]);

    const erp = await driftd(['history', 'verify', '--config', config, '--cluster', 'erp', '--json']);
    expect(erp.code).toBe(1);
    expect(JSON.parse(erp.stdout)).toMatchObject({ ok: false, brokenAt: 3, runs: 2, broken: [{ cluster: 'erp', runId: 3 }] });

    const unknown = await driftd(['history', 'verify', '--config', config, '--cluster', 'nowhere']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--cluster nowhere: the store holds no run of this cluster; nothing to verify/);
  });
});
