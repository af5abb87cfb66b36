/**
 * The one seam between the store's logic and a database: every query of src/store is
 * written once, in SQLite's SQL with `?` placeholders, and runs through this interface.
 * Two drivers implement it: sqlite-driver.ts (better-sqlite3, the embedded default) and
 * pg-driver.ts (node-postgres). The few dialect differences live here, in one place:
 *
 * - placeholders: `?` becomes `$1, $2, ...` for PostgreSQL (postgresPlaceholders);
 * - schema text: INTEGER PRIMARY KEY, INTEGER, REAL, BLOB, TEXT, WITHOUT ROWID and the
 *   untyped node_scores.snapshot_at column are translated for PostgreSQL (postgresDdl);
 * - new row ids: `insert()` returns SQLite's lastInsertRowid or PostgreSQL's `RETURNING id`;
 * - the schema version: SQLite's `PRAGMA user_version`, a one-row table on PostgreSQL;
 * - unique-constraint violations (isUniqueViolation).
 */

/** What a query binds: SQLite and PostgreSQL both take these as they are. */
export type SqlValue = string | number | bigint | Buffer | null;

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** The first half of a cluster lock's two-int advisory key: hashtext(CHAIN_LOCK_SPACE). */
export const CHAIN_LOCK_SPACE = 'driftd:chain';

/**
 * A transaction's locks (see SqlDb.transaction). On PostgreSQL they are transaction-scoped
 * advisory locks, taken in this order (lock, shared, cluster) so that two transactions
 * never wait on each other crosswise:
 * - `lock`: exclusive, on hashtext(lock) (one bigint key);
 * - `shared`: shared, on the same key as `lock` with that name: transactions holding it
 *   run side by side, and all of them wait for (and hold off) an exclusive holder;
 * - `cluster`: exclusive, on the two-int key (hashtext('driftd:chain'), hashtext(cluster)),
 *   a key space of its own (PostgreSQL keeps one-bigint and two-int keys apart), so a
 *   cluster's lock never collides with the named locks above nor with src/fleet's.
 * SQLite has one writer at a time (BEGIN IMMEDIATE) and needs none of them.
 *
 * `snapshot`: a read-only transaction that sees one consistent state of the database
 * while others write (PostgreSQL: REPEATABLE READ READ ONLY; SQLite: a deferred read
 * transaction, which in WAL mode reads one snapshot), with no lock taken.
 */
export interface TransactionOptions {
  lock?: string;
  shared?: string;
  cluster?: string;
  snapshot?: boolean;
}

/**
 * A connection (or a pool) as the store's logic sees it. Every call is async; on SQLite
 * the work is done synchronously and the promise is already settled.
 */
export interface SqlDb {
  readonly dialect: Dialect;
  all(sql: string, params?: readonly SqlValue[]): Promise<unknown[]>;
  /** The first row, or undefined. */
  get(sql: string, params?: readonly SqlValue[]): Promise<unknown>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /** An INSERT into a table with an `id INTEGER PRIMARY KEY`: the new row's id. */
  insert(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Several statements, no parameters (schema steps). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction on one connection; commits when it resolves, rolls back
   * when it throws. The locks serialise writers that must not interleave (a cluster's
   * evidence-chain link; prune and migrations against every writer): SQLite takes the
   * database's write lock up front (BEGIN IMMEDIATE), PostgreSQL the transaction-scoped
   * advisory locks of TransactionOptions. Transactions do not nest: `fn` uses the `tx`
   * it is given, not this object.
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** The schema version the database records (0 when it has none). */
  schemaVersion(): Promise<number>;
  /** Records the schema version (inside the migration's transaction). */
  setSchemaVersion(version: number): Promise<void>;
  close(): Promise<void>;
}

/** `?` placeholders (outside quoted text) as PostgreSQL's `$1, $2, ...`. */
export function postgresPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      n += 1;
      out += `$${n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Schema text written for SQLite, as PostgreSQL takes it. Integers are 64-bit (epoch
 * milliseconds do not fit 32 bits), ids are identity columns that still accept explicit
 * values (runs.id is chosen by saveRun), text compares byte-wise (COLLATE "C", as
 * SQLite's BINARY does) so every ORDER BY gives the same order on both stores, and the
 * untyped snapshot_at (epoch ms or ISO text) is text that scores.ts reads back.
 */
export function postgresDdl(sql: string): string {
  return (
    sql
      .replace(/--[^\n]*/g, '')
      .replace(/\bINTEGER\s+PRIMARY\s+KEY\b/gi, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
      .replace(/\bINTEGER\b/g, 'BIGINT')
      .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
      .replace(/\bBLOB\b/g, 'BYTEA')
      .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
      .replace(/\)\s*WITHOUT\s+ROWID/gi, ')')
      .replace(/\bsnapshot_at,/g, 'snapshot_at TEXT COLLATE "C",')
      // A renamed table keeps its primary key's index and id sequence names, which the
      // table created in its place wants: rename them along.
      .replace(
        /ALTER TABLE (\w+) RENAME TO (\w+);/g,
        'ALTER TABLE $1 RENAME TO $2; ALTER INDEX IF EXISTS $1_pkey RENAME TO $2_pkey; ALTER SEQUENCE IF EXISTS $1_id_seq RENAME TO $2_id_seq;',
      )
  );
}

/** True when `error` is a UNIQUE constraint violation, on either store. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || (typeof message === 'string' && /UNIQUE constraint failed/.test(message))
  );
}
