/**
 * Opening the SQLite file: pragmas, then migrations.
 *
 * journal_mode=WAL: readers (CLI, HTTP API) never block the daemon's writer.
 * synchronous=NORMAL (default): in WAL mode SQLite syncs the WAL at each checkpoint,
 * not at each commit. A killed process loses nothing that was committed (the WAL pages
 * are already in the OS page cache) and the file can never be corrupted; only an
 * OS crash or power loss may roll back the last few commits, which leaves an older but
 * consistent database whose evidence chain still verifies. A lost run is collected
 * again on the next tick, so we take the cheaper fsync policy. `FULL` is available for
 * those who want every commit on disk before saveRun returns.
 * foreign_keys=ON: SQLite leaves it off per connection by default.
 * busy_timeout: the CLI and the daemon may write the same file; wait instead of failing.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import { migrate, MIGRATIONS, type Migration } from './migrations.js';
import { SqliteDb } from './sqlite-driver.js';
import type { Db } from './types.js';

export type { Db } from './types.js';

export interface OpenOptions {
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** For tests of the migration path; production always uses MIGRATIONS. */
  migrations?: readonly Migration[];
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export async function openDatabase(path: string, options: OpenOptions = {}): Promise<SqliteDb> {
  if (path !== ':memory:' && !existsSync(dirname(path))) {
    throw new StoreError('open-failed', `cannot open database ${path}: directory ${dirname(path)} does not exist`);
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new StoreError('open-failed', `cannot open database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // A second, read-only connection for snapshot reads (the chain walk), opened on first use.
    const reader =
      path === ':memory:' || options.readonly
        ? undefined
        : (): Database.Database => {
            const connection = new Database(path, { readonly: true, fileMustExist: true });
            connection.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
            return connection;
          };
    const sql = new SqliteDb(db, reader);
    await migrate(sql, path, options.migrations ?? MIGRATIONS, options.readonly ?? false);
    return sql;
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError('open-failed', `cannot open database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** True when the nodes table has a node by this name (in any cluster). */
export async function knowsNode(db: Db, node: string): Promise<boolean> {
  return (await db.get('SELECT 1 AS known FROM nodes WHERE node = ? LIMIT 1', [node])) !== undefined;
}

/**
 * One `driftd serve` per database. The lock is SQLite's own: an exclusive transaction
 * held, for the daemon's whole life, on a small SQLite file next to the database
 * (`<database>.serve-lock`). SQLite takes it with POSIX advisory locks, which the kernel
 * drops when the process dies however it dies (SIGKILL, crash, OOM), so a stale lock
 * never blocks a restart. The CLI's own readers and writers (`check --stored`, `history`,
 * `window`) do not take it; only a second daemon is refused.
 */
export interface InstanceLock {
  readonly file: string;
  release(): void;
}

export function acquireInstanceLock(databasePath: string): InstanceLock {
  const file = `${databasePath}.serve-lock`;
  let lock: Database.Database;
  try {
    lock = new Database(file);
  } catch (error) {
    throw new StoreError('open-failed', `cannot create the lock file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    lock.pragma('busy_timeout = 0');
    lock.pragma('journal_mode = DELETE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since TEXT)');
    lock.exec('BEGIN EXCLUSIVE');
    lock.prepare('DELETE FROM holder').run();
    lock.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
  } catch (error) {
    lock.close();
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new StoreError(
        'open-failed',
        `another driftd serve is already using the database ${databasePath} (it holds ${file}); ` +
          'stop it first, or give this one its own database. Two daemons on one file would both collect and store every run.',
      );
    }
    throw new StoreError('open-failed', `cannot lock ${file}: ${(error as Error).message}`, { cause: error });
  }
  return {
    file,
    release() {
      if (!lock.open) return;
      try {
        lock.exec('ROLLBACK');
      } finally {
        lock.close();
      }
    },
  };
}
