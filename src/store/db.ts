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

export type { Db } from './types.js';
type Db = Database.Database;

export interface OpenOptions {
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** For tests of the migration path; production always uses MIGRATIONS. */
  migrations?: readonly Migration[];
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:' && !existsSync(dirname(path))) {
    throw new StoreError(
      'open-failed',
      `cannot open database ${path}: directory ${dirname(path)} does not exist`,
    );
  }
  let db: Db;
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
    migrate(db, path, options.migrations ?? MIGRATIONS, options.readonly ?? false);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError('open-failed', `cannot open database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
