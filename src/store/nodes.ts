/**
 * Nodes interned once: per-run rows refer to (cluster, node) by a small integer
 * instead of repeating both names. Rows are never deleted, so an id stays valid.
 */
import type { Db } from './types.js';
import { IdRow, readOptionalRow } from './rows.js';

export async function nodeIdOf(db: Db, cluster: string, node: string): Promise<number | undefined> {
  return readOptionalRow(IdRow, await db.get('SELECT id FROM nodes WHERE cluster = ? AND node = ?', [cluster, node]), 'nodes')?.id;
}

/** The node's id, inserting it on first sight (inside the caller's transaction). */
export async function internNode(db: Db, cluster: string, node: string): Promise<number> {
  const id = await nodeIdOf(db, cluster, node);
  if (id !== undefined) return id;
  return db.insert('INSERT INTO nodes (cluster, node) VALUES (?, ?)', [cluster, node]);
}
