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

  constructor(readonly connection: Database.Database) {}

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private async idle(): Promise<void> {
    while (this.busy) await this.busy;
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
    await this.idle();
    return this.allNow(sql, params);
  }

  async get(sql: string, params?: readonly SqlValue[]): Promise<unknown> {
    await this.idle();
    return this.getNow(sql, params);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    await this.idle();
    return { changes: this.runNow(sql, params).changes };
  }

  async insert(sql: string, params?: readonly SqlValue[]): Promise<number> {
    await this.idle();
    return Number(this.runNow(sql, params).lastInsertRowid);
  }

  async exec(sql: string): Promise<void> {
    await this.idle();
    this.connection.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>, options?: TransactionOptions): Promise<T> {
    // The database's one write lock serialises every writer; a snapshot is a read
    // transaction (WAL: one consistent state from its first read, other connections write on).
    await this.idle();
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
    await this.idle();
    return this.connection.pragma('user_version', { simple: true }) as number;
  }

  async setSchemaVersion(version: number): Promise<void> {
    // Inside the migration's transaction: user_version lives in the file header and rolls back with it.
    this.connection.pragma(`user_version = ${Math.trunc(version)}`);
  }

  async close(): Promise<void> {
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
