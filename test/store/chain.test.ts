import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { compress, decompress } from '../../src/store/blobs.js';
import { BASE_PACKAGES, finding, hoursAfter, runInput, tempDir } from './handmade-runs.js';

const T0 = '2026-11-24T20:00:00.000Z';

let dir: { dir: string; cleanup: () => void };
let path: string;

/** Four runs: run 2 introduces a package change on erp-b and a finding; run 4 resolves it. */
function seed(): void {
  const store = Store.open(path);
  const a = { packages: BASE_PACKAGES, sysctl: { 'vm.swappiness': '60' } };
  const b2 = { ...a, packages: { ...BASE_PACKAGES, 'pkg-007': '2.0' } };
  store.saveRun(runInput(T0, { 'erp-a': a, 'erp-b': a }));
  store.saveRun(runInput(hoursAfter(T0, 1), { 'erp-a': a, 'erp-b': b2 }, [finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' })]));
  store.saveRun(runInput(hoursAfter(T0, 2), { 'erp-a': a, 'erp-b': b2 }, [finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' })]));
  store.saveRun(runInput(hoursAfter(T0, 3), { 'erp-a': a, 'erp-b': a }));
  store.close();
}

function raw<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  db.pragma('foreign_keys = OFF');
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function verify() {
  const store = Store.open(path);
  try {
    return store.verifyChain();
  } finally {
    store.close();
  }
}

beforeEach(() => {
  dir = tempDir();
  path = join(dir.dir, 'history.db');
  seed();
});
afterEach(() => dir.cleanup());

describe('verifyChain', () => {
  it('accepts an untouched history', () => {
    expect(verify()).toEqual({ ok: true, runs: 4, thinnedRuns: 0 });
  });

  const edits: { name: string; brokenAt: number; reason: RegExp; edit: (db: Database.Database) => void }[] = [
    {
      name: "a finding's values",
      brokenAt: 2,
      reason: /finding mismatch:packages:pkg-007: blob is missing or its content no longer matches/,
      edit: (db) => {
        const row = db.prepare("SELECT b.id, b.data FROM finding_blobs b JOIN run_findings r ON r.blob_id = b.id WHERE r.run_id = 2").get() as { id: number; data: Buffer };
        const text = decompress(row.data).replace('"erp-b":"2.0"', '"erp-b":"1.7.0-1"');
        db.prepare('UPDATE finding_blobs SET data = ? WHERE id = ?').run(compress(text), row.id);
      },
    },
    {
      name: "a finding's blob and hash rewritten together",
      brokenAt: 2,
      reason: /findings differ from findings_hash/,
      edit: (db) => {
        const row = db.prepare("SELECT b.id, b.data FROM finding_blobs b JOIN run_findings r ON r.blob_id = b.id WHERE r.run_id = 2").get() as { id: number; data: Buffer };
        const text = decompress(row.data).replace('"severity":"warning"', '"severity":"info"');
        db.prepare('UPDATE finding_blobs SET data = ?, hash = ? WHERE id = ?').run(compress(text), createHash('sha256').update(text).digest('hex'), row.id);
      },
    },
    {
      name: "a facet blob's data",
      brokenAt: 2,
      reason: /facet packages of node erp-b: blob \d+ is missing or its content no longer matches its hash/,
      edit: (db) => {
        const row = db.prepare("SELECT b.id, b.data FROM facet_blobs b JOIN snapshot_facets f ON f.blob_id = b.id JOIN node_snapshots s ON s.id = f.snapshot_id WHERE s.run_id = 2 AND s.node = 'erp-b' AND f.facet = 'packages'").get() as { id: number; data: Buffer };
        db.prepare('UPDATE facet_blobs SET data = ? WHERE id = ?').run(compress(decompress(row.data).replace('"2.0"', '"1.7.0-1"')), row.id);
      },
    },
    {
      name: "a run's start time",
      brokenAt: 3,
      reason: /differ from its hash/,
      edit: (db) => db.prepare("UPDATE runs SET started_at = '2026-11-24T21:30:00.000Z' WHERE id = 3").run(),
    },
    {
      name: 'a run removed from the middle',
      brokenAt: 3,
      reason: /prev_hash does not match/,
      edit: (db) => {
        for (const t of ['node_changes', 'node_scores', 'run_findings']) db.prepare(`DELETE FROM ${t} WHERE run_id = 2`).run();
        db.prepare('DELETE FROM snapshot_facets WHERE snapshot_id IN (SELECT id FROM node_snapshots WHERE run_id = 2)').run();
        db.prepare('DELETE FROM node_snapshots WHERE run_id = 2').run();
        db.prepare('DELETE FROM runs WHERE id = 2').run();
      },
    },
    {
      name: "a node's score",
      brokenAt: 3,
      reason: /node scores differ from report_hash/,
      edit: (db) => db.prepare("UPDATE node_scores SET score = 0.2 WHERE run_id = 3 AND node = 'erp-b'").run(),
    },
    {
      name: 'a snapshot swapped for another blob',
      brokenAt: 4,
      reason: /snapshot of node erp-b: content differs from its content_hash/,
      edit: (db) => {
        const changed = db.prepare("SELECT f.blob_id FROM snapshot_facets f JOIN node_snapshots s ON s.id = f.snapshot_id WHERE s.run_id = 2 AND s.node = 'erp-b' AND f.facet = 'packages'").get() as { blob_id: number };
        db.prepare("UPDATE snapshot_facets SET blob_id = ? WHERE facet = 'packages' AND snapshot_id = (SELECT id FROM node_snapshots WHERE run_id = 4 AND node = 'erp-b')").run(changed.blob_id);
      },
    },
    {
      name: 'a snapshot deleted without a thinning record',
      brokenAt: 1,
      reason: /holds 1 node snapshots \(0 thinned\), run row says 2/,
      edit: (db) => db.prepare("DELETE FROM node_snapshots WHERE run_id = 1 AND node = 'erp-a'").run(),
    },
    {
      name: 'a fake thinning record hiding a changed snapshot',
      brokenAt: 2,
      reason: /snapshots differ from snapshots_hash/,
      edit: (db) => {
        db.prepare("DELETE FROM node_snapshots WHERE run_id = 2 AND node = 'erp-b'").run();
        db.prepare(`UPDATE runs SET thinned_nodes = '["erp-b"]' WHERE id = 2`).run();
      },
    },
    {
      name: 'a change log entry rewritten',
      brokenAt: 2,
      reason: /change log differs from what its snapshots give/,
      edit: (db) => db.prepare("UPDATE node_changes SET after = '1.7.0-1' WHERE run_id = 2 AND key = 'pkg-007'").run(),
    },
    {
      name: 'a change log entry deleted',
      brokenAt: 4,
      reason: /change log differs from what its snapshots give \(0 stored, 1 expected/,
      edit: (db) => db.prepare('DELETE FROM node_changes WHERE run_id = 4').run(),
    },
    {
      name: 'a change log entry invented',
      brokenAt: 3,
      reason: /change log differs/,
      edit: (db) => db.prepare("INSERT INTO node_changes (run_id, cluster, node, at, facet, key, change, before, after) VALUES (3, 'erp', 'erp-a', '2026-11-24T22:00:00.000Z', 'packages', 'evil', 'added', NULL, '1')").run(),
    },
    {
      name: "an episode's first_seen",
      brokenAt: 2,
      reason: /finding episode 1 \(mismatch:packages:pkg-007\): first_seen differs/,
      edit: (db) => db.prepare("UPDATE finding_episodes SET first_seen = '2026-11-24T23:00:00.000Z'").run(),
    },
    {
      name: 'an episode reopened by hand',
      brokenAt: 4,
      reason: /resolved_at differs/,
      edit: (db) => db.prepare('UPDATE finding_episodes SET resolved_at = NULL, resolved_run_id = NULL, values_close = NULL').run(),
    },
  ];

  it.each(edits)('names the run whose row was edited: $name', ({ edit, brokenAt, reason }) => {
    raw(edit);
    const verdict = verify();
    expect(verdict).toMatchObject({ ok: false, brokenAt });
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });
});
