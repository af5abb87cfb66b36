/**
 * The evidence chain per cluster (issue #28), on SQLite and on a real PostgreSQL: a run
 * links to the previous run of its own cluster, whichever connection ("instance") stored
 * either; tampering with one cluster's chain is named for that cluster while the others
 * still verify; a history written with the old global chain (fixture written by the
 * schema-4 store, make-global-chain-fixture.ts) verifies after migration 5 and continues
 * per cluster.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Store, type RunRecord, type SaveRunInput } from '../../src/store/index.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { BASE_PACKAGES, finding, hoursAfter, inCluster, runInput, tempDir, type NodeState } from './handmade-runs.js';

const T0 = '2026-12-01T00:00:00.000Z';
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const BACKENDS: readonly ('sqlite' | 'postgres')[] = postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'];

let server: PostgresServer | undefined;
let databases = 0;
beforeAll(async () => {
  if (postgresAvailable) server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const state: NodeState = { packages: Object.fromEntries(Object.entries(BASE_PACKAGES).slice(0, 20)), sysctl: { 'vm.swappiness': '60' } };

/** A run of `cluster` at T0 + `hour`, stored by `instance` (meta.instance, as the daemon records it). */
function run(cluster: string, hour: number, instance: string, nodeState: NodeState = state): SaveRunInput {
  const prefix = cluster.slice(0, 3);
  const input = inCluster(runInput(hoursAfter(T0, hour), { [`${prefix}-a`]: nodeState, [`${prefix}-b`]: nodeState }), cluster);
  return { ...input, meta: { instance } };
}

describe.each(BACKENDS)('the evidence chain per cluster on %s', (backend) => {
  let dir: { dir: string; cleanup: () => void };
  let target = '';
  let pgDatabase = '';
  const open: Store[] = [];

  /** A connection to the test's database; each one stands for a driftd instance. */
  async function connect(): Promise<Store> {
    const store = await Store.open(target, server && backend === 'postgres' ? { postgres: { password: server.password } } : {});
    open.push(store);
    return store;
  }

  /** Edits the database behind the store's back (foreign keys off on SQLite). */
  async function raw(sql: string): Promise<void> {
    if (backend === 'sqlite') {
      const db = new Database(target);
      db.pragma('foreign_keys = OFF');
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
      return;
    }
    if (!server) throw new Error('no PostgreSQL server');
    const client = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: pgDatabase,
    });
    await client.connect();
    try {
      // As SQLite's foreign_keys OFF: the superuser's session skips the foreign-key triggers.
      await client.query(`SET session_replication_role = replica; ${sql}`);
    } finally {
      await client.end();
    }
  }

  /** Removes a run and its rows (episodes that cite it stay, as a careless forger would leave them). */
  function deleteRun(id: number): string {
    return ['node_snapshots', 'node_scores', 'run_findings', 'node_changes']
      .map((t) => `DELETE FROM ${t} WHERE run_id = ${id};`)
      .concat(`DELETE FROM runs WHERE id = ${id};`)
      .join('\n');
  }

  beforeEach(() => {
    dir = tempDir();
    if (backend === 'postgres' && server) {
      databases += 1;
      pgDatabase = `chain_t${databases}`;
      server.psql(`CREATE DATABASE ${pgDatabase}`);
      target = server.url.replace(/\/[^/]*$/, `/${pgDatabase}`);
    } else {
      target = join(dir.dir, 'history.db');
    }
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    dir.cleanup();
  });

  it.each(['the same connection (the daemon rendering its report)', 'another connection (`history verify`)'])(
    'verifies one consistent state while runs are stored meanwhile, read through %s',
    async (through) => {
      const writer = await connect();
      const reader = through.startsWith('the same') ? writer : await connect();
      const drifted: NodeState = { ...state, packages: { ...state.packages, 'pkg-007': '2.0' } };
      const found = finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' });
      let writing = true;
      const writes = (async () => {
        // Every run opens, continues or resolves an episode and changes a node: rows a half-seen run would leave out of step.
        for (let i = 0; i < 24; i += 1) {
          const on = i % 3 !== 2;
          await writer.saveRun(runInput(hoursAfter(T0, i), { 'erp-a': state, 'erp-b': on ? drifted : state }, on ? [found] : []));
        }
        writing = false;
      })();
      const verdicts: unknown[] = [];
      while (writing) verdicts.push(await reader.verifyChain());
      await writes;
      expect(verdicts.length).toBeGreaterThan(2);
      expect(verdicts.filter((v) => !(v as { ok: boolean }).ok)).toEqual([]);
      expect(await reader.verifyChain()).toEqual({ ok: true, runs: 24, thinnedRuns: 0 });
    },
  );

  /** erp and crm interleaved, each run stored by the other instance than its cluster's previous one. */
  async function interleaved(): Promise<RunRecord[]> {
    const siteA = await connect();
    const siteB = await connect();
    const records: RunRecord[] = [];
    for (let i = 0; i < 3; i += 1) {
      records.push(await (i % 2 === 0 ? siteA : siteB).saveRun(run('erp', i, i % 2 === 0 ? 'site-a' : 'site-b')));
      records.push(await (i % 2 === 0 ? siteB : siteA).saveRun(run('crm', i + 0.5, i % 2 === 0 ? 'site-b' : 'site-a')));
    }
    return records;
  }

  it('links two runs of one cluster stored by different instances', async () => {
    const siteA = await connect();
    const siteB = await connect();
    const first = await siteA.saveRun(run('erp', 0, 'site-a'));
    const second = await siteB.saveRun(run('erp', 1, 'site-b'));
    expect(first.prevHash).toBeNull();
    expect(second).toMatchObject({ prevHash: first.hash, meta: { instance: 'site-b' } });
    expect(await siteA.verifyChain()).toEqual({ ok: true, runs: 2, thinnedRuns: 0 });
  });

  it('gives interleaved clusters a chain each', async () => {
    const records = await interleaved();
    const erp = records.filter((r) => r.cluster === 'erp');
    const crm = records.filter((r) => r.cluster === 'crm');
    expect(records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(erp.map((r) => r.prevHash)).toEqual([null, erp[0]?.hash, erp[1]?.hash]);
    expect(crm.map((r) => r.prevHash)).toEqual([null, crm[0]?.hash, crm[1]?.hash]);
    const store = await connect();
    expect(await store.verifyChain()).toEqual({ ok: true, runs: 6, thinnedRuns: 0 });
    expect(await store.verifyChain({ cluster: 'crm' })).toEqual({ ok: true, runs: 3, thinnedRuns: 0 });
    expect(await store.verifyChain({ cluster: 'nowhere' })).toEqual({ ok: true, runs: 0, thinnedRuns: 0 });
  });

  it('names a deleted middle run of erp for erp while crm still verifies', async () => {
    await interleaved();
    await raw(deleteRun(3));
    const store = await connect();
    const verdict = await store.verifyChain();
    expect(verdict).toMatchObject({ ok: false, brokenAt: 5, runs: 5 });
    expect(verdict.ok ? [] : verdict.broken).toEqual([
      {
        cluster: 'erp',
        runId: 5,
        reason: expect.stringMatching(/^run 5 \(erp, .*\): prev_hash does not match the previous run of cluster erp/),
      },
    ]);
    expect(await store.verifyChain({ cluster: 'crm' })).toEqual({ ok: true, runs: 3, thinnedRuns: 0 });
    expect(await store.verifyChain({ cluster: 'erp' })).toMatchObject({ ok: false, brokenAt: 5, runs: 2 });
  });

  it('names an edited middle run of erp for erp, and each broken cluster for itself', async () => {
    await interleaved();
    await raw(`UPDATE runs SET meta = '{"instance":"site-c"}' WHERE id = 3`);
    const store = await connect();
    expect(await store.verifyChain()).toMatchObject({
      ok: false,
      brokenAt: 3,
      broken: [{ cluster: 'erp', runId: 3, reason: expect.stringMatching(/run row fields .* differ from its hash/) }],
    });
    expect(await store.verifyChain({ cluster: 'crm' })).toMatchObject({ ok: true });
    // crm broken too, later in id order: both named, sorted by cluster; brokenAt is the first.
    await raw(`UPDATE node_scores SET score = 0.25 WHERE run_id = 6`);
    const both = await store.verifyChain();
    expect(both).toMatchObject({ ok: false, brokenAt: 3 });
    expect((both.ok ? [] : both.broken).map((b) => [b.cluster, b.runId])).toEqual([
      ['crm', 6],
      ['erp', 3],
    ]);
  });

  it('attributes a tampered episode to its own cluster', async () => {
    const siteA = await connect();
    const drifted: NodeState = { ...state, packages: { ...state.packages, 'pkg-007': '2.0' } };
    for (const cluster of ['erp', 'crm']) {
      const found = finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' });
      const input = inCluster(
        runInput(hoursAfter(T0, cluster === 'erp' ? 0 : 0.5), { 'erp-a': state, 'erp-b': drifted }, [found]),
        cluster,
      );
      await siteA.saveRun(input);
    }
    await raw(`UPDATE finding_episodes SET message = 'nothing to see' WHERE cluster = 'crm'`);
    const verdict = await siteA.verifyChain();
    expect(verdict.ok ? [] : verdict.broken).toEqual([
      { cluster: 'crm', runId: 2, reason: expect.stringMatching(/finding episode \d+ \(mismatch:packages:pkg-007\): message differs/) },
    ]);
    expect(await siteA.verifyChain({ cluster: 'erp' })).toEqual({ ok: true, runs: 1, thinnedRuns: 0 });
  });

  describe('a history written with the global chain (schema 4)', () => {
    /** Puts the fixture in place at `target` (on PostgreSQL: copied, then turned back into a schema-4 database). */
    async function globalChainHistory(): Promise<{ runs: RunRecord[]; verdict: unknown }> {
      const expected = JSON.parse(readFileSync(join(FIXTURES, 'global-chain-history.json'), 'utf8')) as {
        schemaVersion: number;
        runs: RunRecord[];
        verdict: unknown;
      };
      expect(expected.schemaVersion).toBe(4);
      const file = join(dir.dir, backend === 'sqlite' ? 'history.db' : 'source.db');
      copyFileSync(join(FIXTURES, 'global-chain-history.db'), file);
      if (backend === 'sqlite') return expected;
      // The SQLite file is migrated and copied into PostgreSQL, which is then put back to
      // what schema 4 left there: no store_settings, and a runs id sequence that saveRun
      // never advanced (it chose ids itself).
      const source = await Store.open(file);
      const copy = await connect();
      expect((await source.copyTo(copy)).verdict).toEqual(expected.verdict);
      await source.close();
      await copy.close();
      open.splice(open.indexOf(copy), 1);
      await raw(`DROP TABLE store_settings; DROP INDEX runs_cluster_id; UPDATE driftd_schema SET version = 4;
                 SELECT setval(pg_get_serial_sequence('runs', 'id'), 1, false);`);
      return expected;
    }

    it('verifies after migration and continues per cluster, each cluster from its last run before the switch', async () => {
      const expected = await globalChainHistory();
      const siteA = await connect();
      expect(await siteA.verifyChain()).toEqual(expected.verdict);
      expect(expected.verdict).toEqual({ ok: true, runs: 10, thinnedRuns: 3 });
      expect(await siteA.runs()).toEqual(expected.runs);
      // The old links really are global: run 2 (crm) stands on run 1 (erp).
      expect(expected.runs[1]).toMatchObject({ cluster: 'crm', prevHash: expected.runs[0]?.hash });
      const siteB = await connect();
      const crm = await siteA.saveRun(run('crm', 10, 'site-a'));
      const erp = await siteB.saveRun(run('erp', 11, 'site-b'));
      const erp2 = await siteA.saveRun(run('erp', 12, 'site-a'));
      const lastBefore = (cluster: string) => expected.runs.filter((r) => r.cluster === cluster).at(-1);
      expect(crm).toMatchObject({ id: 11, prevHash: lastBefore('crm')?.hash });
      expect(erp).toMatchObject({ id: 12, prevHash: lastBefore('erp')?.hash });
      expect(lastBefore('erp')?.id).toBe(9);
      expect(erp2.prevHash).toBe(erp.hash);
      expect(await siteB.verifyChain()).toEqual({ ok: true, runs: 13, thinnedRuns: 3 });
      expect(await siteB.verifyChain({ cluster: 'erp' })).toMatchObject({ ok: true, runs: 7 });
      await siteB.prune({ keepUnchangedDays: 0, now: hoursAfter(T0, 24) });
      expect(await siteB.verifyChain()).toMatchObject({ ok: true, runs: 13 });
    });

    it('still detects tampering before the switch (global rule) and after it (per cluster)', async () => {
      await globalChainHistory();
      const store = await connect();
      expect(await store.saveRun(run('erp', 11, 'site-b'))).toMatchObject({ id: 11 });
      await store.saveRun(run('erp', 12, 'site-b'));
      // Before the switch a removed run breaks the next run in id order, whatever its cluster.
      await raw(deleteRun(3));
      const verdict = await store.verifyChain();
      expect(verdict.ok ? [] : verdict.broken).toEqual([
        {
          cluster: 'crm',
          runId: 4,
          reason: expect.stringMatching(/prev_hash does not match the previous run of the database \(linked before per-cluster chains/),
        },
      ]);
      // erp's runs after it still link (run 5 on run 4, by the global rule; 11 on 9, per cluster).
      expect(await store.verifyChain({ cluster: 'erp' })).toMatchObject({ ok: true, runs: 6 });
      // The last erp run before the switch, removed, breaks erp's first per-cluster run.
      await raw(deleteRun(9));
      expect(await store.verifyChain({ cluster: 'erp' })).toMatchObject({
        ok: false,
        brokenAt: 11,
        reason: expect.stringMatching(/previous run of cluster erp/),
      });
    });
  });
});

describe.skipIf(!postgresAvailable)('the per-cluster lock on PostgreSQL', () => {
  let dir: { dir: string; cleanup: () => void };
  let url = '';
  let database = '';
  const stores: Store[] = [];
  const clients: pg.Client[] = [];

  async function connect(): Promise<Store> {
    const store = await Store.open(url, { postgres: { password: server?.password } });
    stores.push(store);
    return store;
  }

  /** A plain session on the test's database, to hold locks the way another instance would. */
  async function session(): Promise<pg.Client> {
    if (!server) throw new Error('no PostgreSQL server');
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await client.connect();
    clients.push(client);
    return client;
  }

  /** 'settled' if the promise settles within `ms`, else 'waiting'. */
  async function within(promise: Promise<unknown>, ms: number): Promise<'settled' | 'waiting'> {
    let timer: NodeJS.Timeout | undefined;
    const waiting = new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), ms)));
    const result = await Promise.race([promise.then(() => 'settled' as const), waiting]);
    clearTimeout(timer);
    return result;
  }

  beforeEach(async () => {
    dir = tempDir();
    databases += 1;
    database = `chain_lock_t${databases}`;
    server?.psql(`CREATE DATABASE ${database}`);
    url = (server?.url ?? '').replace(/\/[^/]*$/, `/${database}`);
    // Migrate once up front, so the tests' locks meet saveRun, not the migration.
    await connect();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    for (const s of stores.splice(0)) await s.close();
    dir.cleanup();
  });

  it("holds up only the locked cluster's writer, on a key space of its own", async () => {
    const [store] = stores;
    if (!store) throw new Error('no store');
    const other = await session();
    await other.query('BEGIN');
    await other.query("SELECT pg_advisory_xact_lock(hashtext('driftd:chain'), hashtext('erp'))");
    const erp = store.saveRun(run('erp', 0, 'site-a'));
    const crm = store.saveRun(run('crm', 0, 'site-b'));
    expect(await within(crm, 5_000)).toBe('settled');
    expect(await within(erp, 500)).toBe('waiting');
    // The waiting lock is a two-int advisory key (objsubid 2): apart from the one-bigint
    // keys of hashtext() that the history lock and src/fleet take.
    const watcher = await session();
    const waiting = await watcher.query("SELECT objsubid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    expect(waiting.rows).toEqual([{ objsubid: 2 }]);
    await other.query('COMMIT');
    expect((await erp).prevHash).toBeNull();
    expect(await store.verifyChain()).toEqual({ ok: true, runs: 2, thinnedRuns: 0 });
  });

  it('lets prune (the history lock, exclusive) wait for runs being stored, and runs wait for prune', async () => {
    const [store] = stores;
    if (!store) throw new Error('no store');
    const other = await session();
    await other.query('BEGIN');
    await other.query("SELECT pg_advisory_xact_lock(hashtext('driftd:history'))");
    const saved = store.saveRun(run('erp', 0, 'site-a'));
    expect(await within(saved, 500)).toBe('waiting');
    await other.query('COMMIT');
    await saved;
    // A writer holding the history lock shared (as saveRun does) holds prune off.
    await other.query('BEGIN');
    await other.query("SELECT pg_advisory_xact_lock_shared(hashtext('driftd:history'))");
    const pruned = store.prune({ keepUnchangedDays: 0, now: hoursAfter(T0, 24) });
    expect(await within(pruned, 500)).toBe('waiting');
    // A run arriving meanwhile queues behind the waiting prune (PostgreSQL grants in order): prune is never starved.
    const order: string[] = [];
    const late = store.saveRun(run('crm', 1, 'site-a')).then(() => order.push('run'));
    expect(await within(late, 500)).toBe('waiting');
    await other.query('COMMIT');
    await Promise.all([pruned.then(() => order.push('prune')), late]);
    expect(order).toEqual(['prune', 'run']);
    expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 2 });
  });

  it('stores runs of several clusters from two instances at once: every chain linear, shared blobs stored once', async () => {
    const siteA = stores[0];
    const siteB = await connect();
    if (!siteA) throw new Error('no store');
    const clusters = ['c0', 'c1', 'c2'];
    const writes: Promise<RunRecord>[] = [];
    for (let i = 0; i < 8; i += 1) {
      for (const cluster of clusters) {
        // The same facet content in every cluster: their blobs are shared, inserted concurrently.
        const content: NodeState = { ...state, sysctl: { 'vm.swappiness': String(i) } };
        writes.push((i % 2 === 0 ? siteA : siteB).saveRun(run(cluster, i, i % 2 === 0 ? 'site-a' : 'site-b', content)));
      }
    }
    const records = await Promise.all(writes);
    expect(records.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const cluster of clusters) {
      const chain = records.filter((r) => r.cluster === cluster).sort((a, b) => a.id - b.id);
      expect(chain.map((r) => r.prevHash)).toEqual([null, ...chain.slice(0, -1).map((r) => r.hash)]);
    }
    expect(await siteB.verifyChain()).toEqual({ ok: true, runs: 24, thinnedRuns: 0 });
    const blobs = (await (await session()).query('SELECT count(*)::int AS n, count(DISTINCT hash)::int AS d FROM facet_blobs')).rows;
    expect(blobs).toEqual([{ n: 9, d: 9 }]);
  });
});
