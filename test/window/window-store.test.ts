import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeEvaluation } from '../../src/core/window/verdict.js';
import { SCHEMA_VERSION, Store, StoreError } from '../../src/store/index.js';
import { readWindowViews } from '../../src/window/views.js';
import { WindowStoreError, type NewWindow } from '../../src/store/windows.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { runInput } from '../store/handmade-runs.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'driftd-window-store-'));
  file = path.join(dir, 'driftd.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function newWindow(cluster: string, extra: Partial<NewWindow> = {}): NewWindow {
  return {
    cluster,
    name: `patch-${cluster}`,
    openedAt: '2026-11-26T22:00:00.000Z',
    plannedEnd: '2026-11-27T00:00:00.000Z',
    baselineRunId: 1,
    nodes: ['b', 'c', 'a'],
    expectation: { items: [], allow: [] },
    expectationFile: null,
    baselineValues: {},
    baselineFindingIds: [],
    versionFormat: 'deb',
    ...extra,
  };
}

/** A store with runs 1..5, so windows and verifications can cite them (foreign keys). */
async function openStore(): Promise<Store> {
  const store = await Store.open(file);
  for (let i = 0; (await store.runs()).length < 5; i++) await store.saveRun(runInput(`2026-11-26T2${i}:00:00.000Z`, { a: {}, b: {} }));
  return store;
}

function evidence(node: string, verdict: NodeEvaluation['verdict']): NodeEvaluation {
  return {
    node,
    verdict,
    reasons: [],
    expectation: [],
    expectedChanges: [],
    operationalChanges: [],
    unexpectedChanges: [],
    peerFindings: [],
    rebootRequired: false,
  };
}

describe('WindowStore', () => {
  it('is a store migration (schema 4) beside the run tables, with foreign keys to the runs it cites', async () => {
    const store = await openStore();
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      const opened = await store.windows().openWindow(newWindow('erp'));
      expect((await store.verifyChain()).ok).toBe(true);
      expect(store.settings().journalMode).toBe('wal');
      expect(await store.windows().openWindowOf('erp')).toEqual({ ...opened, closedAt: null, summary: null });
      // A window must cite a stored run, and a verification a stored run and window.
      await expect(store.windows().openWindow(newWindow('web', { baselineRunId: 999 }))).rejects.toThrow(/FOREIGN KEY constraint failed/);
      await expect(
        store
          .windows()
          .recordVerification({ windowId: opened.id, node: 'a', at: 't', verdict: 'safe', runId: 999, evidence: evidence('a', 'safe') }),
      ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    } finally {
      await store.close();
    }
    const raw = new Database(file, { readonly: true });
    try {
      const refs = (table: string) =>
        (raw.prepare(`PRAGMA foreign_key_list(${table})`).all() as { table: string; from: string }[])
          .map((r) => `${r.from}->${r.table}`)
          .sort();
      expect(refs('maintenance_windows')).toEqual(['baseline_run_id->runs']);
      expect(refs('maintenance_window_verifications')).toEqual(['run_id->runs', 'window_id->maintenance_windows']);
    } finally {
      raw.close();
    }
  });

  it('migrates a schema-3 database whose window tables the window code made itself: rows kept, foreign keys added', async () => {
    const old = await Store.open(file, { migrations: MIGRATIONS.filter((m) => m.version <= 3) });
    await old.saveRun(runInput('2026-11-26T20:00:00.000Z', { a: {}, b: {} }));
    await old.close();
    const raw = new Database(file);
    raw.exec(`CREATE TABLE maintenance_windows (id INTEGER PRIMARY KEY, cluster TEXT NOT NULL, name TEXT NOT NULL, opened_at TEXT NOT NULL,
        planned_end TEXT, closed_at TEXT, baseline_run_id INTEGER NOT NULL, nodes_json TEXT NOT NULL, expectation_json TEXT NOT NULL,
        expectation_file TEXT, baseline_values_json TEXT NOT NULL, baseline_finding_ids_json TEXT NOT NULL, version_format TEXT NOT NULL, summary_json TEXT);
      CREATE UNIQUE INDEX maintenance_windows_one_open ON maintenance_windows(cluster) WHERE closed_at IS NULL;
      CREATE TABLE maintenance_window_verifications (id INTEGER PRIMARY KEY, window_id INTEGER NOT NULL REFERENCES maintenance_windows(id),
        node TEXT NOT NULL, at TEXT NOT NULL, verdict TEXT NOT NULL CHECK (verdict IN ('safe', 'not-safe', 'undecided')), run_id INTEGER, evidence_json TEXT NOT NULL);
      CREATE INDEX maintenance_window_verifications_by_window ON maintenance_window_verifications(window_id, node, at);`);
    raw
      .prepare(
        `INSERT INTO maintenance_windows (id, cluster, name, opened_at, planned_end, baseline_run_id, nodes_json, expectation_json,
          baseline_values_json, baseline_finding_ids_json, version_format) VALUES (7, 'erp', 'old', '2026-11-26T22:00:00.000Z', NULL, 1, '["a","b"]',
          '{"items":[],"allow":[]}', '{}', '[]', 'deb')`,
      )
      .run();
    raw
      .prepare(
        'INSERT INTO maintenance_window_verifications (window_id, node, at, verdict, run_id, evidence_json) VALUES (7, ?, ?, ?, 1, ?)',
      )
      .run('a', '2026-11-26T22:10:00Z', 'safe', JSON.stringify(evidence('a', 'safe')));
    raw.close();

    const store = await Store.open(file);
    try {
      expect(await store.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(await store.windows().openWindowOf('erp')).toMatchObject({ id: 7, name: 'old', baselineRunId: 1, nodes: ['a', 'b'] });
      expect(await store.windows().verifications(7)).toHaveLength(1);
      await expect(store.windows().openWindow(newWindow('erp', { baselineRunId: 1 }))).rejects.toThrow(WindowStoreError);
      expect((await store.verifyChain()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses a second open window per cluster, from another connection too', async () => {
    const one = await openStore();
    const two = await Store.open(file);
    try {
      await one.windows().openWindow(newWindow('erp'));
      let error: unknown;
      try {
        await two.windows().openWindow(newWindow('erp', { name: 'second' }));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(WindowStoreError);
      expect((error as WindowStoreError).code).toBe('already-open');
      expect((error as WindowStoreError).message).toContain('already has an open window "patch-erp"');
      // Another cluster is independent.
      expect((await two.windows().openWindow(newWindow('web'))).cluster).toBe('web');
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('the database itself enforces one open window even past the check (partial unique index)', async () => {
    const store = await openStore();
    await store.windows().openWindow(newWindow('erp'));
    await store.close();
    const raw = new Database(file);
    try {
      expect(() =>
        raw
          .prepare(
            "INSERT INTO maintenance_windows (cluster, name, opened_at, baseline_run_id, nodes_json, expectation_json, baseline_values_json, baseline_finding_ids_json, version_format) VALUES ('erp', 'x', 't', 1, '[]', '{}', '{}', '[]', 'deb')",
          )
          .run(),
      ).toThrow(/UNIQUE constraint failed/);
    } finally {
      raw.close();
    }
  });

  it('reads stored rows and JSON through schemas: a row that does not fit fails naming its column', async () => {
    const store = await openStore();
    const windows = store.windows();
    const w = await windows.openWindow(newWindow('erp'));
    const raw = new Database(file);
    raw.prepare('UPDATE maintenance_windows SET expectation_json = ? WHERE id = ?').run('{"items":[{"facet":"nope"}],"allow":[]}', w.id);
    raw.close();
    try {
      await expect(windows.openWindowOf('erp')).rejects.toThrow(StoreError);
      await expect(windows.openWindowOf('erp')).rejects.toThrow(
        `maintenance_windows row id=${w.id} column expectation_json does not fit its schema: items.0.facet:`,
      );
      await expect(windows.openWindowOf('erp')).rejects.toThrow(/\(found "nope"\); .*driftd history verify/);
      const raw2 = new Database(file);
      raw2.pragma('foreign_keys = OFF');
      raw2
        .prepare('UPDATE maintenance_windows SET expectation_json = \'{"items":[],"allow":[]}\', baseline_run_id = \'one\' WHERE id = ?')
        .run(w.id);
      raw2.close();
      await expect(windows.openWindowOf('erp')).rejects.toThrow(
        /maintenance_windows row id=\d+ does not fit the schema, column baseline_run_id/,
      );
    } finally {
      await store.close();
    }
  });

  it('closes a window once, with its summary; then a new one may open', async () => {
    const store = await openStore();
    const windows = store.windows();
    try {
      const w = await windows.openWindow(newWindow('erp'));
      const summary = {
        window: {
          id: w.id,
          cluster: 'erp',
          name: w.name,
          openedAt: w.openedAt,
          closedAt: 'x',
          plannedEnd: null,
          baselineRunId: 1,
          expectation: [],
        },
        outcome: 'converged' as const,
        reason: null,
        finishRunId: 2,
        pendingNodes: [],
        nodes: [],
      };
      expect((await windows.closeWindow(w.id, '2026-11-26T23:00:00.000Z', summary)).summary).toEqual(summary);
      await expect(windows.closeWindow(w.id, '2026-11-26T23:00:00.000Z', summary)).rejects.toThrow(/is not open/);
      expect(await windows.openWindowOf('erp')).toBeNull();
      expect((await windows.openWindow(newWindow('erp'))).id).not.toBe(w.id);
    } finally {
      await store.close();
    }
  });
});

describe('windowViews', () => {
  it('open windows with planned end and nodes not yet verified safe; closed ones drop to 0 for a day', async () => {
    const store = await openStore();
    const windows = store.windows();
    try {
      const erp = await windows.openWindow(newWindow('erp'));
      await windows.recordVerification({
        windowId: erp.id,
        node: 'b',
        at: '2026-11-26T22:10:00Z',
        verdict: 'safe',
        runId: 2,
        evidence: evidence('b', 'safe'),
      });
      await windows.recordVerification({
        windowId: erp.id,
        node: 'c',
        at: '2026-11-26T22:20:00Z',
        verdict: 'safe',
        runId: 3,
        evidence: evidence('c', 'safe'),
      });
      // The latest verify counts: c was fine, then something changed.
      await windows.recordVerification({
        windowId: erp.id,
        node: 'c',
        at: '2026-11-26T22:30:00Z',
        verdict: 'not-safe',
        runId: 4,
        evidence: evidence('c', 'not-safe'),
      });
      const web = await windows.openWindow(newWindow('web', { plannedEnd: null }));
      await windows.closeWindow(web.id, '2026-11-26T23:00:00.000Z', {
        window: {
          id: web.id,
          cluster: 'web',
          name: web.name,
          openedAt: web.openedAt,
          closedAt: 'x',
          plannedEnd: null,
          baselineRunId: 1,
          expectation: [],
        },
        outcome: 'converged',
        reason: null,
        finishRunId: 5,
        pendingNodes: [],
        nodes: [],
      });

      expect(await readWindowViews(store, new Date('2026-11-26T23:30:00Z'))).toEqual([
        { cluster: 'erp', name: 'patch-erp', open: true, plannedEnd: '2026-11-27T00:00:00.000Z', nodesPending: 2 },
        { cluster: 'web', name: 'patch-web', open: false, nodesPending: 0 },
      ]);
      expect((await readWindowViews(store, new Date('2026-11-28T00:00:00Z'))).map((v) => v.cluster)).toEqual(['erp']);
      expect(await readWindowViews(store, new Date('2026-11-26T23:30:00Z'))).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  it('an aborted window that left nodes half-patched stays in view, closed, with its pending count, until a newer window', async () => {
    const store = await openStore();
    const windows = store.windows();
    try {
      const w = await windows.openWindow(newWindow('erp'));
      const base = {
        id: w.id,
        cluster: 'erp',
        name: w.name,
        openedAt: w.openedAt,
        closedAt: 'x',
        plannedEnd: null,
        baselineRunId: 1,
        expectation: [],
      };
      await windows.closeWindow(w.id, '2026-11-26T23:00:00.000Z', {
        window: base,
        outcome: 'aborted',
        reason: 'rolled back',
        finishRunId: null,
        pendingNodes: ['c', 'a'],
        nodes: [],
      });
      const weekLater = new Date('2026-12-03T23:00:00Z');
      expect(await readWindowViews(store, weekLater)).toEqual([
        { cluster: 'erp', name: 'patch-erp', open: false, plannedEnd: '2026-11-27T00:00:00.000Z', nodesPending: 2 },
      ]);
      await windows.openWindow(newWindow('erp', { name: 'retry' }));
      expect(await readWindowViews(store, weekLater)).toEqual([
        { cluster: 'erp', name: 'retry', open: true, plannedEnd: '2026-11-27T00:00:00.000Z', nodesPending: 3 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('a fresh database has no windows; an unreadable window row surfaces as an error instead of an empty view', async () => {
    const store = await openStore();
    try {
      expect(await readWindowViews(store, new Date())).toEqual([]);
      const w = await store.windows().openWindow(newWindow('erp'));
      const raw = new Database(file);
      raw.prepare("UPDATE maintenance_windows SET nodes_json = 'not json' WHERE id = ?").run(w.id);
      raw.close();
      await expect(readWindowViews(store, new Date())).rejects.toThrow(`maintenance_windows row id=${w.id} column nodes_json is not JSON`);
    } finally {
      await store.close();
    }
  });
});
