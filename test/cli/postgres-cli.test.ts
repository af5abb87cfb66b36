/**
 * Every history command through the real CLI on both stores: a SQLite history, copied
 * into a real PostgreSQL with `driftd history copy`, gives the same output for `check
 * --stored`, `history`, `changes`, `history verify`, `report` and `window status`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { buildDemoStore, type DemoStore } from '../report/demo-store.js';
import { runDriftd, type CliRun } from '../helpers/cli.js';

/** PGPASSWORD unset unless a test sets it: the password comes from the config's file. */
function driftd(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runDriftd(args, { PGPASSWORD: '', ...env });
}

describe.skipIf(!postgresAvailable)('the CLI on SQLite and on PostgreSQL', { timeout: 300_000 }, () => {
  let pg: PostgresServer;
  let dir: string;
  let demo: DemoStore | undefined;
  let dbFile: string;
  let sqliteConfig: string;
  let pgConfig: string;

  beforeAll(async () => {
    pg = await startPostgres();
    pg.psql('CREATE DATABASE driftd_cli');
    demo = await buildDemoStore();
    dir = demo.dir;
    dbFile = demo.dbFile;
    sqliteConfig = demo.configFile;
    const passwordFile = path.join(dir, 'pg-password');
    writeFileSync(passwordFile, `${pg.password}\n`, { mode: 0o600 });
    pgConfig = path.join(dir, 'pg.yaml');
    writeFileSync(
      pgConfig,
      readFileSync(sqliteConfig, 'utf8').replace(
        /^database: .*$/m,
        `database: ${pg.url.replace(/\/[^/]*$/, '/driftd_cli')}\ndatabasePasswordFile: ${passwordFile}`,
      ),
    );
    // The demo history (five runs: changes, findings opened and resolved), a prune and an open window.
    const store = await Store.open(dbFile);
    try {
      await store.prune({ keepUnchangedDays: 1, now: '2026-11-30T00:00:00.000Z' });
      await store.windows().openWindow({
        cluster: 'erp-demo',
        name: 'patch-erp',
        openedAt: '2026-11-22T09:00:00.000Z',
        plannedEnd: null,
        baselineRunId: 5,
        nodes: ['erp-b', 'erp-a', 'erp-c'],
        expectation: { items: [], allow: [] },
        expectationFile: null,
        baselineValues: {},
        baselineFindingIds: [],
        versionFormat: 'deb',
      });
    } finally {
      await store.close();
    }
  }, 120_000);

  afterAll(async () => {
    await pg?.stop();
    demo?.cleanup();
  });

  it('history copy moves the SQLite history into PostgreSQL with the chain intact, once', async () => {
    const copied = await driftd(['history', 'copy', '--from', dbFile, '--config', pgConfig]);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(/^copied 5 runs \(\d+ rows\) from .*driftd\.db to postgresql:\/\/driftd@127\.0\.0\.1:\d+\/driftd_cli\n/);
    expect(copied.stdout).toMatch(/evidence chain of the copy intact: 5 runs verified \([1-9]\d* thinned by retention\)/);
    expect(copied.stdout).not.toContain(pg.password);
    const again = await driftd(['history', 'copy', '--from', dbFile, '--config', pgConfig]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds 5 runs; copy only into an empty database/);
  });

  const commands: [string, string[]][] = [
    ['check --stored', ['check', '--stored', '--json']],
    ['history', ['history', '--since', '2026-11-01']],
    ['history --json', ['history', '--json', '--since', '2026-11-01', '--until', '2026-12-01']],
    ['changes', ['changes', '--node', 'erp-b', '--since', '2026-11-01', '--until', '2026-12-01', '--json']],
    ['history verify', ['history', 'verify']],
    ['report', ['report', '--since', '2026-11-01', '--until', '2026-12-01T00:00:00Z', '--format', 'json', '--out', '-']],
    ['window status', ['window', 'status', '--cluster', 'erp-demo', '--json']],
  ];

  it.each(commands)('%s gives the same output on both stores', async (_name, args) => {
    const onSqlite = await driftd([...args, '--config', sqliteConfig]);
    const onPg = await driftd([...args, '--config', pgConfig]);
    expect(onPg.stderr).toBe(onSqlite.stderr);
    expect(onPg.code).toBe(onSqlite.code);
    expect(onSqlite.stdout.length).toBeGreaterThan(20);
    // Only the config file named in a report's command line may differ.
    const normalise = (text: string) =>
      text
        .replaceAll(pgConfig, 'CONFIG')
        .replaceAll(sqliteConfig, 'CONFIG')
        .replace(/"(generatedAt|checkedAt)": "[^"]*"/g, '');
    expect(normalise(onPg.stdout)).toBe(normalise(onSqlite.stdout));
  });

  it('reads the password from the file only: without it the CLI says what failed, and shows no password', async () => {
    const noFile = path.join(dir, 'no-password.yaml');
    writeFileSync(noFile, readFileSync(pgConfig, 'utf8').replace(/^databasePasswordFile: .*\n/m, ''));
    const started = Date.now();
    const refused = await driftd(['history', 'verify', '--config', noFile]);
    expect(refused.code).toBe(2);
    // The refused connection is closed at once, not left to the server's 60 s authentication_timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(refused.stderr).toMatch(/cannot open PostgreSQL postgresql:\/\/driftd@127\.0\.0\.1:\d+\/driftd_cli: .*password/);
    const fromEnv = await driftd(['history', 'verify', '--config', noFile], { PGPASSWORD: pg.password });
    expect(fromEnv.code).toBe(0);
    expect(`${fromEnv.stdout}${fromEnv.stderr}${refused.stderr}`).not.toContain(pg.password);
  });
});
