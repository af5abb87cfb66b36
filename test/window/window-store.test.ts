import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeEvaluation } from '../../src/core/window/verdict.js';
import { Store } from '../../src/store/index.js';
import { readWindowViews, windowViews } from '../../src/window/views.js';
import { WindowRecordError } from '../../src/window/records.js';
import { WindowStore, WindowStoreError, type NewWindow } from '../../src/window/window-store.js';

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

function evidence(node: string, verdict: NodeEvaluation['verdict']): NodeEvaluation {
  return { node, verdict, reasons: [], expectation: [], expectedChanges: [], operationalChanges: [], unexpectedChanges: [], peerFindings: [], rebootRequired: false };
}

describe('WindowStore', () => {
  it('lives in the history database beside the store tables, which still open and verify', () => {
    Store.open(file).close();
    const windows = WindowStore.open(file);
    const opened = windows.openWindow(newWindow('erp'));
    windows.close();
    const store = Store.open(file);
    try {
      expect(store.verifyChain().ok).toBe(true);
      expect(store.settings().journalMode).toBe('wal');
    } finally {
      store.close();
    }
    const again = WindowStore.open(file);
    expect(again.openWindowOf('erp')).toEqual({ ...opened, closedAt: null, summary: null });
    again.close();
  });

  it('refuses a second open window per cluster, from another connection too', () => {
    const one = WindowStore.open(file);
    const two = WindowStore.open(file);
    try {
      one.openWindow(newWindow('erp'));
      let error: unknown;
      try {
        two.openWindow(newWindow('erp', { name: 'second' }));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(WindowStoreError);
      expect((error as WindowStoreError).code).toBe('already-open');
      expect((error as WindowStoreError).message).toContain('already has an open window "patch-erp"');
      // Another cluster is independent.
      expect(two.openWindow(newWindow('web')).cluster).toBe('web');
    } finally {
      one.close();
      two.close();
    }
  });

  it('the database itself enforces one open window even past the check (partial unique index)', () => {
    const windows = WindowStore.open(file);
    windows.openWindow(newWindow('erp'));
    windows.close();
    const raw = new Database(file);
    try {
      expect(() =>
        raw
          .prepare("INSERT INTO maintenance_windows (cluster, name, opened_at, baseline_run_id, nodes_json, expectation_json, baseline_values_json, baseline_finding_ids_json, version_format) VALUES ('erp', 'x', 't', 1, '[]', '{}', '{}', '[]', 'deb')")
          .run(),
      ).toThrow(/UNIQUE constraint failed/);
    } finally {
      raw.close();
    }
  });

  it('reads stored JSON through schemas: a row that does not fit fails naming its column', () => {
    const windows = WindowStore.open(file);
    const w = windows.openWindow(newWindow('erp'));
    const raw = new Database(file);
    raw.prepare('UPDATE maintenance_windows SET expectation_json = ? WHERE id = ?').run('{"items":[{"facet":"nope"}],"allow":[]}', w.id);
    raw.close();
    try {
      expect(() => windows.openWindowOf('erp')).toThrow(WindowRecordError);
      expect(() => windows.openWindowOf('erp')).toThrow(`window ${w.id} expectation_json: items.0.facet`);
    } finally {
      windows.close();
    }
  });

  it('closes a window once, with its summary; then a new one may open', () => {
    const windows = WindowStore.open(file);
    try {
      const w = windows.openWindow(newWindow('erp'));
      const summary = { window: { id: w.id, cluster: 'erp', name: w.name, openedAt: w.openedAt, closedAt: 'x', plannedEnd: null, baselineRunId: 1, expectation: [] }, outcome: 'converged' as const, reason: null, finishRunId: 2, pendingNodes: [], nodes: [] };
      expect(windows.closeWindow(w.id, '2026-11-26T23:00:00.000Z', summary).summary).toEqual(summary);
      expect(() => windows.closeWindow(w.id, '2026-11-26T23:00:00.000Z', summary)).toThrow(/is not open/);
      expect(windows.openWindowOf('erp')).toBeNull();
      expect(windows.openWindow(newWindow('erp')).id).not.toBe(w.id);
    } finally {
      windows.close();
    }
  });
});

describe('windowViews', () => {
  it('open windows with planned end and nodes not yet verified safe; closed ones drop to 0 for a day', () => {
    const windows = WindowStore.open(file);
    try {
      const erp = windows.openWindow(newWindow('erp'));
      windows.recordVerification({ windowId: erp.id, node: 'b', at: '2026-11-26T22:10:00Z', verdict: 'safe', runId: 2, evidence: evidence('b', 'safe') });
      windows.recordVerification({ windowId: erp.id, node: 'c', at: '2026-11-26T22:20:00Z', verdict: 'safe', runId: 3, evidence: evidence('c', 'safe') });
      // The latest verify counts: c was fine, then something changed.
      windows.recordVerification({ windowId: erp.id, node: 'c', at: '2026-11-26T22:30:00Z', verdict: 'not-safe', runId: 4, evidence: evidence('c', 'not-safe') });
      const web = windows.openWindow(newWindow('web', { plannedEnd: null }));
      windows.closeWindow(web.id, '2026-11-26T23:00:00.000Z', { window: { id: web.id, cluster: 'web', name: web.name, openedAt: web.openedAt, closedAt: 'x', plannedEnd: null, baselineRunId: 1, expectation: [] }, outcome: 'converged', reason: null, finishRunId: 5, pendingNodes: [], nodes: [] });

      expect(windowViews(windows, new Date('2026-11-26T23:30:00Z'))).toEqual([
        { cluster: 'erp', name: 'patch-erp', open: true, plannedEnd: '2026-11-27T00:00:00.000Z', nodesPending: 2 },
        { cluster: 'web', name: 'patch-web', open: false, nodesPending: 0 },
      ]);
      expect(windowViews(windows, new Date('2026-11-28T00:00:00Z')).map((v) => v.cluster)).toEqual(['erp']);
    } finally {
      windows.close();
    }
    expect(readWindowViews(file, new Date('2026-11-26T23:30:00Z'))).toHaveLength(2);
  });

  it('an aborted window that left nodes half-patched stays in view, closed, with its pending count, until a newer window', () => {
    const windows = WindowStore.open(file);
    try {
      const w = windows.openWindow(newWindow('erp'));
      const base = { id: w.id, cluster: 'erp', name: w.name, openedAt: w.openedAt, closedAt: 'x', plannedEnd: null, baselineRunId: 1, expectation: [] };
      windows.closeWindow(w.id, '2026-11-26T23:00:00.000Z', { window: base, outcome: 'aborted', reason: 'rolled back', finishRunId: null, pendingNodes: ['c', 'a'], nodes: [] });
      const weekLater = new Date('2026-12-03T23:00:00Z');
      expect(windowViews(windows, weekLater)).toEqual([{ cluster: 'erp', name: 'patch-erp', open: false, plannedEnd: '2026-11-27T00:00:00.000Z', nodesPending: 2 }]);
      windows.openWindow(newWindow('erp', { name: 'retry' }));
      expect(windowViews(windows, weekLater)).toEqual([{ cluster: 'erp', name: 'retry', open: true, plannedEnd: '2026-11-27T00:00:00.000Z', nodesPending: 3 }]);
    } finally {
      windows.close();
    }
  });

  it('reads nothing (and creates nothing) from a database without windows or without a file', () => {
    Store.open(file).close();
    expect(readWindowViews(file, new Date())).toEqual([]);
    expect(readWindowViews(path.join(dir, 'missing.db'), new Date())).toEqual([]);
    const raw = new Database(file, { readonly: true });
    try {
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'maintenance%'").all();
      expect(tables).toEqual([]);
    } finally {
      raw.close();
    }
  });
});
