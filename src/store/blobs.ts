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
import { Bytes, IdRow, Int, readOptionalRow, readRows } from './rows.js';

export type BlobTable = 'facet_blobs' | 'finding_blobs' | 'score_blobs';

export function compress(text: string): Buffer {
  return deflateRawSync(Buffer.from(text, 'utf8'));
}

export function decompress(data: Buffer): string {
  return inflateRawSync(data).toString('utf8');
}

/** Stores `canonicalText` once; returns the blob's id. `hash` must be sha256Hex(canonicalText). */
export async function putBlob(db: Db, table: BlobTable, hash: string, canonicalText: string): Promise<number> {
  const existing = readOptionalRow(IdRow, await db.get(`SELECT id FROM ${table} WHERE hash = ?`, [hash]), table);
  if (existing) return existing.id;
  return insertBlob(db, table, hash, canonicalText);
}

/** The ids of the blobs already stored among `hashes`, in one query. */
export async function blobIdsByHash(db: Db, table: BlobTable, hashes: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(hashes)];
  const found = new Map<string, number>();
  if (unique.length === 0) return found;
  const rows = await db.all(`SELECT id, hash FROM ${table} WHERE hash IN (${unique.map(() => '?').join(', ')})`, unique);
  for (const row of readRows(BlobIdRow, rows, table)) found.set(row.hash, row.id);
  return found;
}

/**
 * Writes a blob not found by its hash; returns its id. The text may be given as a
 * function: it is built only here, when the blob is new. Blobs are shared across
 * clusters, whose runs PostgreSQL stores concurrently: when another transaction inserts
 * the same blob meanwhile, ON CONFLICT waits for it and, once it has committed, takes its
 * row instead of failing on the unique key.
 */
export async function insertBlob(db: Db, table: BlobTable, hash: string, text: string | (() => string), facet?: string): Promise<number> {
  const canonicalText = typeof text === 'string' ? text : text();
  const data = compress(canonicalText);
  const size = Buffer.byteLength(canonicalText, 'utf8');
  // RETURNING gives the id of a row it inserted; none when another transaction's row won.
  const inserted =
    table === 'facet_blobs'
      ? await db.get('INSERT INTO facet_blobs (hash, facet, data, size) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id', [
          hash,
          facet ?? '',
          data,
          size,
        ])
      : await db.get(`INSERT INTO ${table} (hash, data, size) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id`, [
          hash,
          data,
          size,
        ]);
  const row =
    inserted === undefined
      ? readOptionalRow(IdRow, await db.get(`SELECT id FROM ${table} WHERE hash = ?`, [hash]), table)
      : readOptionalRow(IdRow, inserted, table);
  if (!row) throw new StoreError('corrupt', `${table}: blob ${hash} is neither inserted nor found`);
  return row.id;
}

const BlobIdRow = z.object({ id: Int, hash: z.string() });

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
