/**
 * Content-addressed blobs: a facet's (a finding's, a score detail's) canonical JSON, stored once,
 * deflated, keyed by the sha256 of that JSON. Rows refer to blobs by integer id so an
 * unchanged node costs a few small integers per facet per run, not a 64-char hash.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { sha256Hex } from '../core/snapshot.js';
import { z } from 'zod';
import { StoreError } from './errors.js';
import type { Db } from './types.js';
import { Bytes, Int, readOptionalRow, readRows } from './rows.js';
import type { SqlValue } from './sql.js';
import { chunks, ROWS_PER_STATEMENT, sqlList } from './statements.js';

export type BlobTable = 'facet_blobs' | 'finding_blobs' | 'score_blobs';

export function compress(text: string): Buffer {
  return deflateRawSync(Buffer.from(text, 'utf8'));
}

export function decompress(data: Buffer): string {
  return inflateRawSync(data).toString('utf8');
}

/**
 * The ids of the rows already stored among `hashes`, one query per ROWS_PER_STATEMENT
 * hashes: the blob tables and snapshot_manifests are all keyed by a unique content hash.
 */
export async function idsByHash(db: Db, table: BlobTable | 'snapshot_manifests', hashes: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const page of chunks([...new Set(hashes)])) {
    const rows = await db.all(`SELECT id, hash FROM ${table} WHERE hash IN (${sqlList(page.length)})`, page);
    for (const row of readRows(HashIdRow, rows, table)) found.set(row.hash, row.id);
  }
  return found;
}

/** A blob to store: `hash` is sha256Hex of the text, which may be given as a function, built only if the blob is new. */
export interface BlobInput {
  hash: string;
  text: string | (() => string);
  /** facet_blobs only: the facet the blob holds. */
  facet?: string;
}

/**
 * Stores each blob of `blobs` not stored yet; returns every one's id by hash. Round trips
 * count on PostgreSQL: the known ones are found in one query, the new ones written in
 * multi-row INSERTs, in hash order so that two transactions writing overlapping sets
 * take the unique index's entries in the same order and never wait on each other
 * crosswise. Blobs are shared across clusters, whose runs PostgreSQL stores
 * concurrently: when another transaction inserts the same blob meanwhile, ON CONFLICT
 * waits for it and, once it has committed, the blob is read back instead of failing on
 * the unique key (RETURNING gives only the rows this statement inserted).
 */
export async function putBlobs(db: Db, table: BlobTable, blobs: readonly BlobInput[]): Promise<Map<string, number>> {
  const ids = await idsByHash(
    db,
    table,
    blobs.map((b) => b.hash),
  );
  const fresh = new Map<string, BlobInput>();
  for (const blob of blobs) if (!ids.has(blob.hash) && !fresh.has(blob.hash)) fresh.set(blob.hash, blob);
  const sorted = [...fresh.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const columns = table === 'facet_blobs' ? '(hash, facet, data, size)' : '(hash, data, size)';
  const tuple = table === 'facet_blobs' ? '(?, ?, ?, ?)' : '(?, ?, ?)';
  // A statement carries at most ROWS_PER_STATEMENT blobs and about BYTES_PER_STATEMENT of
  // deflated data, so a first run of large nodes does not build one huge statement.
  let params: SqlValue[] = [];
  let count = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (count === 0) return;
    const inserted = await db.all(
      `INSERT INTO ${table} ${columns} VALUES ${sqlList(count, tuple)} ON CONFLICT (hash) DO NOTHING RETURNING id, hash`,
      params,
    );
    for (const row of readRows(HashIdRow, inserted, table)) ids.set(row.hash, row.id);
    params = [];
    count = 0;
    bytes = 0;
  };
  for (const blob of sorted) {
    const text = typeof blob.text === 'string' ? blob.text : blob.text();
    const data = compress(text);
    params.push(blob.hash);
    if (table === 'facet_blobs') params.push(blob.facet ?? '');
    params.push(data, Buffer.byteLength(text, 'utf8'));
    count += 1;
    bytes += data.length;
    if (count >= ROWS_PER_STATEMENT || bytes >= BYTES_PER_STATEMENT) await flush();
  }
  await flush();
  const raced = sorted.filter((b) => !ids.has(b.hash)).map((b) => b.hash);
  if (raced.length > 0) for (const [hash, id] of await idsByHash(db, table, raced)) ids.set(hash, id);
  for (const blob of blobs) if (!ids.has(blob.hash)) missing(table, blob.hash);
  return ids;
}

/** The id putBlobs gave the blob of `hash`. */
export function blobIdOf(ids: ReadonlyMap<string, number>, table: BlobTable, hash: string): number {
  return ids.get(hash) ?? missing(table, hash);
}

/** Deflated bytes per multi-row blob INSERT (a statement may pass it by one blob). */
const BYTES_PER_STATEMENT = 4 * 1024 * 1024;

function missing(table: BlobTable, hash: string): never {
  throw new StoreError('corrupt', `${table}: blob ${hash} is neither inserted nor found`);
}

/** A row's id by its content hash (idsByHash, and the RETURNING of inserts keyed by hash). */
export const HashIdRow = z.object({ id: Int, hash: z.string() });

/** A row of facet_blobs, finding_blobs or score_blobs: the deflated text and its key. */
export const BlobRow = z.object({ id: Int, hash: z.string(), data: Bytes });
export type BlobRow = z.infer<typeof BlobRow>;

export async function readBlob(db: Db, table: BlobTable, id: number): Promise<BlobRow | undefined> {
  return readOptionalRow(BlobRow, await db.get(`SELECT id, hash, data FROM ${table} WHERE id = ?`, [id]), table);
}

/** The blob's text if its content still hashes to its key; undefined otherwise. */
export function verifiedBlobText(blob: BlobRow): string | undefined {
  let text: string;
  try {
    text = decompress(blob.data);
  } catch {
    return undefined;
  }
  return sha256Hex(text) === blob.hash ? text : undefined;
}
