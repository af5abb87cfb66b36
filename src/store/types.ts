/**
 * Types shared by the store's modules, with no imports of their own modules: every file
 * of src/store can depend on this leaf, so the store's files layer without a cycle.
 */
import type { SqlDb } from './sql.js';

/** The store's connection: SQLite or PostgreSQL behind one async interface (sql.ts). */
export type Db = SqlDb;

/** One node's score row of a run, as stored and as hashed into the evidence chain. */
export interface NodeScoreRow {
  node: string;
  reachable: number;
  ready: number;
  score: number;
  detail: string;
}

/**
 * The history lock. prune, migrations and copy take it exclusively; saveRun takes it
 * shared, plus its cluster's own lock for the chain link (runs.ts), so runs of different
 * clusters are stored side by side on PostgreSQL while prune waits for them all.
 */
export const HISTORY_LOCK = 'driftd:history';
