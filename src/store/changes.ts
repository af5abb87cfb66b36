/**
 * The change log, recorded per node at save time. A node whose content hash equals its
 * previous snapshot's has no changes by construction and costs one indexed lookup;
 * otherwise only facets whose hash moved are inflated.
 */
import { diffSnapshots, type Change } from '../core/changes.js';
import { FACET_NAMES, type FacetName, type FacetSnapshot, type NodeSnapshot } from '../core/snapshot.js';
import type { Db } from './types.js';
import { statement, whereClause } from './statements.js';
import { lastOkFacet, manifestFacetRows, readFacetBlob, type SnapshotRow } from './snapshots.js';
import { msToIso, optionalIsoUtc, toIsoUtc } from './time.js';

export interface NodeChange extends Change {
  runId: number;
  cluster: string;
  node: string;
  at: string;
}

/**
 * Changes of `next` (hashes already computed) against the node's stored history
 * before run `runId`; `prevRow` is the node's latest snapshot before that run.
 */
export function changesAgainstHistory(
  db: Db,
  runId: number,
  next: NodeSnapshot,
  nextHashes: Partial<Record<FacetName, string>>,
  nextContentHash: string,
  prevRow: SnapshotRow | undefined,
): Change[] {
  if (!prevRow || prevRow.content_hash === nextContentHash) return [];
  const prev: NodeSnapshot = { cluster: prevRow.cluster, node: prevRow.node, takenAt: msToIso(prevRow.taken_at), facets: {} };
  if (prevRow.error !== null) prev.error = prevRow.error;
  for (const row of manifestFacetRows(db, prevRow.manifest_id)) {
    const name = row.facet as FacetName;
    const nextFacet = next.facets[name];
    // Equal hash means equal content: reuse the new facet instead of inflating the old.
    prev.facets[name] = nextFacet && row.hash === nextHashes[name] ? nextFacet : readFacetBlob(db, row.blob_id);
  }
  const lastOk: Partial<Record<FacetName, FacetSnapshot>> = {};
  if (next.error === undefined) {
    for (const name of FACET_NAMES) {
      if (next.facets[name]?.status !== 'ok') continue;
      if (prev.error === undefined && prev.facets[name]?.status === 'ok') continue;
      const facet = lastOkFacet(db, prevRow.node_id, name, runId);
      if (facet) lastOk[name] = facet;
    }
  }
  return diffSnapshots(prev, next, { lastOk });
}

export function insertChanges(db: Db, runId: number, snapshot: NodeSnapshot, changes: readonly Change[]): void {
  const insert = statement(db,
    `INSERT INTO node_changes (run_id, cluster, node, at, facet, key, change, before, after)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const at = toIsoUtc(snapshot.takenAt, `snapshot ${snapshot.node} takenAt`);
  for (const c of changes) {
    insert.run(runId, snapshot.cluster, snapshot.node, at, c.facet, c.key, c.change, c.before, c.after);
  }
}

export interface ChangeQuery {
  node?: string;
  cluster?: string;
  /** Inclusive. */
  since?: string;
  /** Exclusive. */
  until?: string;
}

interface ChangeRow {
  run_id: number;
  cluster: string;
  node: string;
  at: string;
  facet: string;
  key: string;
  change: Change['change'];
  before: string | null;
  after: string | null;
}

export function queryChanges(db: Db, query: ChangeQuery): NodeChange[] {
  const where = whereClause([
    ['node = ?', query.node],
    ['cluster = ?', query.cluster],
    ['at >= ?', optionalIsoUtc(query.since, 'since')],
    ['at < ?', optionalIsoUtc(query.until, 'until')],
  ]);
  const rows = statement(db,
      `SELECT run_id, cluster, node, at, facet, key, change, before, after FROM node_changes ${where.sql}
        ORDER BY at, id`,
    )
    .all(...where.params) as ChangeRow[];
  return rows.map((r) => ({
    runId: r.run_id,
    cluster: r.cluster,
    node: r.node,
    at: r.at,
    facet: r.facet as Change['facet'],
    key: r.key,
    change: r.change,
    before: r.before,
    after: r.after,
  }));
}
