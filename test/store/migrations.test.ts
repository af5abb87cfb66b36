import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/snapshot.js';
import { findingsHash, reportHash, runHash, snapshotsHash } from '../../src/store/chain.js';
import { MIGRATIONS, SCHEMA_V1 } from '../../src/store/migrations.js';
import { SCHEMA_VERSION, Store, StoreError } from '../../src/store/index.js';
import { hoursAfter, runInput, tempDir } from './handmade-runs.js';

let dir: { dir: string; cleanup: () => void };
let path: string;
beforeEach(() => {
  dir = tempDir();
  path = join(dir.dir, 'history.db');
});
afterEach(() => dir.cleanup());

const T0 = '2026-11-20T08:00:00.000Z';
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** What the v2 store read back from its own file before the migration (make-v2-fixture.ts). */
interface V2Expected {
  schemaVersion: number;
  verdict: unknown;
  runs: { id: number }[];
  snapshots: Record<string, unknown>;
  reports: Record<string, unknown>;
  changes: unknown;
  episodes: unknown;
  readiness: unknown;
  snapshotOf: { latest: unknown; thinned: unknown; unreachable: unknown };
}

/** A copy of the file the v2 store wrote (16 runs, 4 of them thinned). */
function copyV2Database(): V2Expected {
  copyFileSync(join(FIXTURES, 'v2-history.db'), path);
  return JSON.parse(readFileSync(join(FIXTURES, 'v2-history.json'), 'utf8')) as V2Expected;
}

function tableNames(): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

/** A file as a v1 build left it: v1 schema and one genesis run written with v1 columns only. */
function writeV1Database(): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_V1);
  db.pragma('user_version = 1');
  const report = {
    checked_at: T0,
    ready: 1,
    score: 1,
    baseline: null,
    summary: canonicalJson({ critical: 0, warning: 0, info: 0, waived: 0 }),
  };
  const run = {
    id: 1,
    cluster: 'erp',
    started_at: T0,
    finished_at: T0,
    node_count: 0,
    error_count: 0,
    meta: null,
    prev_hash: null,
    snapshots_hash: snapshotsHash([]),
    findings_hash: findingsHash([]),
    report_hash: reportHash(report, []),
  };
  db.prepare(
    `INSERT INTO runs (id, cluster, started_at, finished_at, node_count, error_count, checked_at, ready, score, baseline,
       summary, meta, prev_hash, snapshots_hash, findings_hash, report_hash, hash)
     VALUES (@id, @cluster, @started_at, @finished_at, @node_count, @error_count, @checked_at, @ready, @score, @baseline,
       @summary, @meta, @prev_hash, @snapshots_hash, @findings_hash, @report_hash, @hash)`,
  ).run({ ...run, ...report, hash: runHash(run) });
  db.close();
}

function userVersion(): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('migrations', () => {
  it('has at least two real steps and numbers them 1..N', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('migrates a v1 database with its data and keeps working', async () => {
    writeV1Database();
    const store = await Store.open(path);
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(await store.latestRun('erp')).toMatchObject({ id: 1, thinnedNodes: [] });
      expect(await store.verifyChain()).toEqual({ ok: true, runs: 1, thinnedRuns: 0 });
      await store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': { packages: { a: '1' } } }));
      await store.saveRun(runInput(hoursAfter(T0, 2), { 'erp-a': { packages: { a: '2' } } }));
      expect((await store.changes({ node: 'erp-a' })).map((c) => c.key)).toEqual(['a']);
      expect((await store.prune({ keepUnchangedDays: 0, now: hoursAfter(T0, 3) })).deletedSnapshots).toBe(0);
      expect(await store.verifyChain()).toEqual({ ok: true, runs: 3, thinnedRuns: 0 });
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'node_changes_%'").all() as { name: string }[]
    ).map((r) => r.name);
    db.close();
    expect(indexes.sort()).toEqual(['node_changes_cluster_at', 'node_changes_node_at', 'node_changes_run']);
  });

  it('converts a v2 file written by the v2 store without loss, and keeps working', async () => {
    const expected = copyV2Database();
    expect([expected.schemaVersion, userVersion()]).toEqual([2, 2]);
    const store = await Store.open(path);
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(await store.verifyChain()).toEqual(expected.verdict);
      expect(await store.runs()).toEqual(expected.runs);
      for (const { id } of expected.runs) {
        expect(await store.snapshotsOfRun(id)).toEqual(expected.snapshots[id]);
        expect(await store.reportOf(id)).toEqual(expected.reports[id]);
      }
      expect(await store.changes({})).toEqual(expected.changes);
      expect(await store.findingEpisodes({})).toEqual(expected.episodes);
      expect(await store.readinessHistory('erp')).toEqual(expected.readiness);
      expect(await store.snapshotOf('erp-b')).toEqual(expected.snapshotOf.latest);
      expect(await store.snapshotOf('erp-a', '2026-11-10T10:30:00.000Z')).toEqual(expected.snapshotOf.thinned);
      expect(await store.snapshotOf('erp-c', '2026-11-10T04:30:00.000Z', 'erp')).toEqual(expected.snapshotOf.unreachable);

      // New runs diff against the converted history, and prune works on it.
      const last = await store.latestRun('erp');
      const at = hoursAfter(last?.startedAt ?? T0, 1);
      await store.saveRun(runInput(at, { 'erp-a': { packages: { 'pkg-000': '9' } } }));
      expect((await store.changes({ since: at })).map((c) => c.key)).toContain('pkg-000');
      await store.prune({ keepUnchangedDays: 0, now: hoursAfter(at, 1) });
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: expected.runs.length + 1 });
    } finally {
      await store.close();
    }
    const tables = tableNames();
    expect(tables.filter((t) => t.startsWith('v2_') || t === 'snapshot_facets')).toEqual([]);
    expect(tables).toEqual(expect.arrayContaining(['nodes', 'snapshot_manifests', 'manifest_facets', 'score_blobs']));
  });

  it.each([
    {
      name: "a node's score",
      sql: "UPDATE node_scores SET score = 0.2 WHERE run_id = 3 AND node = 'erp-b'",
      brokenAt: 3,
      reason: /node scores differ from report_hash/,
    },
    {
      name: "a snapshot's content hash",
      sql: "UPDATE node_snapshots SET content_hash = 'f00d' || substr(content_hash, 5) WHERE run_id = 1 AND node = 'erp-c'",
      brokenAt: 1,
      reason: /snapshot of node erp-c: content differs from its content_hash/,
    },
  ])('carries a v2 tampering through the migration: $name', async ({ sql, brokenAt, reason }) => {
    copyV2Database();
    const db = new Database(path);
    db.prepare(sql).run();
    db.close();
    const store = await Store.open(path);
    try {
      expect(await store.verifyChain()).toMatchObject({ ok: false, brokenAt, reason: expect.stringMatching(reason) });
    } finally {
      await store.close();
    }
  });

  it('refuses to merge v2 snapshots that claim one content hash but list other facets, and changes nothing', async () => {
    copyV2Database();
    const db = new Database(path);
    // Run 2's erp-a has the same content hash as run 1's; point one of its facets elsewhere.
    db.prepare(
      `UPDATE snapshot_facets SET blob_id = (SELECT max(id) FROM facet_blobs)
                 WHERE facet = 'packages' AND snapshot_id = (SELECT id FROM node_snapshots WHERE run_id = 3 AND node = 'erp-a')`,
    ).run();
    db.close();
    await expect(Store.open(path)).rejects.toThrow(
      new RegExp(
        `migrating schema 2 -> ${SCHEMA_VERSION} failed, nothing was changed: v2 snapshot \\d+ \\(erp-a, run 3\\) has content hash`,
      ),
    );
    expect(userVersion()).toBe(2);
    expect(tableNames()).toContain('snapshot_facets');
  });

  it('rolls every step back when one fails', async () => {
    writeV1Database();
    const broken = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE half_done (a); SELECT * FROM no_such_table;' },
    ];
    await expect(Store.open(path, { migrations: broken })).rejects.toThrow(
      new RegExp(`migrating schema 1 -> ${SCHEMA_VERSION + 1} failed, nothing was changed`),
    );
    expect(userVersion()).toBe(1);
    const db = new Database(path, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all().length;
    const columns = db.prepare("SELECT name FROM pragma_table_info('runs') WHERE name = 'thinned_nodes'").all().length;
    db.close();
    expect({ tables, columns }).toEqual({ tables: 0, columns: 0 });
  });

  it('refuses a database written by a newer driftd, untouched', async () => {
    await (await Store.open(path)).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    let error: unknown;
    try {
      await Store.open(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('newer-schema');
    expect((error as StoreError).message).toBe(
      `database ${path} was written by a newer driftd (schema ${SCHEMA_VERSION + 5}, this build knows ${SCHEMA_VERSION}); upgrade driftd or point \`database:\` elsewhere`,
    );
    expect(userVersion()).toBe(SCHEMA_VERSION + 5);
  });
});
