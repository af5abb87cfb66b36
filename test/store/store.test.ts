import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { snapshotContentHash } from '../../src/core/snapshot.js';
import { SCHEMA_VERSION, Store, StoreError } from '../../src/store/index.js';
import { contentHashFromFacetHashes } from '../../src/store/snapshots.js';
import { facetHashes } from '../../src/core/snapshot.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { BASE_PACKAGES, CLUSTER, finding, hoursAfter, runInput, snapshot, tempDir } from './handmade-runs.js';

const T0 = '2026-11-24T20:00:00.000Z';

let dir: { dir: string; cleanup: () => void };
let store: Store;

/** The suite runs on SQLite and, when its server binaries are installed, on a real PostgreSQL. */
const BACKENDS: readonly ('sqlite' | 'postgres')[] = postgresAvailable ? ['sqlite', 'postgres'] : ['sqlite'];
let pg: PostgresServer | undefined;
let databases = 0;
let target = '';
beforeAll(async () => {
  if (postgresAvailable) pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

/** Another connection to the test's database (a second writer, a reader). */
function reopen(options: { readonly?: boolean } = {}): Promise<Store> {
  return Store.open(target, { ...options, ...(pg && target.startsWith('postgresql://') ? { postgres: { password: pg.password } } : {}) });
}

describe.each(BACKENDS)('on %s', (backend) => {
  beforeEach(async () => {
    dir = tempDir();
    if (backend === 'postgres' && pg) {
      databases += 1;
      pg.psql(`CREATE DATABASE store_t${databases}`);
      target = pg.url.replace(/\/[^/]*$/, `/store_t${databases}`);
    } else {
      target = join(dir.dir, 'history.db');
    }
    store = await reopen();
  });
  afterEach(async () => {
    await store.close();
    dir.cleanup();
  });

  // SQLite-only (pragmas, query plans): registered for the SQLite backend only, so nothing is skipped.
  const onSqlite = backend === 'sqlite';
  const describeSqlite = onSqlite ? describe : () => undefined;
  const itSqlite = onSqlite ? it : () => undefined;

  describeSqlite('open (SQLite)', () => {
    it('sets WAL, foreign keys and the busy timeout on a real file', async () => {
      expect(store.settings()).toEqual({ journalMode: 'wal', synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 5000 });
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      const full = await Store.open(store.path, { synchronous: 'FULL' });
      expect(full.settings().synchronous).toBe('FULL');
      await full.close();
    });

    it('refuses a missing directory with a clear message', async () => {
      await expect(Store.open(join(dir.dir, 'nope', 'x.db'))).rejects.toThrow(/directory .*nope does not exist/);
    });
  });

  describe('content-addressed snapshots', () => {
    it('a second identical run adds only run-level rows and zero blobs', async () => {
      const states = { 'erp-a': { packages: BASE_PACKAGES }, 'erp-b': { packages: BASE_PACKAGES } };
      await store.saveRun(runInput(T0, states, [finding('mismatch:packages:x', { 'erp-a': '1', 'erp-b': '2' })]));
      const before = await store.stats();
      // Different durations and times: not content, must not create blobs.
      await store.saveRun(runInput(hoursAfter(T0, 1), states, [finding('mismatch:packages:x', { 'erp-a': '1', 'erp-b': '2' })], 99));
      const after = await store.stats();
      const added = Object.fromEntries(Object.entries(after.rows).map(([t, n]) => [t, n - before.rows[t as keyof typeof before.rows]]));
      // Same content, same score explanations: the manifests and score details are reused.
      expect(added).toEqual({
        runs: 1,
        nodes: 0,
        node_snapshots: 2,
        snapshot_manifests: 0,
        manifest_facets: 0,
        facet_blobs: 0,
        run_findings: 1,
        finding_blobs: 0,
        node_scores: 2,
        score_blobs: 0,
        finding_episodes: 0,
        node_changes: 0,
      });
      const perNode = (after.bytes - before.bytes) / 2;
      // A few hundred bytes per unchanged node, not the 400-package list again.
      expect(perNode).toBeLessThan(2_000);
      expect(after.facetBlobBytes.stored).toBeLessThan(after.facetBlobBytes.raw);
    });

    it('a changed package adds one blob for that facet only', async () => {
      await store.saveRun(runInput(T0, { 'erp-a': { packages: BASE_PACKAGES } }));
      const before = (await store.stats()).rows.facet_blobs;
      await store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': { packages: { ...BASE_PACKAGES, 'pkg-001': '9' } } }));
      expect((await store.stats()).rows.facet_blobs - before).toBe(1);
    });

    it('reassembles snapshots exactly (times normalised to UTC ms)', async () => {
      const input = runInput('2026-11-24T21:00:00+01:00', { 'erp-a': { packages: { a: '1' }, sysctl: { 'vm.swappiness': '10' } } });
      const run = await store.saveRun(input);
      expect(run.startedAt).toBe('2026-11-24T20:00:00.000Z');
      const [got] = await store.latestSnapshots(CLUSTER);
      expect(got).toEqual({ ...input.snapshots[0], takenAt: '2026-11-24T20:00:00.000Z' });
      expect(await store.snapshotOf('erp-a')).toEqual(got);
      expect(await store.snapshotOf('erp-a', '2026-11-24T19:59:59Z')).toBeNull();
      expect(await store.reportOf(run.id)).toEqual({ ...input.report, nodes: input.report.nodes });
    });

    it('recomputes the same content hash as the core', () => {
      const s = snapshot('erp-a', T0, { packages: { a: '1' } });
      expect(contentHashFromFacetHashes(s.cluster, s.node, null, facetHashes(s))).toBe(snapshotContentHash(s));
    });

    it('rejects a snapshot from another cluster without writing anything', async () => {
      const input = runInput(T0, { 'erp-a': {} });
      input.snapshots = [{ ...snapshot('erp-a', T0, {}), cluster: 'other' }];
      await expect(store.saveRun(input)).rejects.toThrow(StoreError);
      expect((await store.stats()).rows.runs).toBe(0);
    });
  });

  describe('unchanged nodes', () => {
    const manifests = async () => (await store.stats()).rows.snapshot_manifests;

    it('keep their own time and durations per run while sharing one manifest and one score detail', async () => {
      const states = { 'erp-a': { packages: BASE_PACKAGES } };
      await store.saveRun(runInput(T0, states, [], 12));
      await store.saveRun(runInput(hoursAfter(T0, 1), states, [], 99));
      expect((await store.stats()).rows).toMatchObject({ snapshot_manifests: 1, score_blobs: 1, node_snapshots: 2 });
      const [first] = await store.snapshotsOfRun(1);
      const [second] = await store.snapshotsOfRun(2);
      expect([first?.takenAt, first?.facets.packages?.durationMs, first?.facets.sysctl?.durationMs]).toEqual([T0, 12, 3]);
      expect([second?.takenAt, second?.facets.packages?.durationMs]).toEqual([hoursAfter(T0, 1), 99]);
      expect((await store.reportOf(2))?.nodes[0]?.snapshotAt).toBe(new Date(Date.parse(hoursAfter(T0, 1)) + 4_000).toISOString());
    });

    it('a snapshot object mutated in place between runs is still recorded as changed', async () => {
      const input = runInput(T0, { 'erp-a': { packages: { a: '1', b: '1' } } });
      const reuse = (at: string) => ({ ...runInput(at, { 'erp-a': {} }), snapshots: input.snapshots.map((s) => ({ ...s, takenAt: at })) });
      await store.saveRun(input);
      await store.saveRun(reuse(hoursAfter(T0, 1)));
      await store.saveRun(reuse(hoursAfter(T0, 2)));
      const items = input.snapshots[0]?.facets.packages?.items ?? {};
      items['a'] = { value: '2' };
      await store.saveRun(reuse(hoursAfter(T0, 3)));
      items['a'] = { value: '1' };
      await store.saveRun(reuse(hoursAfter(T0, 4)));
      expect((await store.changes({ node: 'erp-a' })).map((c) => [c.runId, c.key, c.before, c.after])).toEqual([
        [4, 'a', '1', '2'],
        [5, 'a', '2', '1'],
      ]);
      // Back to the first content: its manifest is found by hash, not stored again.
      expect(await manifests()).toBe(2);
      expect((await store.snapshotsOfRun(5))[0]?.facets.packages?.items).toEqual({ a: { value: '1' }, b: { value: '1' } });
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 5 });
    });

    it('items in another insertion order are the same content', async () => {
      await store.saveRun(runInput(T0, { 'erp-a': { packages: { a: '1', b: '2' } } }));
      await store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': { packages: { b: '2', a: '1' } } }));
      await store.saveRun(runInput(hoursAfter(T0, 2), { 'erp-a': { packages: { b: '2', a: '1' } } }));
      await store.saveRun(runInput(hoursAfter(T0, 3), { 'erp-a': { packages: { a: '1', b: '2' } } }));
      expect(await manifests()).toBe(1);
      expect(await store.changes({})).toEqual([]);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 4 });
    });

    itSqlite('look up history through the node index, never by scanning every snapshot', () => {
      const plan = (sql: string) =>
        (store as unknown as { sqlite: { connection: { prepare: (s: string) => { all: () => { detail: string }[] } } } }).sqlite.connection
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all()
          .map((p) => p.detail)
          .join(' | ');
      // previousSnapshotRow and snapshotOf(node, at) as snapshots.ts issues them.
      expect(plan('SELECT * FROM node_snapshots s WHERE s.node_id = 1 AND s.run_id < 9 ORDER BY s.run_id DESC LIMIT 1')).toMatch(
        /SEARCH s USING INDEX node_snapshots_node \(node_id=\? AND run_id<\?\)/,
      );
      const byName = plan(
        "SELECT * FROM node_snapshots s WHERE s.node_id IN (SELECT id FROM nodes WHERE node = 'erp-a') AND s.taken_at <= 5 ORDER BY s.taken_at DESC LIMIT 1",
      );
      expect(byName).toMatch(/SEARCH s USING INDEX node_snapshots_node \(node_id=\?\)/);
      expect(byName).not.toMatch(/SCAN s/);
    });
  });

  describe('finding life cycle', () => {
    it('opens, continues, resolves and reopens as a new episode', async () => {
      const id = 'mismatch:packages:openssl';
      const times = [0, 1, 2, 3, 4].map((h) => hoursAfter(T0, h));
      const nodes = { 'erp-a': {}, 'erp-b': {} };
      await store.saveRun(runInput(times[0]!, nodes, [finding(id, { 'erp-a': '1', 'erp-b': '2' })]));
      await store.saveRun(
        runInput(times[1]!, nodes, [
          finding(
            id,
            { 'erp-a': '1', 'erp-b': '3' },
            { severity: 'critical', waived: true, waiver: { justification: 'j', author: 'a', expires: '2027-01-01', rule: 'r' } },
          ),
        ]),
      );
      let [episode] = await store.findingEpisodes({ cluster: CLUSTER });
      expect(episode).toMatchObject({
        findingId: id,
        firstSeen: times[0],
        lastSeen: times[1],
        resolvedAt: null,
        severity: 'critical',
        waived: true,
        valuesOpen: { 'erp-a': '1', 'erp-b': '2' },
        valuesLast: { 'erp-a': '1', 'erp-b': '3' },
        valuesClose: null,
      });
      await store.saveRun(runInput(times[2]!, nodes, []));
      [episode] = await store.findingEpisodes({ cluster: CLUSTER });
      expect(episode).toMatchObject({ resolvedAt: times[2], valuesClose: { 'erp-a': '1', 'erp-b': '3' } });
      expect(await store.findingEpisodes({ openOnly: true })).toEqual([]);

      await store.saveRun(runInput(times[3]!, nodes, [finding(id, { 'erp-a': '1', 'erp-b': '4' })]));
      const episodes = await store.findingEpisodes({ cluster: CLUSTER });
      expect(episodes).toHaveLength(2);
      expect(episodes[1]).toMatchObject({ firstSeen: times[3], resolvedAt: null, valuesOpen: { 'erp-a': '1', 'erp-b': '4' } });
      expect(episodes[1]?.episodeId).not.toBe(episodes[0]?.episodeId);
      expect((await store.findingEpisodes({ openOnly: true })).map((e) => e.firstSeen)).toEqual([times[3]]);
      // Window queries: the first episode lived in [t0, t2], the second from t3 on.
      expect((await store.findingEpisodes({ since: hoursAfter(T0, 2.5) })).map((e) => e.firstSeen)).toEqual([times[3]]);
      expect((await store.findingEpisodes({ until: hoursAfter(T0, 0.5) })).map((e) => e.firstSeen)).toEqual([times[0]]);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 4 });
    });

    it('moves last_seen of an unchanged episode, and every field of one whose values, severity, message or waiver alone moved', async () => {
      const nodes = { 'erp-a': {}, 'erp-b': {} };
      const values = { 'erp-a': '1', 'erp-b': '2' };
      const times = [0, 1, 2].map((h) => hoursAfter(T0, h));
      const waiver = { justification: 'j', author: 'a', expires: '2027-01-01', rule: 'r' };
      const base = [
        finding('same', values),
        finding('waiver', values, { waived: true, waiver }),
        finding('severity', values),
        finding('message', values),
        finding('values', values),
      ];
      await store.saveRun(runInput(times[0]!, nodes, base));
      await store.saveRun(runInput(times[1]!, nodes, base));
      await store.saveRun(
        runInput(times[2]!, nodes, [
          finding('same', values),
          finding('waiver', values, { waived: true, waiver: { ...waiver, justification: 'renewed' } }),
          finding('severity', values, { severity: 'critical' }),
          finding('message', values, { message: 'reworded' }),
          finding('values', { ...values, 'erp-b': '3' }),
        ]),
      );
      const byId = new Map((await store.findingEpisodes({ cluster: CLUSTER })).map((e) => [e.findingId, e]));
      expect(byId.size).toBe(5);
      for (const e of byId.values()) expect(e).toMatchObject({ firstSeen: times[0], lastSeen: times[2], lastRunId: 3, resolvedAt: null });
      expect(byId.get('same')).toMatchObject({ waived: false, waiver: null, valuesLast: values, severity: 'warning' });
      expect(byId.get('waiver')).toMatchObject({ waived: true, waiver: { justification: 'renewed' } });
      expect(byId.get('severity')).toMatchObject({ severity: 'critical' });
      expect(byId.get('message')).toMatchObject({ message: 'reworded' });
      expect(byId.get('values')).toMatchObject({ valuesOpen: values, valuesLast: { ...values, 'erp-b': '3' } });
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 3 });
    });

    it('keeps episodes of different clusters apart', async () => {
      await store.saveRun(runInput(T0, { 'erp-a': {} }, [finding('f', { 'erp-a': '1' })]));
      const other = runInput(hoursAfter(T0, 1), { 'db-a': {} }, []);
      other.cluster = 'db';
      other.report.cluster = 'db';
      other.snapshots = other.snapshots.map((s) => ({ ...s, cluster: 'db' }));
      await store.saveRun(other);
      expect((await store.findingEpisodes({ openOnly: true })).map((e) => e.cluster)).toEqual([CLUSTER]);
    });
  });

  it('stores a run of more nodes than one write batch: every snapshot, change and score, in node order', async () => {
    const names = Array.from({ length: 70 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    const base = { packages: { openssl: '3.0.1' }, sysctl: { 'vm.swappiness': '60' } };
    await store.saveRun(runInput(T0, Object.fromEntries(names.map((n, i) => [n, { ...base, sysctl: { 'vm.swappiness': String(i) } }]))));
    // The second run changes one node in each batch of 32 and leaves the others alone.
    const changed = new Set(['n05', 'n40', 'n69']);
    const states = Object.fromEntries(
      names.map((n, i) => [n, { packages: { openssl: changed.has(n) ? '3.0.2' : '3.0.1' }, sysctl: { 'vm.swappiness': String(i) } }]),
    );
    await store.saveRun(runInput(hoursAfter(T0, 1), states));
    const latest = await store.latestSnapshots(CLUSTER);
    expect(latest.map((s) => s.node)).toEqual(names);
    expect(latest.map((s) => s.facets.sysctl?.items['vm.swappiness']?.value)).toEqual(names.map((_, i) => String(i)));
    expect((await store.changes({ cluster: CLUSTER })).map((c) => [c.node, c.key, c.before, c.after])).toEqual(
      [...changed].map((n) => [n, 'openssl', '3.0.1', '3.0.2']),
    );
    expect((await store.reportOf(2))?.nodes.map((n) => n.name)).toEqual(names);
    expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 2 });
  });

  describe('change log', () => {
    it('records what changed on a node, queryable by node and time', async () => {
      const a0 = { packages: { openssl: '3.0.1', bash: '5.2' }, sysctl: { 'vm.swappiness': '60' } };
      await store.saveRun(runInput(T0, { 'erp-a': a0, 'erp-b': a0 }));
      await store.saveRun(
        runInput(hoursAfter(T0, 1), { 'erp-a': a0, 'erp-b': { ...a0, packages: { openssl: '3.0.2', bash: '5.2', curl: '8' } } }),
      );
      await store.saveRun(
        runInput(hoursAfter(T0, 2), {
          'erp-a': a0,
          'erp-b': { packages: { openssl: '3.0.2', curl: '8' }, sysctl: { 'vm.swappiness': '10' } },
        }),
      );
      await store.saveRun(runInput(hoursAfter(T0, 3), { 'erp-a': a0, 'erp-b': { error: 'connect-timeout' } }));
      // While erp-b was unreachable, bash came back; the change shows up once it is reachable.
      await store.saveRun(
        runInput(hoursAfter(T0, 4), {
          'erp-a': a0,
          'erp-b': { packages: { openssl: '3.0.2', curl: '8', bash: '5.3' }, sysctl: { 'vm.swappiness': '10' } },
        }),
      );

      const strip = (cs: Awaited<ReturnType<Store['changes']>>) =>
        cs.map(({ at, facet, key, change, before, after }) => ({ at, facet, key, change, before, after }));
      expect(strip(await store.changes({ node: 'erp-b' }))).toEqual([
        { at: hoursAfter(T0, 1), facet: 'packages', key: 'curl', change: 'added', before: null, after: '8' },
        { at: hoursAfter(T0, 1), facet: 'packages', key: 'openssl', change: 'changed', before: '3.0.1', after: '3.0.2' },
        { at: hoursAfter(T0, 2), facet: 'packages', key: 'bash', change: 'removed', before: '5.2', after: null },
        { at: hoursAfter(T0, 2), facet: 'sysctl', key: 'vm.swappiness', change: 'changed', before: '60', after: '10' },
        { at: hoursAfter(T0, 3), facet: 'node', key: 'error', change: 'added', before: null, after: 'connect-timeout' },
        { at: hoursAfter(T0, 4), facet: 'node', key: 'error', change: 'removed', before: 'connect-timeout', after: null },
        { at: hoursAfter(T0, 4), facet: 'packages', key: 'bash', change: 'added', before: null, after: '5.3' },
      ]);
      expect(await store.changes({ node: 'erp-a' })).toEqual([]);
      // "since Tuesday 22:00" with a non-UTC offset and no milliseconds.
      expect(
        strip(await store.changes({ node: 'erp-b', since: '2026-11-24T23:00:00+01:00', until: hoursAfter(T0, 3) })).map((c) => c.key),
      ).toEqual(['bash', 'vm.swappiness']);
      expect((await store.changes({ cluster: CLUSTER })).length).toBe(7);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 5 });
    });

    itSqlite('uses the node_changes index for a node + time query', () => {
      const plan = (
        store as unknown as { sqlite: { connection: { prepare: (s: string) => { all: () => { detail: string }[] } } } }
      ).sqlite.connection
        .prepare("EXPLAIN QUERY PLAN SELECT * FROM node_changes WHERE node = 'erp-b' AND at >= '2026' ORDER BY at, id")
        .all();
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX node_changes_node_at/);
    });
  });

  describe('two connections on one database', () => {
    it('interleaved writers keep one linear chain; a read-only reader sees their runs', async () => {
      const second = await reopen();
      try {
        for (let h = 0; h < 6; h += 1) {
          await (h % 2 === 0 ? store : second).saveRun(runInput(hoursAfter(T0, h), { 'erp-a': { packages: { a: String(h) } } }));
        }
        const reader = await reopen({ readonly: true });
        try {
          expect((await reader.latestRun(CLUSTER))?.id).toBe(6);
          expect(await reader.changes({ node: 'erp-a' })).toHaveLength(5);
          await expect(reader.saveRun(runInput(hoursAfter(T0, 9), { 'erp-a': {} }))).rejects.toThrow(/readonly|read-only transaction/);
        } finally {
          await reader.close();
        }
        expect(await second.verifyChain()).toEqual({ ok: true, runs: 6, thinnedRuns: 0 });
      } finally {
        await second.close();
      }
    });
  });

  describe('runs and readiness', () => {
    it('lists runs and readiness history in a window', async () => {
      for (let h = 0; h < 4; h += 1) {
        const findings = h === 2 ? [finding('f', { 'erp-a': '1', 'erp-b': '2' })] : [];
        await store.saveRun(runInput(hoursAfter(T0, h), { 'erp-a': {}, 'erp-b': {} }, findings));
      }
      expect((await store.runs({ cluster: CLUSTER, since: hoursAfter(T0, 1), until: hoursAfter(T0, 3) })).map((r) => r.id)).toEqual([2, 3]);
      expect((await store.latestRun(CLUSTER))?.id).toBe(4);
      expect(await store.latestRun('nope')).toBeNull();
      const history = await store.readinessHistory(CLUSTER, hoursAfter(T0, 1), hoursAfter(T0, 3));
      expect(history).toEqual([
        { at: hoursAfter(T0, 1), runId: 2, ready: true, score: 1, nodes: { 'erp-a': 1, 'erp-b': 0.9 } },
        { at: hoursAfter(T0, 2), runId: 3, ready: false, score: 1, nodes: { 'erp-a': 1, 'erp-b': 0.9 } },
      ]);
      const latest = await store.latestRun(CLUSTER);
      expect(latest?.prevHash).toBe((await store.run(3))?.hash);
      expect(latest?.hash).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});
