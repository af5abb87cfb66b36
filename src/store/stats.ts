/** Size accounting, for the benchmark and `driftd history --stats`. */
import { z } from 'zod';
import type Database from 'better-sqlite3';
import type { Db } from './types.js';
import { Int, readRow, readRows } from './rows.js';

const CountRow = z.object({ n: Int });
const BlobBytesRow = z.object({ raw: Int, stored: Int });
const TableBytesRow = z.object({ name: z.string(), bytes: Int });

export const STORE_TABLES = [
  'runs',
  'nodes',
  'node_snapshots',
  'snapshot_manifests',
  'manifest_facets',
  'facet_blobs',
  'run_findings',
  'finding_blobs',
  'node_scores',
  'score_blobs',
  'finding_episodes',
  'node_changes',
] as const;
export type StoreTable = (typeof STORE_TABLES)[number];

export interface StoreStats {
  /**
   * SQLite: page_count * page_size, the logical size of the database, WAL content included.
   * PostgreSQL: pg_database_size of the database.
   */
  bytes: number;
  /** SQLite's pages; 0 on PostgreSQL (not applicable). */
  pageSize: number;
  pageCount: number;
  freePages: number;
  rows: Record<StoreTable, number>;
  /** Uncompressed and stored bytes of all facet blobs. */
  facetBlobBytes: { raw: number; stored: number };
}

const SizeRow = z.object({ bytes: Int });

/** `sqlite`: the SQLite connection for its pragmas; undefined on PostgreSQL. */
export async function stats(db: Db, sqlite: Database.Database | undefined): Promise<StoreStats> {
  const rows: Partial<Record<StoreTable, number>> = {};
  for (const t of STORE_TABLES) rows[t] = readRow(CountRow, await db.get(`SELECT count(*) AS n FROM ${t}`), t).n;
  const blobBytes = await db.get('SELECT coalesce(sum(size), 0) AS raw, coalesce(sum(length(data)), 0) AS stored FROM facet_blobs');
  const facetBlobBytes = readRow(BlobBytesRow, blobBytes, 'facet_blobs');
  if (sqlite === undefined) {
    const size = readRow(SizeRow, await db.get('SELECT pg_database_size(current_database()) AS bytes'), 'pg_database_size');
    return { bytes: size.bytes, pageSize: 0, pageCount: 0, freePages: 0, rows: rows as Record<StoreTable, number>, facetBlobBytes };
  }
  const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
  const pageCount = sqlite.pragma('page_count', { simple: true }) as number;
  const freePages = sqlite.pragma('freelist_count', { simple: true }) as number;
  return { bytes: pageSize * pageCount, pageSize, pageCount, freePages, rows: rows as Record<StoreTable, number>, facetBlobBytes };
}

/** Bytes per table and index (SQLite's dbstat). */
export function bytesByTable(sqlite: Database.Database): Record<string, number> {
  const rows = readRows(TableBytesRow, sqlite.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all(), 'dbstat');
  return Object.fromEntries(rows.map((r) => [r.name, r.bytes]));
}
