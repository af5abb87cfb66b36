/**
 * Node snapshots: one small row per node per run, one row per facet pointing at a
 * content-addressed blob. Reassembly turns rows back into NodeSnapshot.
 */
import {
  canonicalJson,
  FACET_NAMES,
  isFacetName,
  sha256Hex,
  facetContent,
  type FacetName,
  type FacetSnapshot,
  type NodeSnapshot,
} from '../core/snapshot.js';
import { decompress, putBlob } from './blobs.js';
import type { Db } from './db.js';
import { statement } from './statements.js';
import { StoreError } from './errors.js';
import { toIsoUtc } from './time.js';

export interface SnapshotRow {
  id: number;
  run_id: number;
  cluster: string;
  node: string;
  taken_at: string;
  error: string | null;
  content_hash: string;
}

export interface SnapshotFacetRow {
  snapshot_id: number;
  facet: string;
  blob_id: number;
  status: string;
  duration_ms: number | null;
  hash: string;
}

/**
 * Same formula as core snapshotContentHash, but from stored facet hashes, so the
 * store can recompute it without inflating every blob (a test pins the equality).
 */
export function contentHashFromFacetHashes(
  cluster: string,
  node: string,
  error: string | null,
  facetHashes: Partial<Record<FacetName, string>>,
): string {
  return sha256Hex(canonicalJson({ cluster, node, error, facets: facetHashes }));
}

export function insertSnapshot(db: Db, runId: number, snapshot: NodeSnapshot): { id: number; contentHash: string } {
  const facetHashes: Partial<Record<FacetName, string>> = {};
  const facetRows: { facet: FacetName; blobId: number; status: string; durationMs: number | null }[] = [];
  for (const name of FACET_NAMES) {
    const facet = snapshot.facets[name];
    if (!facet) continue;
    const text = canonicalJson(facetContent(facet));
    const hash = sha256Hex(text);
    facetHashes[name] = hash;
    facetRows.push({
      facet: name,
      blobId: putBlob(db, 'facet_blobs', hash, text, name),
      status: facet.status,
      durationMs: facet.durationMs === undefined ? null : Math.round(facet.durationMs),
    });
  }
  const contentHash = contentHashFromFacetHashes(
    snapshot.cluster,
    snapshot.node,
    snapshot.error ?? null,
    facetHashes,
  );
  const result = statement(db,
      `INSERT INTO node_snapshots (run_id, cluster, node, taken_at, error, content_hash)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(
      runId,
      snapshot.cluster,
      snapshot.node,
      toIsoUtc(snapshot.takenAt, `snapshot ${snapshot.node} takenAt`),
      snapshot.error ?? null,
      contentHash,
    );
  const id = Number(result.lastInsertRowid);
  const insertFacet = statement(db,
    'INSERT INTO snapshot_facets (snapshot_id, facet, blob_id, status, duration_ms) VALUES (?, ?, ?, ?, ?)',
  );
  for (const row of facetRows) insertFacet.run(id, row.facet, row.blobId, row.status, row.durationMs);
  return { id, contentHash };
}

export function facetRowsOf(db: Db, snapshotId: number): SnapshotFacetRow[] {
  return statement(db,
      `SELECT sf.snapshot_id, sf.facet, sf.blob_id, sf.status, sf.duration_ms, b.hash
         FROM snapshot_facets sf LEFT JOIN facet_blobs b ON b.id = sf.blob_id
        WHERE sf.snapshot_id = ?`,
    )
    .all(snapshotId) as SnapshotFacetRow[];
}

export function readFacetBlob(db: Db, blobId: number): FacetSnapshot {
  const row = statement(db, 'SELECT data FROM facet_blobs WHERE id = ?').get(blobId) as
    | { data: Buffer }
    | undefined;
  if (!row) throw new StoreError('corrupt', `facet blob ${blobId} is missing`);
  return JSON.parse(decompress(row.data)) as FacetSnapshot;
}

/** Rebuilds the NodeSnapshot a row stands for (takenAt comes back normalised to UTC ms). */
export function assembleSnapshot(db: Db, row: SnapshotRow): NodeSnapshot {
  const facets: NodeSnapshot['facets'] = {};
  for (const facetRow of facetRowsOf(db, row.id)) {
    if (!isFacetName(facetRow.facet)) continue;
    const facet = readFacetBlob(db, facetRow.blob_id);
    if (facetRow.duration_ms !== null) facet.durationMs = facetRow.duration_ms;
    facets[facetRow.facet] = facet;
  }
  const snapshot: NodeSnapshot = { cluster: row.cluster, node: row.node, takenAt: row.taken_at, facets };
  if (row.error !== null) snapshot.error = row.error;
  return snapshot;
}

const SNAPSHOT_COLUMNS = 'id, run_id, cluster, node, taken_at, error, content_hash';

/** The node's latest snapshot stored before run `beforeRunId` (exclusive). */
export function previousSnapshotRow(
  db: Db,
  cluster: string,
  node: string,
  beforeRunId: number,
): SnapshotRow | undefined {
  return statement(db,
      `SELECT ${SNAPSHOT_COLUMNS} FROM node_snapshots
        WHERE cluster = ? AND node = ? AND run_id < ? ORDER BY run_id DESC LIMIT 1`,
    )
    .get(cluster, node, beforeRunId) as SnapshotRow | undefined;
}

/** The last `ok` version of one facet of a node before run `beforeRunId`. */
export function lastOkFacet(
  db: Db,
  cluster: string,
  node: string,
  facet: FacetName,
  beforeRunId: number,
): FacetSnapshot | undefined {
  const row = statement(db,
      `SELECT sf.blob_id FROM node_snapshots s JOIN snapshot_facets sf ON sf.snapshot_id = s.id
        WHERE s.cluster = ? AND s.node = ? AND s.run_id < ? AND sf.facet = ? AND sf.status = 'ok'
        ORDER BY s.run_id DESC LIMIT 1`,
    )
    .get(cluster, node, beforeRunId, facet) as { blob_id: number } | undefined;
  return row ? readFacetBlob(db, row.blob_id) : undefined;
}

export function snapshotRowsOfRun(db: Db, runId: number): SnapshotRow[] {
  return statement(db, `SELECT ${SNAPSHOT_COLUMNS} FROM node_snapshots WHERE run_id = ? ORDER BY node`)
    .all(runId) as SnapshotRow[];
}

/**
 * The snapshot rows that stand for each node of a run: its own row, or for a node
 * whose snapshot prune() thinned, the nearest earlier kept row of that node (equal
 * content by construction).
 */
export function effectiveSnapshotRows(
  db: Db,
  run: { id: number; cluster: string; thinned_nodes: string | null },
): SnapshotRow[] {
  const rows = snapshotRowsOfRun(db, run.id);
  for (const node of parseThinned(run.thinned_nodes)) {
    const kept = previousSnapshotRow(db, run.cluster, node, run.id);
    if (kept) rows.push(kept);
  }
  return rows.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

export function parseThinned(value: string | null): string[] {
  if (value === null) return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === 'string') : [];
}

export function snapshotAt(
  db: Db,
  node: string,
  at: string | undefined,
  cluster: string | undefined,
): NodeSnapshot | null {
  const clauses = ['node = ?'];
  const params: string[] = [node];
  if (cluster !== undefined) {
    clauses.push('cluster = ?');
    params.push(cluster);
  }
  if (at !== undefined) {
    clauses.push('taken_at <= ?');
    params.push(toIsoUtc(at, 'at'));
  }
  const row = statement(db,
      `SELECT ${SNAPSHOT_COLUMNS} FROM node_snapshots WHERE ${clauses.join(' AND ')}
        ORDER BY taken_at DESC, run_id DESC LIMIT 1`,
    )
    .get(...params) as SnapshotRow | undefined;
  return row ? assembleSnapshot(db, row) : null;
}
