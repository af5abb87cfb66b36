/**
 * The change log, recorded per node at save time. A node whose content hash equals its
 * previous snapshot's has no changes by construction and costs one indexed lookup;
 * otherwise only facets whose hash moved are inflated.
 */
import { z } from 'zod';
import { CHANGE_KINDS, diffSnapshots, type Change } from '../core/changes.js';
import { FACET_NAMES, type FacetName, type FacetSnapshot, type NodeSnapshot } from '../core/snapshot.js';
import type { Db } from './types.js';
import { chunks, sqlList, whereClause } from './statements.js';
import type { SqlValue } from './sql.js';
import { lastOkFacet, manifestFacetRows, readFacetBlob, type SnapshotRow } from './snapshots.js';
import { msToIso, optionalIsoUtc, toIsoUtc } from './time.js';
import { Int, readRows } from './rows.js';

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
export async function changesAgainstHistory(
  db: Db,
  runId: number,
  next: NodeSnapshot,
  nextHashes: Partial<Record<FacetName, string>>,
  nextContentHash: string,
  prevRow: SnapshotRow | undefined,
): Promise<Change[]> {
  if (!prevRow || prevRow.content_hash === nextContentHash) return [];
  const prev: NodeSnapshot = { cluster: prevRow.cluster, node: prevRow.node, takenAt: msToIso(prevRow.taken_at), facets: {} };
  if (prevRow.error !== null) prev.error = prevRow.error;
  for (const row of await manifestFacetRows(db, prevRow.manifest_id)) {
    const name = row.facet as FacetName;
    const nextFacet = next.facets[name];
    // Equal hash means equal content: reuse the new facet instead of inflating the old.
    prev.facets[name] = nextFacet && row.hash === nextHashes[name] ? nextFacet : await readFacetBlob(db, row.blob_id);
  }
  const lastOk: Partial<Record<FacetName, FacetSnapshot>> = {};
  if (next.error === undefined) {
    for (const name of FACET_NAMES) {
      if (next.facets[name]?.status !== 'ok') continue;
      if (prev.error === undefined && prev.facets[name]?.status === 'ok') continue;
      const facet = await lastOkFacet(db, prevRow.node_id, name, runId);
      if (facet) lastOk[name] = facet;
    }
  }
  return diffSnapshots(prev, next, { lastOk });
}

/** The run's change log, in multi-row INSERTs (an upgrade may change thousands of packages at once). */
export async function insertChanges(
  db: Db,
  runId: number,
  nodes: readonly { snapshot: NodeSnapshot; changes: readonly Change[] }[],
): Promise<void> {
  const rows: SqlValue[][] = [];
  for (const { snapshot, changes } of nodes) {
    const at = toIsoUtc(snapshot.takenAt, `snapshot ${snapshot.node} takenAt`);
    for (const c of changes) rows.push([runId, snapshot.cluster, snapshot.node, at, c.facet, c.key, c.change, c.before, c.after]);
  }
  for (const page of chunks(rows)) {
    await db.run(
      `INSERT INTO node_changes (run_id, cluster, node, at, facet, key, change, before, after)
       VALUES ${sqlList(page.length, '(?, ?, ?, ?, ?, ?, ?, ?, ?)')}`,
      page.flat(),
    );
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

/** A row of node_changes as SQLite returns it. */
const ChangeRow = z.object({
  id: Int,
  run_id: Int,
  cluster: z.string(),
  node: z.string(),
  at: z.string(),
  facet: z.union([z.enum(FACET_NAMES), z.literal('node')]),
  key: z.string(),
  change: z.enum(CHANGE_KINDS),
  before: z.string().nullable(),
  after: z.string().nullable(),
});

export async function queryChanges(db: Db, query: ChangeQuery): Promise<NodeChange[]> {
  const where = whereClause([
    ['node = ?', query.node],
    ['cluster = ?', query.cluster],
    ['at >= ?', optionalIsoUtc(query.since, 'since')],
    ['at < ?', optionalIsoUtc(query.until, 'until')],
  ]);
  const rows = await db.all(
    `SELECT id, run_id, cluster, node, at, facet, key, change, before, after FROM node_changes ${where.sql}
        ORDER BY at, id`,
    where.params,
  );
  return readRows(ChangeRow, rows, 'node_changes').map((r) => ({
    runId: r.run_id,
    cluster: r.cluster,
    node: r.node,
    at: r.at,
    facet: r.facet,
    key: r.key,
    change: r.change,
    before: r.before,
    after: r.after,
  }));
}
