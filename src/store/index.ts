/**
 * The history store: one SQLite file per driftd installation (the default), or one
 * PostgreSQL database (`database: postgresql://...`). Both run the same logic over the
 * SqlDb interface (sql.ts); every method is async. The daemon writes runs; the CLI,
 * HTTP API and reports read them. See db.ts for SQLite's pragmas and durability,
 * pg-driver.ts for PostgreSQL's connection,
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
import { verifyChain, type ChainVerdict, type VerifyOptions } from './chain.js';
import { knowsNode, openDatabase, type OpenOptions as SqliteOpenOptions } from './db.js';
import { copyTables, type CopyResult } from './copy.js';
import { StoreError } from './errors.js';
import type { PostgresOptions } from './pg-driver.js';
import type { SqliteDb } from './sqlite-driver.js';
import type { Db } from './types.js';
import { queryEpisodes, type EpisodeQuery, type FindingEpisode } from './findings.js';
import { migrate, MIGRATIONS, schemaVersion } from './migrations.js';
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
  type SaveRunOptions,
} from './runs.js';
import { assembleSnapshot, effectiveSnapshotRows, snapshotAt } from './snapshots.js';
import { bytesByTable, stats, type StoreStats } from './stats.js';
import { WindowStore } from './windows.js';

export interface OpenOptions extends SqliteOpenOptions {
  /** Connection options when the target is a postgresql:// URL (password, TLS). */
  postgres?: PostgresOptions;
}

export type StoreBackend = 'sqlite' | 'postgres';

/** True when `target` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresTarget(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

export class Store {
  private constructor(
    /** The SQLite path, or the PostgreSQL URL without password: safe to show. */
    readonly path: string,
    private readonly db: Db,
    /** The SQLite connection, for its own features; undefined on PostgreSQL. */
    private readonly sqlite: SqliteDb | undefined,
  ) {}

  private windowTables: WindowStore | undefined;

  /**
   * Opens (creating if needed) and migrates the database: a SQLite file path, or a
   * postgresql:// URL (node-postgres is loaded only then). Throws StoreError.
   */
  static async open(target: string, options: OpenOptions = {}): Promise<Store> {
    if (!isPostgresTarget(target)) {
      const db = await openDatabase(target, options);
      return new Store(target, db, db);
    }
    const { openPostgres } = await import('./pg-driver.js');
    const db = await openPostgres(target, { ...options.postgres, readonly: options.readonly ?? false });
    try {
      await migrate(db, db.shown, options.migrations ?? MIGRATIONS, options.readonly ?? false);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    return new Store(db.shown, db, undefined);
  }

  get backend(): StoreBackend {
    return this.db.dialect === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** The maintenance-window tables, over this store's connection. */
  windows(): WindowStore {
    this.windowTables ??= new WindowStore(this.db);
    return this.windowTables;
  }

  async schemaVersion(): Promise<number> {
    return schemaVersion(this.db);
  }

  async saveRun(input: SaveRunInput, options: SaveRunOptions = {}): Promise<RunRecord> {
    return saveRun(this.db, input, options);
  }

  async latestRun(cluster: string): Promise<RunRecord | null> {
    const row = await latestRunRow(this.db, cluster);
    return row ? toRunRecord(row) : null;
  }

  async run(id: number): Promise<RunRecord | null> {
    const row = await runRow(this.db, id);
    return row ? toRunRecord(row) : null;
  }

  async runs(query: RunQuery = {}): Promise<RunRecord[]> {
    return (await queryRunRows(this.db, query)).map(toRunRecord);
  }

  /** The snapshots of a run, reassembled (nodes sorted by name). */
  async snapshotsOfRun(runId: number): Promise<NodeSnapshot[]> {
    const row = await runRow(this.db, runId);
    if (!row) return [];
    // A thinned node comes back as its previous kept snapshot: same content, its own takenAt.
    const snapshots: NodeSnapshot[] = [];
    for (const r of await effectiveSnapshotRows(this.db, row)) snapshots.push(await assembleSnapshot(this.db, r));
    return snapshots;
  }

  /** The snapshots of the cluster's latest run (for `driftd check --stored`). */
  async latestSnapshots(cluster: string): Promise<NodeSnapshot[]> {
    const row = await latestRunRow(this.db, cluster);
    return row ? this.snapshotsOfRun(row.id) : [];
  }

  /** The node's last snapshot taken at or before `at` (default: the latest). */
  async snapshotOf(node: string, at?: string, cluster?: string): Promise<NodeSnapshot | null> {
    return snapshotAt(this.db, node, at, cluster);
  }

  /** The CheckReport recorded with a run. */
  /** The cluster's latest run with the report it recorded (the run row read once). */
  async latestReport(cluster: string): Promise<{ run: RunRecord; report: CheckReport } | null> {
    const row = await latestRunRow(this.db, cluster);
    return row ? { run: toRunRecord(row), report: await reportOfRun(this.db, row) } : null;
  }

  async reportOf(runId: number): Promise<CheckReport | null> {
    const row = await runRow(this.db, runId);
    return row ? reportOfRun(this.db, row) : null;
  }

  async findingEpisodes(query: EpisodeQuery = {}): Promise<FindingEpisode[]> {
    return queryEpisodes(this.db, query);
  }

  async changes(query: ChangeQuery = {}): Promise<NodeChange[]> {
    return queryChanges(this.db, query);
  }

  async readinessHistory(cluster: string, since?: string, until?: string): Promise<ReadinessPoint[]> {
    return readinessHistory(this.db, { cluster, since, until });
  }

  /** Every cluster's evidence chain, or one cluster's (chain.ts). */
  async verifyChain(options: VerifyOptions = {}): Promise<ChainVerdict> {
    return verifyChain(this.db, options);
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    return prune(this.db, options);
  }

  /** The SQLite connection, or a `not-applicable` StoreError naming the SQLite-only feature. */
  private sqliteOnly(feature: string): SqliteDb {
    if (this.sqlite) return this.sqlite;
    throw new StoreError('not-applicable', `${feature} is a SQLite feature: not applicable on PostgreSQL (${this.path})`);
  }

  /** The connection's effective pragmas (for `driftd doctor` and tests). SQLite only. */
  settings(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'; foreignKeys: boolean; busyTimeoutMs: number } {
    const db = this.sqliteOnly('settings (pragmas)').connection;
    const synchronous = (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[db.pragma('synchronous', { simple: true }) as number] ?? 'FULL';
    return {
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous,
      foreignKeys: db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  /**
   * Gives the pages freed by prune() back to the file system. Rewrites the whole file
   * and takes the write lock meanwhile, so call it from maintenance, not every tick.
   * SQLite only (PostgreSQL's autovacuum does this on its own).
   */
  async vacuum(): Promise<{ bytesBefore: number; bytesAfter: number }> {
    const db = this.sqliteOnly('VACUUM');
    const bytesBefore = (await stats(db, db.connection)).bytes;
    await db.exec('VACUUM');
    return { bytesBefore, bytesAfter: (await stats(db, db.connection)).bytes };
  }

  async stats(): Promise<StoreStats> {
    return stats(this.db, this.sqlite?.connection);
  }

  /** Bytes per table and index (SQLite's dbstat), for size accounting. SQLite only. */
  bytesByTable(): Record<string, number> {
    return bytesByTable(this.sqliteOnly('bytes by table (dbstat)').connection);
  }

  /**
   * Copies this store's whole history, ids and hashes as they are, into `target`, which
   * must hold no run yet (e.g. a SQLite file into a new PostgreSQL database), then
   * verifies the copy's evidence chain. The target is written in one transaction.
   */
  async copyTo(target: Store): Promise<CopyResult & { verdict: ChainVerdict }> {
    const result = await copyTables(this.db, target.db, target.path);
    return { ...result, verdict: await target.verifyChain() };
  }

  /** True when any run ever stored a snapshot of a node by this name (any cluster). */
  async knowsNode(node: string): Promise<boolean> {
    return knowsNode(this.db, node);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export { StoreError, type StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
export type { SaveRunInput, SaveRunOptions, RunRecord, RunQuery, ReadinessPoint } from './runs.js';
export type { FindingEpisode, EpisodeQuery } from './findings.js';
export type { NodeChange, ChangeQuery } from './changes.js';
export type { ChainBreak, ChainVerdict, VerifyOptions } from './chain.js';
export type { CopyResult } from './copy.js';
export type { PruneOptions, PruneResult } from './retention.js';
export type { StoreStats, StoreTable } from './stats.js';
