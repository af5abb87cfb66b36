/**
 * SqlDb over one better-sqlite3 connection. Statements are prepared once per connection
 * (saveRun issues the same few for every facet of every node, and compiling SQL each
 * time showed up). A transaction is BEGIN IMMEDIATE ... COMMIT on the connection; while
 * one is open, calls made outside it (another request of the same process) wait for it
 * to end, so they neither see its uncommitted rows nor join it.
 */
import type Database from 'better-sqlite3';
import type { RunResult, SqlDb, SqlValue, TransactionOptions } from './sql.js';

export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();
  /** Settles when the open transaction ends; undefined when none is open. */
  private busy: Promise<void> | undefined;

  /** The snapshot reader's connection, opened on first use (see transaction). */
  private reader: SqliteDb | undefined;

  /**
   * `openReader`: opens a second, read-only connection to the same file. A snapshot
   * transaction (a long read such as the chain walk) then runs there, so it sees one
   * state while this connection's writers go on (WAL readers never block writers).
   * Without it (an in-memory database) the snapshot is a read transaction on this
   * connection, which holds its writers off until it ends.
   */
  constructor(
    readonly connection: Database.Database,
    private readonly openReader?: () => Database.Database,
  ) {}

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `op` once no transaction is open. The check and `op` run in one synchronous step:
   * no other caller can open a transaction between them.
   */
  private async whenIdle<T>(op: () => T): Promise<T> {
    while (this.busy) await this.busy;
    return op();
  }

  allNow(sql: string, params: readonly SqlValue[] = []): unknown[] {
    return this.prepared(sql).all(...params);
  }

  getNow(sql: string, params: readonly SqlValue[] = []): unknown {
    return this.prepared(sql).get(...params);
  }

  runNow(sql: string, params: readonly SqlValue[] = []): Database.RunResult {
    return this.prepared(sql).run(...params);
  }

  async all(sql: string, params?: readonly SqlValue[]): Promise<unknown[]> {
    return this.whenIdle(() => this.allNow(sql, params));
  }

  async get(sql: string, params?: readonly SqlValue[]): Promise<unknown> {
    return this.whenIdle(() => this.getNow(sql, params));
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.whenIdle(() => ({ changes: this.runNow(sql, params).changes }));
  }

  async insert(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.whenIdle(() => Number(this.runNow(sql, params).lastInsertRowid));
  }

  async exec(sql: string): Promise<void> {
    await this.whenIdle(() => this.connection.exec(sql));
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>, options?: TransactionOptions): Promise<T> {
    // The database's one write lock serialises every writer; a snapshot is a read
    // transaction (WAL: one consistent state from its first read, other connections write on).
    if (options?.snapshot && this.openReader) {
      this.reader ??= new SqliteDb(this.openReader());
      return this.reader.transaction(fn, { snapshot: true });
    }
    // Waiting and taking the connection in one synchronous step: two transactions woken by
    // the same end never both begin.
    while (this.busy) await this.busy;
    let done!: () => void;
    this.busy = new Promise((resolve) => (done = resolve));
    try {
      this.connection.exec(options?.snapshot ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE');
      try {
        const result = await fn(new SqliteTransaction(this));
        this.connection.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.busy = undefined;
      done();
    }
  }

  async schemaVersion(): Promise<number> {
    return this.whenIdle(() => this.connection.pragma('user_version', { simple: true }) as number);
  }

  async setSchemaVersion(version: number): Promise<void> {
    // Inside the migration's transaction: user_version lives in the file header and rolls back with it.
    this.connection.pragma(`user_version = ${Math.trunc(version)}`);
  }

  async close(): Promise<void> {
    await this.reader?.close();
    this.reader = undefined;
    if (this.connection.open) this.connection.close();
  }
}

/** The open transaction's view of the connection: runs at once, never waits for itself. */
class SqliteTransaction implements SqlDb {
  readonly dialect = 'sqlite';
  constructor(private readonly db: SqliteDb) {}

  async all(sql: string, params?: readonly SqlValue[]): Promise<unknown[]> {
    return this.db.allNow(sql, params);
  }

  async get(sql: string, params?: readonly SqlValue[]): Promise<unknown> {
    return this.db.getNow(sql, params);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return { changes: this.db.runNow(sql, params).changes };
  }

  async insert(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return Number(this.db.runNow(sql, params).lastInsertRowid);
  }

  async exec(sql: string): Promise<void> {
    this.db.connection.exec(sql);
  }

  transaction<T>(): Promise<T> {
    return Promise.reject(new Error('transactions do not nest: use the transaction you are in'));
  }

  async schemaVersion(): Promise<number> {
    return this.db.connection.pragma('user_version', { simple: true }) as number;
  }

  async setSchemaVersion(version: number): Promise<void> {
    await this.db.setSchemaVersion(version);
  }

  async close(): Promise<void> {
    // The transaction does not own the connection.
  }
}
