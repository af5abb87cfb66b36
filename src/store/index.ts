/**
 * The history store: one SQLite file per driftd installation. The daemon writes runs;
 * the CLI, HTTP API and reports read them. See db.ts for pragmas and durability,
 * migrations.ts for the tables, chain.ts for the evidence chain, retention.ts for
 * thinning.
 *
 * Times: time columns hold Date#toISOString() (UTC, ms), except the two written for
 * every node of every run, node_snapshots.taken_at and node_scores.snapshot_at, which
 * hold epoch milliseconds (migrations.ts, v3); every API takes and returns ISO text.
 * A run's moment for episodes (first_seen, last_seen, resolved_at) and readiness
 * history is its startedAt; a change's moment is the snapshot's takenAt.
 */
import type { CheckReport } from '../core/check-report.js';
import type { NodeSnapshot } from '../core/snapshot.js';
import { queryChanges, type ChangeQuery, type NodeChange } from './changes.js';
import { verifyChain, type ChainVerdict } from './chain.js';
import { knowsNode, openDatabase, type OpenOptions } from './db.js';
import type { Db } from './types.js';
import { queryEpisodes, type EpisodeQuery, type FindingEpisode } from './findings.js';
import { schemaVersion } from './migrations.js';
import { prune, type PruneOptions, type PruneResult } from './retention.js';
import {
  latestRunRow,
  queryRunRows,
  readinessHistory,
  reportOfRun,
  runRow,
  saveRun,
  toRunRecord,
  type ReadinessPoint,
  type RunQuery,
  type RunRecord,
  type SaveRunInput,
} from './runs.js';
import { assembleSnapshot, effectiveSnapshotRows, snapshotAt } from './snapshots.js';
import { bytesByTable, stats, type StoreStats } from './stats.js';
import { WindowStore } from './windows.js';

export class Store {
  private constructor(
    readonly path: string,
    private readonly db: Db,
  ) {}

  private windowTables: WindowStore | undefined;

  /** Opens (creating if needed) and migrates the database. Throws StoreError. */
  static open(path: string, options: OpenOptions = {}): Store {
    return new Store(path, openDatabase(path, options));
  }

  /** The maintenance-window tables, over this store's connection. */
  windows(): WindowStore {
    this.windowTables ??= new WindowStore(this.db);
    return this.windowTables;
  }

  get schemaVersion(): number {
    return schemaVersion(this.db);
  }

  saveRun(input: SaveRunInput): RunRecord {
    return saveRun(this.db, input);
  }

  latestRun(cluster: string): RunRecord | null {
    const row = latestRunRow(this.db, cluster);
    return row ? toRunRecord(row) : null;
  }

  run(id: number): RunRecord | null {
    const row = runRow(this.db, id);
    return row ? toRunRecord(row) : null;
  }

  runs(query: RunQuery = {}): RunRecord[] {
    return queryRunRows(this.db, query).map(toRunRecord);
  }

  /** The snapshots of a run, reassembled (nodes sorted by name). */
  snapshotsOfRun(runId: number): NodeSnapshot[] {
    const row = runRow(this.db, runId);
    if (!row) return [];
    // A thinned node comes back as its previous kept snapshot: same content, its own takenAt.
    return effectiveSnapshotRows(this.db, row).map((r) => assembleSnapshot(this.db, r));
  }

  /** The snapshots of the cluster's latest run (for `driftd check --stored`). */
  latestSnapshots(cluster: string): NodeSnapshot[] {
    const row = latestRunRow(this.db, cluster);
    return row ? this.snapshotsOfRun(row.id) : [];
  }

  /** The node's last snapshot taken at or before `at` (default: the latest). */
  snapshotOf(node: string, at?: string, cluster?: string): NodeSnapshot | null {
    return snapshotAt(this.db, node, at, cluster);
  }

  /** The CheckReport recorded with a run. */
  reportOf(runId: number): CheckReport | null {
    const row = runRow(this.db, runId);
    return row ? reportOfRun(this.db, row) : null;
  }

  findingEpisodes(query: EpisodeQuery = {}): FindingEpisode[] {
    return queryEpisodes(this.db, query);
  }

  changes(query: ChangeQuery = {}): NodeChange[] {
    return queryChanges(this.db, query);
  }

  readinessHistory(cluster: string, since?: string, until?: string): ReadinessPoint[] {
    return readinessHistory(this.db, { cluster, since, until });
  }

  verifyChain(): ChainVerdict {
    return verifyChain(this.db);
  }

  prune(options: PruneOptions): PruneResult {
    return prune(this.db, options);
  }

  /** The connection's effective pragmas (for `driftd doctor` and tests). */
  settings(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'; foreignKeys: boolean; busyTimeoutMs: number } {
    const synchronous = (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[this.db.pragma('synchronous', { simple: true }) as number] ?? 'FULL';
    return {
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous,
      foreignKeys: this.db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: this.db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  /**
   * Gives the pages freed by prune() back to the file system. Rewrites the whole file
   * and takes the write lock meanwhile, so call it from maintenance, not every tick.
   */
  vacuum(): { bytesBefore: number; bytesAfter: number } {
    const bytesBefore = stats(this.db).bytes;
    this.db.exec('VACUUM');
    return { bytesBefore, bytesAfter: stats(this.db).bytes };
  }

  stats(): StoreStats {
    return stats(this.db);
  }

  /** Bytes per table and index (SQLite's dbstat), for size accounting. */
  bytesByTable(): Record<string, number> {
    return bytesByTable(this.db);
  }

  /** True when any run ever stored a snapshot of a node by this name (any cluster). */
  knowsNode(node: string): boolean {
    return knowsNode(this.db, node);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export { StoreError, type StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
export type { OpenOptions } from './db.js';
export type { SaveRunInput, RunRecord, RunQuery, ReadinessPoint } from './runs.js';
export type { FindingEpisode, EpisodeQuery } from './findings.js';
export type { NodeChange, ChangeQuery } from './changes.js';
export type { ChainVerdict } from './chain.js';
export type { PruneOptions, PruneResult } from './retention.js';
export type { StoreStats, StoreTable } from './stats.js';
