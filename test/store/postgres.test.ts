/**
 * The store on a real PostgreSQL (test/helpers/postgres.ts: initdb on loopback) against
 * the same store on SQLite: the same runs give the same answers, hashes included; a
 * SQLite history copies over with its chain intact; two writers never fork the chain;
 * a lost server fails the operation with a clear, password-free StoreError.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeEvaluation } from '../../src/core/window/verdict.js';
import { SCHEMA_VERSION, Store, StoreError } from '../../src/store/index.js';
import type { NewWindow } from '../../src/store/windows.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { BASE_PACKAGES, finding, hoursAfter, runInput, tempDir } from './handmade-runs.js';

const T0 = '2026-11-24T20:00:00.000Z';
let databases = 0;

/** A fresh, empty database on the server, and its URL (no password in it). */
function freshDatabase(pg: PostgresServer): string {
  databases += 1;
  const name = `driftd_t${databases}`;
  pg.psql(`CREATE DATABASE ${name}`);
  return `postgresql://${encodeURIComponent(pg.user)}@127.0.0.1:${pg.port}/${name}`;
}

function openPg(pg: PostgresServer, url = freshDatabase(pg)): Promise<Store> {
  return Store.open(url, { postgres: { password: pg.password } });
}

function newWindow(cluster: string, baselineRunId: number): NewWindow {
  return {
    cluster,
    name: `patch-${cluster}`,
    openedAt: hoursAfter(T0, 2.5),
    plannedEnd: hoursAfter(T0, 6),
    baselineRunId,
    nodes: ['erp-b', 'erp-a'],
    expectation: { items: [], allow: [] },
    expectationFile: null,
    baselineValues: {},
    baselineFindingIds: [],
    versionFormat: 'deb',
  };
}

function evidence(node: string): NodeEvaluation {
  const empty: [] = [];
  return {
    node,
    verdict: 'safe',
    reasons: empty,
    expectation: empty,
    expectedChanges: empty,
    operationalChanges: empty,
    unexpectedChanges: empty,
    peerFindings: empty,
    rebootRequired: false,
  };
}

/**
 * A history with what every table holds: changes, a finding opened and resolved, an
 * unreachable node, thinned snapshots after a prune, a window with a verification.
 */
async function writeHistory(store: Store): Promise<void> {
  const a = { packages: BASE_PACKAGES, sysctl: { 'vm.swappiness': '60' } };
  const b2 = { ...a, packages: { ...BASE_PACKAGES, 'pkg-007': '2.0' } };
  const mismatch = finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' });
  await store.saveRun(runInput(T0, { 'erp-a': a, 'erp-b': a }));
  for (let h = 1; h <= 4; h += 1) await store.saveRun(runInput(hoursAfter(T0, h), { 'erp-a': a, 'erp-b': a }));
  await store.saveRun(runInput(hoursAfter(T0, 5), { 'erp-a': a, 'erp-b': b2 }, [mismatch]));
  await store.saveRun(runInput(hoursAfter(T0, 6), { 'erp-a': a, 'erp-b': { ...b2, error: 'connect-timeout' } }, [mismatch]));
  await store.saveRun(runInput(hoursAfter(T0, 7), { 'erp-a': a, 'erp-b': a }));
  const window = await store.windows().openWindow(newWindow('erp', 1));
  await store.windows().recordVerification({
    windowId: window.id,
    node: 'erp-b',
    at: hoursAfter(T0, 7.5),
    verdict: 'safe',
    runId: 8,
    evidence: evidence('erp-b'),
  });
  await store.prune({ keepUnchangedDays: 1, now: hoursAfter(T0, 24 * 10) });
  await store.saveRun(runInput(hoursAfter(T0, 8), { 'erp-a': { ...a, sysctl: { 'vm.swappiness': '10' } }, 'erp-b': a }));
}

/** Everything the store answers about its history, for comparison across backends. */
async function answers(store: Store): Promise<Record<string, unknown>> {
  const runs = await store.runs();
  const perRun: Record<number, unknown> = {};
  for (const run of runs) perRun[run.id] = { report: await store.reportOf(run.id), snapshots: await store.snapshotsOfRun(run.id) };
  const windows = await store.windows().windows();
  return {
    schemaVersion: await store.schemaVersion(),
    runs,
    perRun,
    latest: await store.latestRun('erp'),
    latestSnapshots: await store.latestSnapshots('erp'),
    changes: await store.changes({}),
    changesOfB: await store.changes({ node: 'erp-b', since: hoursAfter(T0, 4), until: hoursAfter(T0, 8) }),
    episodes: await store.findingEpisodes({}),
    openEpisodes: await store.findingEpisodes({ cluster: 'erp', openOnly: true }),
    readiness: await store.readinessHistory('erp', T0),
    snapshotAt: await store.snapshotOf('erp-b', hoursAfter(T0, 6.5), 'erp'),
    knows: [await store.knowsNode('erp-a'), await store.knowsNode('nobody')],
    windows,
    verifications: await Promise.all(windows.map((w) => store.windows().verifications(w.id))),
    chain: await store.verifyChain(),
    rows: (await store.stats()).rows,
  };
}

describe.skipIf(!postgresAvailable)('the store on PostgreSQL', { timeout: 120_000 }, () => {
  let pg: PostgresServer;
  let dir: { dir: string; cleanup: () => void };
  let sqliteAnswers: Record<string, unknown>;
  let sqliteFile: string;

  beforeAll(async () => {
    dir = tempDir();
    pg = await startPostgres();
    sqliteFile = join(dir.dir, 'history.db');
    const sqlite = await Store.open(sqliteFile);
    try {
      await writeHistory(sqlite);
      sqliteAnswers = await answers(sqlite);
    } finally {
      await sqlite.close();
    }
  }, 120_000);

  afterAll(async () => {
    await pg?.stop();
    dir?.cleanup();
  });

  it('creates the schema from the same migrations and answers exactly as SQLite does, hashes included', async () => {
    const store = await openPg(pg);
    try {
      expect(store.backend).toBe('postgres');
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      await writeHistory(store);
      const got = await answers(store);
      expect(got).toEqual(sqliteAnswers);
      expect(got.chain).toMatchObject({ ok: true, runs: 9 });
      expect((got.chain as { thinnedRuns: number }).thinnedRuns).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('copies a SQLite history with its evidence chain intact, and the copy keeps recording', async () => {
    const url = freshDatabase(pg);
    const source = await Store.open(sqliteFile, { readonly: true });
    const target = await openPg(pg, url);
    try {
      const result = await source.copyTo(target);
      expect(result.verdict).toMatchObject({ ok: true, runs: 9 });
      expect(result.rows['runs']).toBe(9);
      expect(await answers(target)).toEqual(sqliteAnswers);
      // Ids continue after the copied ones (identity sequences), and the chain links on.
      const next = await target.saveRun(
        runInput(hoursAfter(T0, 9), { 'erp-a': { packages: BASE_PACKAGES }, 'erp-b': { packages: BASE_PACKAGES } }, [
          finding('mismatch:packages:pkg-001', { 'erp-a': '1', 'erp-b': '2' }),
        ]),
      );
      expect(next.id).toBe(10);
      expect(next.prevHash).toBe((await source.latestRun('erp'))?.hash);
      const window = await target.windows().openWindow({ ...newWindow('web', 10), name: 'after-copy' });
      expect(window.id).toBe(2);
      expect(await target.verifyChain()).toMatchObject({ ok: true, runs: 10 });
      // A second copy into a database that holds runs is refused, and changes nothing.
      await expect(source.copyTo(target)).rejects.toThrow(/already holds 10 runs; copy only into an empty database/);
      expect(await target.verifyChain()).toMatchObject({ ok: true, runs: 10 });
    } finally {
      await source.close();
      await target.close();
    }
  });

  it("two writers on one database never fork a chain (each cluster's lock serialises its link)", async () => {
    const url = freshDatabase(pg);
    const one = await openPg(pg, url);
    const two = await openPg(pg, url);
    try {
      const writes = [];
      for (let i = 0; i < 12; i += 1) {
        const writer = i % 2 === 0 ? one : two;
        const input = runInput(hoursAfter(T0, i), { 'erp-a': { packages: { a: String(i % 3) } } });
        writes.push(
          writer.saveRun({
            ...input,
            cluster: `c${i % 3}`,
            report: { ...input.report, cluster: `c${i % 3}` },
            snapshots: input.snapshots.map((s) => ({ ...s, cluster: `c${i % 3}` })),
          }),
        );
      }
      const records = await Promise.all(writes);
      expect(records.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(await one.verifyChain()).toMatchObject({ ok: true, runs: 12 });
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('refuses a password in the URL and never shows one in its errors', async () => {
    const url = freshDatabase(pg);
    const withPassword = url.replace('@', ':s3cret-in-url@');
    const refused = await Store.open(withPassword).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as Error).message).toMatch(/do not put the password in the URL/);
    expect((refused as Error).message).not.toContain('s3cret-in-url');
    const wrong = await Store.open(url, { postgres: { password: 'not-the-password' } }).catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(StoreError);
    expect((wrong as StoreError).code).toBe('open-failed');
    expect((wrong as Error).message).toMatch(/password authentication failed/);
    expect((wrong as Error).message).not.toContain('not-the-password');
    expect((wrong as Error).message).not.toContain(pg.password);
  });

  it('applies the TLS settings: TLS required of a server without it is refused; a missing CA file is named', async () => {
    const url = freshDatabase(pg);
    const required = await Store.open(url, { postgres: { password: pg.password, sslMode: 'require' } }).catch((error: unknown) => error);
    expect(required).toBeInstanceOf(StoreError);
    expect((required as Error).message).toMatch(/cannot open PostgreSQL .*: The server does not support SSL connections/);
    const viaUrl = await Store.open(`${url}?sslmode=require`, { postgres: { password: pg.password } }).catch((error: unknown) => error);
    expect((viaUrl as Error).message).toMatch(/does not support SSL/);
    const noCa = await Store.open(url, {
      postgres: { password: pg.password, sslMode: 'verify-full', sslCaFile: join(dir.dir, 'no-ca.pem') },
    }).catch((error: unknown) => error);
    expect((noCa as Error).message).toMatch(/cannot read the CA file .*no-ca\.pem \(databaseSslCaFile\)/);
  });

  it('a lost server fails the operation with an `unavailable` StoreError; nothing half-written', async () => {
    const own = await startPostgres();
    const store = await Store.open(own.url, { postgres: { password: own.password } });
    try {
      await store.saveRun(runInput(T0, { 'erp-a': {} }));
      await own.stop();
      const failed = await store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': {} })).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(StoreError);
      expect((failed as StoreError).code).toBe('unavailable');
      expect((failed as Error).message).toMatch(/PostgreSQL postgresql:\/\/.*127\.0\.0\.1.* is unreachable or dropped the connection/);
      expect((failed as Error).message).not.toContain(own.password);
      await expect(store.latestRun('erp')).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await store.close().catch(() => undefined);
      await own.stop();
    }
  });
});
