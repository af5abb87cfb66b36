import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { compress, decompress } from '../../src/store/blobs.js';
import { contentHashFromFacetHashes } from '../../src/store/snapshots.js';
import { BASE_PACKAGES, finding, hoursAfter, runInput, tempDir } from './handmade-runs.js';

const T0 = '2026-11-24T20:00:00.000Z';

let dir: { dir: string; cleanup: () => void };
let path: string;

/** Four runs: run 2 introduces a package change on erp-b and a finding; run 4 resolves it. */
async function seed(): Promise<void> {
  const store = await Store.open(path);
  const a = { packages: BASE_PACKAGES, sysctl: { 'vm.swappiness': '60' } };
  const b2 = { ...a, packages: { ...BASE_PACKAGES, 'pkg-007': '2.0' } };
  await store.saveRun(runInput(T0, { 'erp-a': a, 'erp-b': a }));
  await store.saveRun(
    runInput(hoursAfter(T0, 1), { 'erp-a': a, 'erp-b': b2 }, [
      finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' }),
    ]),
  );
  await store.saveRun(
    runInput(hoursAfter(T0, 2), { 'erp-a': a, 'erp-b': b2 }, [
      finding('mismatch:packages:pkg-007', { 'erp-a': '1.7.0-1', 'erp-b': '2.0' }),
    ]),
  );
  await store.saveRun(runInput(hoursAfter(T0, 3), { 'erp-a': a, 'erp-b': a }));
  await store.close();
}

/** Node ids: the first run interns erp-a, then erp-b. */
const ERP_A = 1;
const ERP_B = 2;

function manifestOf(db: Database.Database, runId: number, nodeId: number): number {
  return (
    db.prepare('SELECT manifest_id FROM node_snapshots WHERE run_id = ? AND node_id = ?').get(runId, nodeId) as { manifest_id: number }
  ).manifest_id;
}

function manifestFacet(db: Database.Database, runId: number, nodeId: number, facet: string): { blob_id: number } {
  return db
    .prepare('SELECT blob_id FROM manifest_facets WHERE manifest_id = ? AND facet = ?')
    .get(manifestOf(db, runId, nodeId), facet) as { blob_id: number };
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

async function verify() {
  const store = await Store.open(path);
  try {
    return await store.verifyChain();
  } finally {
    await store.close();
  }
}

beforeEach(async () => {
  dir = tempDir();
  path = join(dir.dir, 'history.db');
  await seed();
});
afterEach(() => dir.cleanup());

describe('verifyChain', () => {
  it('accepts an untouched history', async () => {
    expect(await verify()).toEqual({ ok: true, runs: 4, thinnedRuns: 0 });
    const nodes = raw((db) => db.prepare('SELECT id, node FROM nodes ORDER BY id').all());
    expect(nodes).toEqual([
      { id: ERP_A, node: 'erp-a' },
      { id: ERP_B, node: 'erp-b' },
    ]);
  });

  const edits: { name: string; brokenAt: number; reason: RegExp; edit: (db: Database.Database) => void }[] = [
    {
      name: "a finding's values",
      brokenAt: 2,
      reason: /finding mismatch:packages:pkg-007: blob is missing or its content no longer matches/,
      edit: (db) => {
        const row = db
          .prepare('SELECT b.id, b.data FROM finding_blobs b JOIN run_findings r ON r.blob_id = b.id WHERE r.run_id = 2')
          .get() as { id: number; data: Buffer };
        const text = decompress(row.data).replace('"erp-b":"2.0"', '"erp-b":"1.7.0-1"');
        db.prepare('UPDATE finding_blobs SET data = ? WHERE id = ?').run(compress(text), row.id);
      },
    },
    {
      name: "a finding's blob and hash rewritten together",
      brokenAt: 2,
      reason: /findings differ from findings_hash/,
      edit: (db) => {
        const row = db
          .prepare('SELECT b.id, b.data FROM finding_blobs b JOIN run_findings r ON r.blob_id = b.id WHERE r.run_id = 2')
          .get() as { id: number; data: Buffer };
        const text = decompress(row.data).replace('"severity":"warning"', '"severity":"info"');
        db.prepare('UPDATE finding_blobs SET data = ?, hash = ? WHERE id = ?').run(
          compress(text),
          createHash('sha256').update(text).digest('hex'),
          row.id,
        );
      },
    },
    {
      name: "a facet blob's data",
      brokenAt: 2,
      reason: /facet packages of node erp-b: blob \d+ is missing or its content no longer matches its hash/,
      edit: (db) => {
        const row = db
          .prepare(
            `SELECT b.id, b.data FROM facet_blobs b JOIN manifest_facets f ON f.blob_id = b.id JOIN node_snapshots s ON s.manifest_id = f.manifest_id
                                 WHERE s.run_id = 2 AND s.node_id = ${ERP_B} AND f.facet = 'packages'`,
          )
          .get() as { id: number; data: Buffer };
        db.prepare('UPDATE facet_blobs SET data = ? WHERE id = ?').run(
          compress(decompress(row.data).replace('"2.0"', '"1.7.0-1"')),
          row.id,
        );
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
        for (const t of ['node_changes', 'node_scores', 'run_findings', 'node_snapshots'])
          db.prepare(`DELETE FROM ${t} WHERE run_id = 2`).run();
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
      // v3: a snapshot's facets are its manifest; run 4 is pointed at run 2's (the changed packages blob).
      name: 'a snapshot swapped for another blob',
      brokenAt: 4,
      reason: /snapshots differ from snapshots_hash/,
      edit: (db) => {
        db.prepare(
          `UPDATE node_snapshots SET manifest_id = (SELECT manifest_id FROM node_snapshots WHERE run_id = 2 AND node_id = ${ERP_B})
                     WHERE run_id = 4 AND node_id = ${ERP_B}`,
        ).run();
      },
    },
    {
      // Runs 1 and 4 share erp-b's manifest: the first run that stands on it breaks.
      name: "a manifest's facet swapped for another blob",
      brokenAt: 1,
      reason: /snapshot of node erp-b: content differs from its content_hash/,
      edit: (db) => {
        const changed = manifestFacet(db, 2, ERP_B, 'packages');
        db.prepare("UPDATE manifest_facets SET blob_id = ? WHERE facet = 'packages' AND manifest_id = ?").run(
          changed.blob_id,
          manifestOf(db, 1, ERP_B),
        );
      },
    },
    {
      name: "a manifest's facets and its content hash rewritten together",
      brokenAt: 1,
      reason: /snapshots differ from snapshots_hash/,
      edit: (db) => {
        // A facet removed from erp-b's first manifest, its key recomputed to match.
        const manifest = manifestOf(db, 1, ERP_B);
        db.prepare("DELETE FROM manifest_facets WHERE facet = 'sysctl' AND manifest_id = ?").run(manifest);
        const hashes = Object.fromEntries(
          (
            db
              .prepare('SELECT f.facet, b.hash FROM manifest_facets f JOIN facet_blobs b ON b.id = f.blob_id WHERE f.manifest_id = ?')
              .all(manifest) as { facet: string; hash: string }[]
          ).map((r) => [r.facet, r.hash]),
        );
        db.prepare('UPDATE snapshot_manifests SET hash = ? WHERE id = ?').run(
          contentHashFromFacetHashes('erp', 'erp-b', null, hashes),
          manifest,
        );
      },
    },
    {
      name: "a snapshot pointed at another node's manifest",
      brokenAt: 1,
      reason: /snapshot of node erp-b points at another node's manifest/,
      edit: (db) => {
        db.prepare('UPDATE node_snapshots SET manifest_id = ? WHERE run_id = 1 AND node_id = ?').run(manifestOf(db, 1, ERP_A), ERP_B);
      },
    },
    {
      // Both nodes of run 2 carry the same explanation (the finding's contribution): one blob.
      name: "a score detail's data",
      brokenAt: 2,
      reason: /score of node erp-a: detail blob \d+ is missing or its content no longer matches its hash/,
      edit: (db) => {
        const row = db
          .prepare(
            "SELECT b.id, b.data FROM score_blobs b JOIN node_scores s ON s.detail_id = b.id WHERE s.run_id = 2 AND s.node = 'erp-b'",
          )
          .get() as { id: number; data: Buffer };
        db.prepare('UPDATE score_blobs SET data = ? WHERE id = ?').run(
          compress(decompress(row.data).replace('"weight":0.5', '"weight":0.05')),
          row.id,
        );
      },
    },
    {
      name: 'a score detail and its hash rewritten together',
      brokenAt: 2,
      reason: /node scores differ from report_hash/,
      edit: (db) => {
        const row = db
          .prepare(
            "SELECT b.id, b.data FROM score_blobs b JOIN node_scores s ON s.detail_id = b.id WHERE s.run_id = 2 AND s.node = 'erp-b'",
          )
          .get() as { id: number; data: Buffer };
        const text = decompress(row.data).replace('"weight":0.5', '"weight":0.05');
        db.prepare('UPDATE score_blobs SET data = ?, hash = ? WHERE id = ?').run(
          compress(text),
          createHash('sha256').update(text).digest('hex'),
          row.id,
        );
      },
    },
    {
      name: "a node's snapshot time in its score row",
      brokenAt: 3,
      reason: /node scores differ from report_hash/,
      edit: (db) => db.prepare("UPDATE node_scores SET snapshot_at = snapshot_at + 60000 WHERE run_id = 3 AND node = 'erp-b'").run(),
    },
    {
      name: 'a snapshot deleted without a thinning record',
      brokenAt: 1,
      reason: /holds 1 node snapshots \(0 thinned\), run row says 2/,
      edit: (db) => db.prepare(`DELETE FROM node_snapshots WHERE run_id = 1 AND node_id = ${ERP_A}`).run(),
    },
    {
      name: 'a fake thinning record hiding a changed snapshot',
      brokenAt: 2,
      reason: /snapshots differ from snapshots_hash/,
      edit: (db) => {
        db.prepare(`DELETE FROM node_snapshots WHERE run_id = 2 AND node_id = ${ERP_B}`).run();
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
      edit: (db) =>
        db
          .prepare(
            "INSERT INTO node_changes (run_id, cluster, node, at, facet, key, change, before, after) VALUES (3, 'erp', 'erp-a', '2026-11-24T22:00:00.000Z', 'packages', 'evil', 'added', NULL, '1')",
          )
          .run(),
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

  it.each(edits)('names the run whose row was edited: $name', async ({ edit, brokenAt, reason }) => {
    raw(edit);
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: false, brokenAt });
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });
});
