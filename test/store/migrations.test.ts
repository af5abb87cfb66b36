import { join } from 'node:path';
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

/** A file as a v1 build left it: v1 schema and one genesis run written with v1 columns only. */
function writeV1Database(): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA_V1);
  db.pragma('user_version = 1');
  const report = { checked_at: T0, ready: 1, score: 1, baseline: null, summary: canonicalJson({ critical: 0, warning: 0, info: 0, waived: 0 }) };
  const run = {
    id: 1, cluster: 'erp', started_at: T0, finished_at: T0, node_count: 0, error_count: 0, meta: null,
    prev_hash: null, snapshots_hash: snapshotsHash([]), findings_hash: findingsHash([]), report_hash: reportHash(report, []),
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

  it('migrates a v1 database with its data and keeps working', () => {
    writeV1Database();
    const store = Store.open(path);
    try {
      expect(store.schemaVersion).toBe(SCHEMA_VERSION);
      expect(store.latestRun('erp')).toMatchObject({ id: 1, thinnedNodes: [] });
      expect(store.verifyChain()).toEqual({ ok: true, runs: 1, thinnedRuns: 0 });
      store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': { packages: { a: '1' } } }));
      store.saveRun(runInput(hoursAfter(T0, 2), { 'erp-a': { packages: { a: '2' } } }));
      expect(store.changes({ node: 'erp-a' }).map((c) => c.key)).toEqual(['a']);
      expect(store.prune({ keepUnchangedDays: 0, now: hoursAfter(T0, 3) }).deletedSnapshots).toBe(0);
      expect(store.verifyChain()).toEqual({ ok: true, runs: 3, thinnedRuns: 0 });
    } finally {
      store.close();
    }
    const db = new Database(path, { readonly: true });
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'node_changes_%'").all() as { name: string }[]).map((r) => r.name);
    db.close();
    expect(indexes.sort()).toEqual(['node_changes_cluster_at', 'node_changes_node_at', 'node_changes_run']);
  });

  it('rolls every step back when one fails', () => {
    writeV1Database();
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE half_done (a); SELECT * FROM no_such_table;' }];
    expect(() => Store.open(path, { migrations: broken })).toThrow(/migrating schema 1 -> 3 failed, nothing was changed/);
    expect(userVersion()).toBe(1);
    const db = new Database(path, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all() as unknown[]).length;
    const columns = (db.prepare("SELECT name FROM pragma_table_info('runs') WHERE name = 'thinned_nodes'").all() as unknown[]).length;
    db.close();
    expect({ tables, columns }).toEqual({ tables: 0, columns: 0 });
  });

  it('refuses a database written by a newer driftd, untouched', () => {
    Store.open(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    let error: unknown;
    try {
      Store.open(path);
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
