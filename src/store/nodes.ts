/**
 * Nodes interned once: per-run rows refer to (cluster, node) by a small integer
 * instead of repeating both names. Rows are never deleted, so an id stays valid.
 */
import type { Db } from './types.js';
import { statement } from './statements.js';
import { IdRow, readOptionalRow } from './rows.js';

export function nodeIdOf(db: Db, cluster: string, node: string): number | undefined {
  return readOptionalRow(IdRow, statement(db, 'SELECT id FROM nodes WHERE cluster = ? AND node = ?').get(cluster, node), 'nodes')?.id;
}

/** The node's id, inserting it on first sight (inside the caller's transaction). */
export function internNode(db: Db, cluster: string, node: string): number {
  const id = nodeIdOf(db, cluster, node);
  if (id !== undefined) return id;
  return Number(statement(db, 'INSERT INTO nodes (cluster, node) VALUES (?, ?)').run(cluster, node).lastInsertRowid);
}
