/**
 * Where the history lives, from the config: a SQLite file (resolved against the config's
 * directory) or a postgresql:// URL with its password read from databasePasswordFile
 * (else PGPASSWORD) and its TLS settings. The password never appears in `shown`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Store } from '../store/index.js';
import { resolveFromConfig, type LoadedConfig } from './load.js';

export interface PostgresConnection {
  password?: string;
  sslMode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  sslCaFile?: string;
  /** See PostgresOptions (src/store/pg-driver.ts): set by `driftd serve` only. */
  queryTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
}

/**
 * What `driftd serve` sets on its store connections (README "Several instances"): a
 * statement unanswered for 60 s fails the run instead of hanging it, and a transaction
 * that a cut-off instance leaves idle for 15 s is ended by the server, so its locks (the
 * lease row, the history lock) go to the other instances.
 */
export const SERVE_TIMEOUTS = { queryTimeoutMs: 60_000, idleInTransactionTimeoutMs: 15_000 } as const;

export type DatabaseTarget =
  { kind: 'sqlite'; target: string; shown: string } | { kind: 'postgres'; target: string; shown: string; postgres: PostgresConnection };

export function isPostgresDatabase(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** The URL with any password replaced by `***`. */
export function redactedDatabase(database: string): string {
  return database.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
}

export function databaseOf(loaded: LoadedConfig): DatabaseTarget {
  const { database, databasePasswordFile, databaseSslMode, databaseSslCaFile } = loaded.config;
  if (!isPostgresDatabase(database)) {
    const file = resolveFromConfig(loaded, database);
    return { kind: 'sqlite', target: file, shown: file };
  }
  const postgres: PostgresConnection = {};
  if (databasePasswordFile !== undefined) {
    const file = resolveFromConfig(loaded, databasePasswordFile);
    try {
      postgres.password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new DatabaseConfigError(
        `${loaded.file}: databasePasswordFile ${file} cannot be read (${err instanceof Error ? err.message : String(err)}); it holds the PostgreSQL password, one line`,
      );
    }
  }
  if (databaseSslMode !== undefined) postgres.sslMode = databaseSslMode;
  if (databaseSslCaFile !== undefined) postgres.sslCaFile = resolveFromConfig(loaded, databaseSslCaFile);
  return { kind: 'postgres', target: database, shown: redactedDatabase(database), postgres };
}

/**
 * Opens the configured store (SQLite file or PostgreSQL). Throws DatabaseConfigError
 * (unreadable password file) or StoreError.
 */
export async function openStoreOf(loaded: LoadedConfig, options: { readonly?: boolean; serve?: boolean } = {}): Promise<Store> {
  const db = databaseOf(loaded);
  const { serve, ...open } = options;
  if (db.kind === 'sqlite') return Store.open(db.target, open);
  return Store.open(db.target, { ...open, postgres: serve ? { ...db.postgres, ...SERVE_TIMEOUTS } : db.postgres });
}

/** False only for a SQLite file that does not exist yet (nothing stored); a PostgreSQL database is asked when opened. */
export function databaseMayHoldHistory(loaded: LoadedConfig): boolean {
  const { database } = loaded.config;
  return isPostgresDatabase(database) || existsSync(resolveFromConfig(loaded, database));
}
