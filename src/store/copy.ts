/**
 * Copies a whole history (every table, row for row, ids kept) from one store into an
 * empty one, typically an existing SQLite file into a new PostgreSQL database. Nothing is
 * recomputed: the rows the evidence chain hashes are copied as they are, so the copy
 * verifies exactly when the source does (Store.copyTo verifies the copy afterwards).
 * The target is written in one transaction: a failure leaves it empty.
 */
import { StoreError } from './errors.js';
import { readRow } from './rows.js';
import { z } from 'zod';
import { HISTORY_LOCK, type Db } from './types.js';
import type { SqlValue } from './sql.js';
import { sqlList } from './statements.js';

/** Tables in an order that satisfies every foreign key, each with the key it pages by. */
const TABLES: readonly { name: string; key: string; identity: boolean }[] = [
  { name: 'runs', key: 'id', identity: true },
  { name: 'nodes', key: 'id', identity: true },
  { name: 'facet_blobs', key: 'id', identity: true },
  { name: 'finding_blobs', key: 'id', identity: true },
  { name: 'score_blobs', key: 'id', identity: true },
  { name: 'snapshot_manifests', key: 'id', identity: true },
  { name: 'manifest_facets', key: 'manifest_id, facet', identity: false },
  { name: 'node_snapshots', key: 'run_id, node_id', identity: false },
  { name: 'run_findings', key: 'run_id, finding_id', identity: false },
  { name: 'node_scores', key: 'run_id, node', identity: false },
  { name: 'finding_episodes', key: 'id', identity: true },
  { name: 'node_changes', key: 'id', identity: true },
  { name: 'maintenance_windows', key: 'id', identity: true },
  { name: 'maintenance_window_verifications', key: 'id', identity: true },
  // The chain's rules (chain_per_cluster_from): the source's, not the ones the target's
  // migrations wrote for an empty database (emptied below).
  { name: 'store_settings', key: 'name', identity: false },
];

const PAGE = 500;
const CountRow = z.object({ n: z.number().int() });

export interface CopyResult {
  /** Rows copied per table. */
  rows: Record<string, number>;
}

/** Copies every table of `source` into `target`, which must hold no run yet. */
export async function copyTables(source: Db, target: Db, shownTarget: string): Promise<CopyResult> {
  const rows: Record<string, number> = {};
  await target.transaction(
    async (tx) => {
      const existing = readRow(CountRow, await tx.get('SELECT count(*) AS n FROM runs'), 'runs').n;
      if (existing > 0) {
        throw new StoreError(
          'invalid-input',
          `the target ${shownTarget} already holds ${existing} runs; copy only into an empty database (evidence chains are copied, not merged)`,
        );
      }
      await tx.run('DELETE FROM store_settings');
      for (const table of TABLES) {
        let copied = 0;
        for (let offset = 0; ; offset += PAGE) {
          const page = (await source.all(`SELECT * FROM ${table.name} ORDER BY ${table.key} LIMIT ? OFFSET ?`, [PAGE, offset])) as Record<
            string,
            SqlValue
          >[];
          const first = page[0];
          if (first === undefined) break;
          const columns = Object.keys(first);
          const tuple = `(${sqlList(columns.length)})`;
          await tx.run(
            `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${sqlList(page.length, tuple)}`,
            page.flatMap((row) => columns.map((c) => row[c] ?? null)),
          );
          copied += page.length;
          if (page.length < PAGE) break;
        }
        rows[table.name] = copied;
        // Rows came with their ids: the identity sequence must continue after them.
        if (table.identity && tx.dialect === 'postgres') {
          await tx.get(
            `SELECT setval(pg_get_serial_sequence('${table.name}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM ${table.name}), false) AS v`,
          );
        }
      }
    },
    { lock: HISTORY_LOCK },
  );
  return { rows };
}
