/**
 * Per-node scores of a run. A node's explanation (facet statuses, error, score
 * contributions) is the same run after run while nothing changes, so it is stored
 * once, deflated, by hash (score_blobs); the per-run row keeps what a report and the
 * readiness history read (reachable, ready, score), the snapshot time and the blob id.
 *
 * report_hash covers the full detail text as v2 stored it; joinDetail rebuilds it byte
 * for byte from the blob and the time, and splitDetail only splits when that holds
 * (otherwise the blob keeps the whole text and the time column is NULL).
 */
import { sha256Hex } from '../core/snapshot.js';
import { blobIdOf, decompress, putBlobs } from './blobs.js';
import { chunks, sqlList } from './statements.js';
import type { NodeScoreRow } from './types.js';
import type { Db } from './types.js';
import { z } from 'zod';
import { Bytes, Int, readOptionalRow, readRows } from './rows.js';
import { StoreError } from './errors.js';
import { msToIso } from './time.js';

/** Epoch ms when the ISO text round-trips, the text otherwise; NULL: the blob holds it all. */
export type StoredTime = number | string | null;

// canonicalJson sorts keys and snapshotAt sorts after contributions, error and facets.
const SNAPSHOT_AT_TAIL = /,"snapshotAt":("(?:[^"\\]|\\.)*")\}$/;

export function joinDetail(stored: string, at: StoredTime): string {
  if (at === null) return stored;
  const iso = typeof at === 'number' ? msToIso(at) : at;
  return `${stored.slice(0, -1)},"snapshotAt":${JSON.stringify(iso)}}`;
}

export function splitDetail(detail: string): { stored: string; at: StoredTime } {
  const match = SNAPSHOT_AT_TAIL.exec(detail);
  if (match?.[1] !== undefined) {
    const iso = JSON.parse(match[1]) as string;
    const ms = Date.parse(iso);
    const at: StoredTime = !Number.isNaN(ms) && msToIso(ms) === iso ? ms : iso;
    const stored = `${detail.slice(0, match.index)}}`;
    if (joinDetail(stored, at) === detail) return { stored, at };
  }
  return { stored: detail, at: null };
}

/** Binds epoch ms as INTEGER (a JS number would bind as REAL in an untyped column). */
function bindTime(at: StoredTime): bigint | string | null {
  return typeof at === 'number' ? BigInt(at) : at;
}

/**
 * A run's node_scores rows. Round trips count on PostgreSQL: the details' blobs are
 * found or written through putBlobs and the rows go in multi-row INSERTs. `ids` caches
 * detail text -> blob id across calls (the v3 migration shares one).
 */
export async function insertNodeScores(
  db: Db,
  runId: number,
  rows: readonly NodeScoreRow[],
  ids: Map<string, number> = new Map(),
): Promise<void> {
  const split = rows.map((row) => ({ row, ...splitDetail(row.detail) }));
  const unknown = new Map<string, string>();
  for (const { stored } of split) if (!ids.has(stored) && !unknown.has(stored)) unknown.set(stored, sha256Hex(stored));
  if (unknown.size > 0) {
    const blobs = await putBlobs(
      db,
      'score_blobs',
      [...unknown].map(([text, hash]) => ({ hash, text })),
    );
    for (const [text, hash] of unknown) ids.set(text, blobIdOf(blobs, 'score_blobs', hash));
  }
  for (const page of chunks(split)) {
    await db.run(
      `INSERT INTO node_scores (run_id, node, reachable, ready, score, snapshot_at, detail_id) VALUES ${sqlList(page.length, '(?, ?, ?, ?, ?, ?, ?)')}`,
      page.flatMap(({ row, stored, at }) => [runId, row.node, row.reachable, row.ready, row.score, bindTime(at), ids.get(stored) ?? null]),
    );
  }
}

/** A row of node_scores as SQLite returns it. */
export const StoredScoreRow = z.object({
  run_id: Int,
  node: z.string(),
  reachable: Int,
  ready: Int,
  score: z.number(),
  snapshot_at: z.union([Int, z.string(), z.null()]),
  detail_id: Int,
});
export type StoredScoreRow = z.infer<typeof StoredScoreRow>;

const ScoreBlobRow = z.object({ id: Int, data: Bytes });

export async function storedScoreRows(db: Db, runId: number): Promise<StoredScoreRow[]> {
  const rows = await db.all(
    'SELECT run_id, node, reachable, ready, score, snapshot_at, detail_id FROM node_scores WHERE run_id = ? ORDER BY node',
    [runId],
  );
  return readRows(StoredScoreRow, rows.map(epochTimeAsNumber), 'node_scores');
}

/**
 * PostgreSQL keeps snapshot_at as text (it has no untyped column), so epoch ms come back
 * as a string of digits; an ISO time never is one.
 */
function epochTimeAsNumber(row: unknown): unknown {
  const at = (row as { snapshot_at?: unknown } | null)?.snapshot_at;
  return typeof at === 'string' && /^-?\d+$/.test(at) ? { ...(row as object), snapshot_at: Number(at) } : row;
}

/** The run's node score rows with their full detail text (nodes sorted by name). */
export async function nodeScoreRowsOfRun(db: Db, runId: number): Promise<NodeScoreRow[]> {
  const texts = new Map<number, string>();
  const out: NodeScoreRow[] = [];
  for (const row of await storedScoreRows(db, runId)) {
    let text = texts.get(row.detail_id);
    if (text === undefined) {
      const blob = readOptionalRow(
        ScoreBlobRow,
        await db.get('SELECT id, data FROM score_blobs WHERE id = ?', [row.detail_id]),
        'score_blobs',
      );
      if (!blob) throw new StoreError('corrupt', `score detail ${row.detail_id} of node ${row.node} is missing`);
      text = decompress(blob.data);
      texts.set(row.detail_id, text);
    }
    out.push({
      node: row.node,
      reachable: row.reachable,
      ready: row.ready,
      score: row.score,
      detail: joinDetail(text, row.snapshot_at),
    });
  }
  return out;
}
