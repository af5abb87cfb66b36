/**
 * Types shared by the store's modules, with no imports of their own modules: every file
 * of src/store can depend on this leaf, so the store's files layer without a cycle.
 */
import type Database from 'better-sqlite3';

export type Db = Database.Database;

/** One node's score row of a run, as stored and as hashed into the evidence chain. */
export interface NodeScoreRow {
  node: string;
  reachable: number;
  ready: number;
  score: number;
  detail: string;
}
