/** Size accounting, for the benchmark and `driftd history --stats`. */
import { z } from 'zod';
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
  /** page_count * page_size: the logical size of the database, WAL content included. */
  bytes: number;
  pageSize: number;
  pageCount: number;
  freePages: number;
  rows: Record<StoreTable, number>;
  /** Uncompressed and stored bytes of all facet blobs. */
  facetBlobBytes: { raw: number; stored: number };
}

export function stats(db: Db): StoreStats {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pageCount = db.pragma('page_count', { simple: true }) as number;
  const freePages = db.pragma('freelist_count', { simple: true }) as number;
  const rows = Object.fromEntries(
    STORE_TABLES.map((t) => [t, readRow(CountRow, db.prepare(`SELECT count(*) AS n FROM ${t}`).get(), t).n]),
  ) as Record<StoreTable, number>;
  const blobBytes = db.prepare('SELECT coalesce(sum(size), 0) AS raw, coalesce(sum(length(data)), 0) AS stored FROM facet_blobs').get();
  const facetBlobBytes = readRow(BlobBytesRow, blobBytes, 'facet_blobs');
  return { bytes: pageSize * pageCount, pageSize, pageCount, freePages, rows, facetBlobBytes };
}

/** Bytes per table and index, from SQLite's dbstat: where a run's bytes go. */
export function bytesByTable(db: Db): Record<string, number> {
  const rows = readRows(TableBytesRow, db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all(), 'dbstat');
  return Object.fromEntries(rows.map((r) => [r.name, r.bytes]));
}
