/**
 * Node snapshots. A snapshot's content lives once in a manifest (snapshot_manifests +
 * manifest_facets), keyed by the snapshot's content hash and pointing at
 * content-addressed facet blobs; per run a node costs one small node_snapshots row:
 * run, node, manifest, taken_at (epoch ms) and its packed facet durations.
 * Reassembly turns rows back into NodeSnapshot.
 */
import { z } from 'zod';
import { FacetStatusSchema } from '../core/check-report.js';
import {
  canonicalJson,
  FACET_NAMES,
  isFacetName,
  sha256Hex,
  type FacetName,
  type FacetSnapshot,
  type NodeSnapshot,
} from '../core/snapshot.js';
import { blobIdOf, decompress, HashIdRow, idsByHash, putBlobs } from './blobs.js';
import { chunks, sqlList } from './statements.js';
import type { SqlValue } from './sql.js';
import type { Db } from './types.js';
import { packDurations, unpackDurations } from './durations.js';
import { StoreError } from './errors.js';
import { facetText, facetTextHash } from './facet-text.js';
import { facetDigest } from '../core/facet-digest.js';
import { nodeIdOf } from './nodes.js';
import { isoToMs, msToIso, toIsoUtc } from './time.js';
import { Bytes, Int, readJson, readOptionalRow, readRows } from './rows.js';

/** A node_snapshots row joined with its node and manifest (SNAPSHOT_SELECT). */
export const SnapshotRow = z.object({
  run_id: Int,
  node_id: Int,
  cluster: z.string(),
  node: z.string(),
  /** Epoch milliseconds. */
  taken_at: Int,
  manifest_id: Int,
  durations: Bytes.nullable(),
  /** From the manifest: */
  error: z.string().nullable(),
  content_hash: z.string(),
  manifest_node_id: Int,
});
export type SnapshotRow = z.infer<typeof SnapshotRow>;

/** A manifest_facets row with its blob's hash (null when the blob row is missing). */
export const ManifestFacetRow = z.object({
  manifest_id: Int,
  facet: z.string(),
  blob_id: Int,
  status: z.string(),
  hash: z.string().nullable(),
});
export type ManifestFacetRow = z.infer<typeof ManifestFacetRow>;

const ManifestBlobRow = z.object({ blob_id: Int });
const FacetBlobRow = z.object({ id: Int, data: Bytes });

const ItemRecord = z.object({
  value: z.string(),
  nodeSpecific: z.string().optional(),
  unique: z.string().optional(),
  content: z.string().optional(),
  source: z.string().optional(),
});

/** A facet as facet_blobs keeps it (canonical JSON of core's FacetSnapshot, inflated). */
export const FacetSnapshotRecord = z.object({
  status: FacetStatusSchema,
  items: z.record(z.string(), ItemRecord),
  error: z.string().optional(),
  meta: z.record(z.string(), z.string()).optional(),
  durationMs: z.number().optional(),
}) satisfies z.ZodType<FacetSnapshot>;

const FACET_STATUSES: ReadonlySet<unknown> = new Set(FacetStatusSchema.options);
const ITEM_FIELDS: ReadonlySet<string> = new Set(['value', 'nodeSpecific', 'unique', 'content', 'source']);

function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}

/**
 * FacetSnapshotRecord as a plain loop: a facet holds up to thousands of items and
 * reassembly reads every facet of every node, where the zod parse was measured at
 * about half the read time. It accepts exactly what the schema accepts with no unknown
 * field (driftd writes none); anything else goes to the schema, which explains it.
 */
export function fitsFacetSnapshot(value: unknown): value is FacetSnapshot {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const facet = value as Record<string, unknown>;
  for (const key in facet) {
    const field = facet[key];
    switch (key) {
      case 'status':
        if (!FACET_STATUSES.has(field)) return false;
        break;
      case 'items':
        if (typeof field !== 'object' || field === null || Array.isArray(field)) return false;
        for (const name in field) {
          const item = (field as Record<string, unknown>)[name];
          if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
          if (typeof (item as Record<string, unknown>).value !== 'string') return false;
          for (const k in item) if (!ITEM_FIELDS.has(k) || typeof (item as Record<string, unknown>)[k] !== 'string') return false;
        }
        break;
      case 'error':
        if (typeof field !== 'string') return false;
        break;
      case 'meta':
        if (!isStringRecord(field)) return false;
        break;
      case 'durationMs':
        if (typeof field !== 'number') return false;
        break;
      default:
        return false;
    }
  }
  return 'status' in facet && 'items' in facet;
}

/** runs.thinned_nodes: the nodes prune() removed from a run. */
const ThinnedNodes = z.array(z.string());

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

/** A snapshot's facets in manifest order (facet name order), hashed once. */
export interface HashedFacet {
  name: FacetName;
  facet: FacetSnapshot;
  hash: string;
  /** Canonical text, built only when its blob is new (the hash may come from the digest cache). */
  text: () => string;
}

export interface HashedSnapshot {
  snapshot: NodeSnapshot;
  facets: HashedFacet[];
  facetHashes: Partial<Record<FacetName, string>>;
  contentHash: string;
}

/** Manifest order: facet names sorted, as `ORDER BY facet` reads them back. */
const MANIFEST_ORDER: readonly FacetName[] = [...FACET_NAMES].sort();

/**
 * Content hash by facet digest (core/facet-digest.ts): equal digests mean the same parser
 * read the same bytes, hence the same canonical text, so a facet answered alike by many
 * nodes (a fleet's common package set, sysctl, ...) is serialised and hashed once. Bounded,
 * oldest first out; a facet without a digest is hashed from its text as always.
 */
const hashByDigest = new Map<string, string>();
const DIGEST_CACHE_MAX = 16_384;

function facetHash(facet: FacetSnapshot): { hash: string; text: () => string } {
  const digest = facetDigest(facet);
  const known = digest === undefined ? undefined : hashByDigest.get(digest);
  if (known !== undefined) return { hash: known, text: () => facetText(facet) };
  const { text, hash } = facetTextHash(facet);
  if (digest !== undefined) {
    if (hashByDigest.size >= DIGEST_CACHE_MAX) {
      const oldest = hashByDigest.keys().next().value;
      if (oldest !== undefined) hashByDigest.delete(oldest);
    }
    hashByDigest.set(digest, hash);
  }
  return { hash, text: () => text };
}

export function hashSnapshot(snapshot: NodeSnapshot): HashedSnapshot {
  const facets: HashedFacet[] = [];
  const facetHashes: Partial<Record<FacetName, string>> = {};
  for (const name of MANIFEST_ORDER) {
    const facet = snapshot.facets[name];
    if (!facet) continue;
    const { hash, text } = facetHash(facet);
    facets.push({ name, facet, hash, text });
    facetHashes[name] = hash;
  }
  const contentHash = contentHashFromFacetHashes(snapshot.cluster, snapshot.node, snapshot.error ?? null, facetHashes);
  return { snapshot, facets, facetHashes, contentHash };
}

/**
 * The manifests of the snapshots' contents by content hash, each stored (with its facet
 * blobs) on first sight. Round trips count on PostgreSQL: the known manifests are found
 * in one query, the new ones written in one multi-row INSERT, their facet blobs through
 * putBlobs and their facet rows in multi-row INSERTs, whatever the number of nodes.
 */
export async function putManifests(db: Db, snapshots: readonly { nodeId: number; hashed: HashedSnapshot }[]): Promise<Map<string, number>> {
  const ids = await idsByHash(
    db,
    'snapshot_manifests',
    snapshots.map((s) => s.hashed.contentHash),
  );
  const fresh = new Map<string, { nodeId: number; hashed: HashedSnapshot }>();
  for (const s of snapshots) if (!ids.has(s.hashed.contentHash)) fresh.set(s.hashed.contentHash, s);
  if (fresh.size === 0) return ids;
  for (const page of chunks([...fresh.values()])) {
    const rows = await db.all(
      `INSERT INTO snapshot_manifests (hash, node_id, error) VALUES ${sqlList(page.length, '(?, ?, ?)')} RETURNING id, hash`,
      page.flatMap((s) => [s.hashed.contentHash, s.nodeId, s.hashed.snapshot.error ?? null]),
    );
    for (const row of readRows(HashIdRow, rows, 'snapshot_manifests')) ids.set(row.hash, row.id);
  }
  const facets = [...fresh.values()].flatMap((s) => s.hashed.facets);
  const blobs = await putBlobs(
    db,
    'facet_blobs',
    facets.map((f) => ({ hash: f.hash, text: f.text, facet: f.name })),
  );
  const rows: SqlValue[][] = [];
  for (const [contentHash, s] of fresh) {
    const manifestId = ids.get(contentHash);
    if (manifestId === undefined)
      throw new StoreError('corrupt', `snapshot_manifests: manifest ${contentHash} is neither found nor written`);
    for (const f of s.hashed.facets) rows.push([manifestId, f.name, blobIdOf(blobs, 'facet_blobs', f.hash), f.facet.status]);
  }
  for (const page of chunks(rows)) {
    await db.run(
      `INSERT INTO manifest_facets (manifest_id, facet, blob_id, status) VALUES ${sqlList(page.length, '(?, ?, ?, ?)')}`,
      page.flat(),
    );
  }
  return ids;
}

/** The snapshot's facet durations in manifest order, packed. */
export function facetDurations(snapshot: NodeSnapshot): Buffer | null {
  const values: (number | null)[] = [];
  for (const name of MANIFEST_ORDER) {
    const facet = snapshot.facets[name];
    if (facet) values.push(facet.durationMs === undefined ? null : Math.round(facet.durationMs));
  }
  return packDurations(values);
}

/** One node's row of a run: `manifestId` must hold this snapshot's content. */
export interface SnapshotRowInput {
  nodeId: number;
  manifestId: number;
  snapshot: NodeSnapshot;
}

/** A run's node_snapshots rows, in multi-row INSERTs. */
export async function insertSnapshotRows(db: Db, runId: number, rows: readonly SnapshotRowInput[]): Promise<void> {
  for (const page of chunks(rows)) {
    await db.run(
      `INSERT INTO node_snapshots (run_id, node_id, manifest_id, taken_at, durations) VALUES ${sqlList(page.length, '(?, ?, ?, ?, ?)')}`,
      page.flatMap((r) => [
        runId,
        r.nodeId,
        r.manifestId,
        isoToMs(r.snapshot.takenAt, `snapshot ${r.snapshot.node} takenAt`),
        facetDurations(r.snapshot),
      ]),
    );
  }
}

export async function manifestFacetRows(db: Db, manifestId: number): Promise<ManifestFacetRow[]> {
  const rows = await db.all(
    `SELECT mf.manifest_id, mf.facet, mf.blob_id, mf.status, b.hash
         FROM manifest_facets mf LEFT JOIN facet_blobs b ON b.id = mf.blob_id
        WHERE mf.manifest_id = ? ORDER BY mf.facet`,
    [manifestId],
  );
  return readRows(ManifestFacetRow, rows, 'manifest_facets');
}

export async function readFacetBlob(db: Db, blobId: number): Promise<FacetSnapshot> {
  const row = readOptionalRow(FacetBlobRow, await db.get('SELECT id, data FROM facet_blobs WHERE id = ?', [blobId]), 'facet_blobs');
  if (!row) throw new StoreError('corrupt', `facet blob ${blobId} is missing`);
  return readJson(FacetSnapshotRecord, decompress(row.data), `facet_blobs row id=${blobId} data`, fitsFacetSnapshot);
}

/** Rebuilds the NodeSnapshot a row stands for (takenAt comes back normalised to UTC ms). */
export async function assembleSnapshot(db: Db, row: SnapshotRow): Promise<NodeSnapshot> {
  const facets: NodeSnapshot['facets'] = {};
  const facetRows = await manifestFacetRows(db, row.manifest_id);
  const durations = unpackDurations(row.durations, facetRows.length);
  for (const [i, facetRow] of facetRows.entries()) {
    if (!isFacetName(facetRow.facet)) continue;
    const facet = await readFacetBlob(db, facetRow.blob_id);
    const duration = durations[i];
    if (duration !== null && duration !== undefined) facet.durationMs = duration;
    facets[facetRow.facet] = facet;
  }
  const snapshot: NodeSnapshot = { cluster: row.cluster, node: row.node, takenAt: msToIso(row.taken_at), facets };
  if (row.error !== null) snapshot.error = row.error;
  return snapshot;
}

const SNAPSHOT_SELECT = `SELECT s.run_id, s.node_id, n.cluster, n.node, s.taken_at, s.manifest_id, s.durations,
       m.error, m.hash AS content_hash, m.node_id AS manifest_node_id
  FROM node_snapshots s JOIN nodes n ON n.id = s.node_id JOIN snapshot_manifests m ON m.id = s.manifest_id`;

/** The node's latest snapshot stored before run `beforeRunId` (exclusive). */
export async function previousSnapshotRow(db: Db, nodeId: number, beforeRunId: number): Promise<SnapshotRow | undefined> {
  const row = await db.get(`${SNAPSHOT_SELECT} ${PREVIOUS_OF_NODE}`, [nodeId, beforeRunId]);
  return readOptionalRow(SnapshotRow, row, 'node_snapshots');
}

const PREVIOUS_OF_NODE = 'WHERE s.node_id = ? AND s.run_id < ? ORDER BY s.run_id DESC LIMIT 1';

/**
 * previousSnapshotRow for several nodes in one query (by node id): one indexed
 * `LIMIT 1` probe per node, joined by UNION ALL, so the cost does not grow with history.
 */
export async function previousSnapshotRows(db: Db, nodeIds: readonly number[], beforeRunId: number): Promise<Map<number, SnapshotRow>> {
  const found = new Map<number, SnapshotRow>();
  // SQLite allows at most 500 terms in a compound SELECT.
  for (const page of chunks(nodeIds, 100)) {
    const sql = page.map((_, i) => `SELECT * FROM (${SNAPSHOT_SELECT} ${PREVIOUS_OF_NODE}) AS p${i}`).join(' UNION ALL ');
    const rows = await db.all(
      sql,
      page.flatMap((id) => [id, beforeRunId]),
    );
    for (const row of readRows(SnapshotRow, rows, 'node_snapshots')) found.set(row.node_id, row);
  }
  return found;
}

/** The last `ok` version of one facet of a node before run `beforeRunId`. */
export async function lastOkFacet(db: Db, nodeId: number, facet: FacetName, beforeRunId: number): Promise<FacetSnapshot | undefined> {
  const row = await db.get(
    `SELECT mf.blob_id FROM node_snapshots s
         JOIN manifest_facets mf ON mf.manifest_id = s.manifest_id AND mf.facet = ?
        WHERE s.node_id = ? AND s.run_id < ? AND mf.status = 'ok'
        ORDER BY s.run_id DESC LIMIT 1`,
    [facet, nodeId, beforeRunId],
  );
  const found = readOptionalRow(ManifestBlobRow, row, 'manifest_facets');
  return found ? await readFacetBlob(db, found.blob_id) : undefined;
}

export async function snapshotRowsOfRun(db: Db, runId: number): Promise<SnapshotRow[]> {
  return readRows(SnapshotRow, await db.all(`${SNAPSHOT_SELECT} WHERE s.run_id = ? ORDER BY n.node`, [runId]), 'node_snapshots');
}

/**
 * The snapshot rows that stand for each node of a run: its own row, or for a node
 * whose snapshot prune() thinned, the nearest earlier kept row of that node (equal
 * content by construction).
 */
export async function effectiveSnapshotRows(
  db: Db,
  run: { id: number; cluster: string; thinned_nodes: string | null },
): Promise<SnapshotRow[]> {
  const rows = await snapshotRowsOfRun(db, run.id);
  for (const node of parseThinned(run.thinned_nodes, run.id)) {
    const nodeId = await nodeIdOf(db, run.cluster, node);
    const kept = nodeId === undefined ? undefined : await previousSnapshotRow(db, nodeId, run.id);
    if (kept) rows.push(kept);
  }
  return rows.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

/** runs.thinned_nodes of run `runId`, checked: a list of node names. */
export function parseThinned(value: string | null, runId: number): string[] {
  if (value === null) return [];
  return readJson(ThinnedNodes, value, `runs row id=${runId} column thinned_nodes`);
}

export async function snapshotAt(db: Db, node: string, at: string | undefined, cluster: string | undefined): Promise<NodeSnapshot | null> {
  // The node's ids first (a node name may exist in several clusters), so the lookup
  // walks node_snapshots_node for those nodes only.
  const nodeClauses = ['node = ?'];
  const params: (string | number)[] = [node];
  if (cluster !== undefined) {
    nodeClauses.push('cluster = ?');
    params.push(cluster);
  }
  const clauses = [`s.node_id IN (SELECT id FROM nodes WHERE ${nodeClauses.join(' AND ')})`];
  if (at !== undefined) {
    clauses.push('s.taken_at <= ?');
    params.push(Date.parse(toIsoUtc(at, 'at')));
  }
  const row = await db.get(`${SNAPSHOT_SELECT} WHERE ${clauses.join(' AND ')} ORDER BY s.taken_at DESC, s.run_id DESC LIMIT 1`, params);
  const found = readOptionalRow(SnapshotRow, row, 'node_snapshots');
  return found ? await assembleSnapshot(db, found) : null;
}
