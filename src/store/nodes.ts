/**
 * Nodes interned once: per-run rows refer to (cluster, node) by a small integer
 * instead of repeating both names. Rows are never deleted, so an id stays valid.
 */
import { z } from 'zod';
import { chunks, sqlList } from './statements.js';
import type { Db } from './types.js';
import { IdRow, Int, readOptionalRow, readRows } from './rows.js';

export async function nodeIdOf(db: Db, cluster: string, node: string): Promise<number | undefined> {
  return readOptionalRow(IdRow, await db.get('SELECT id FROM nodes WHERE cluster = ? AND node = ?', [cluster, node]), 'nodes')?.id;
}

const NodeIdRow = z.object({ id: Int, node: z.string() });

/**
 * The ids of a cluster's nodes, inserting those seen for the first time (inside the
 * caller's transaction): one lookup and at most one multi-row INSERT per
 * ROWS_PER_STATEMENT nodes. `fresh`: the nodes inserted now, which have no history yet.
 */
export async function internNodes(
  db: Db,
  cluster: string,
  nodes: readonly string[],
): Promise<{ ids: Map<string, number>; fresh: Set<string> }> {
  const ids = new Map<string, number>();
  for (const page of chunks([...new Set(nodes)])) {
    const rows = await db.all(`SELECT id, node FROM nodes WHERE cluster = ? AND node IN (${sqlList(page.length)})`, [cluster, ...page]);
    for (const row of readRows(NodeIdRow, rows, 'nodes')) ids.set(row.node, row.id);
  }
  const fresh = new Set(nodes.filter((n) => !ids.has(n)));
  for (const page of chunks([...fresh])) {
    const rows = await db.all(
      `INSERT INTO nodes (cluster, node) VALUES ${sqlList(page.length, '(?, ?)')} RETURNING id, node`,
      page.flatMap((node) => [cluster, node]),
    );
    for (const row of readRows(NodeIdRow, rows, 'nodes')) ids.set(row.node, row.id);
  }
  return { ids, fresh };
}
