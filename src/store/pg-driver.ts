/**
 * SqlDb over node-postgres (`pg`), loaded only when a `postgresql://` database is
 * opened (dynamic import), so SQLite users and `driftd --version` never load it.
 *
 * The password never travels in the URL: it comes from `database_password_file` or
 * PGPASSWORD, and every message this module writes shows the URL without it
 * (redactUrl). 64-bit integers (epoch milliseconds, counts) come back as JS numbers,
 * as better-sqlite3 returns them. A connection that is refused, dropped or reset turns
 * into a StoreError with code `unavailable`: the caller's operation fails, nothing is
 * half-written (PostgreSQL rolls the transaction back), and the next operation tries a
 * fresh connection.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { ClientBase, Pool, PoolConfig, QueryResult } from 'pg';
import { StoreError } from './errors.js';
import { CHAIN_LOCK_SPACE, postgresPlaceholders, type RunResult, type SqlDb, type SqlValue, type TransactionOptions } from './sql.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** Connections per store; transactions hold at most one fewer (PgDb). */
const POOL_SIZE = 4;

export interface PostgresOptions {
  /** The password, read from database_password_file by the caller; else PGPASSWORD. */
  password?: string;
  sslMode?: SslMode;
  /** A CA bundle (PEM) to verify the server's certificate against. */
  sslCaFile?: string;
  /** Connection attempt limit (ms). */
  connectTimeoutMs?: number;
  /** Sessions refuse every write (default_transaction_read_only), as SQLite's read-only open does. */
  readonly?: boolean;
  /**
   * A statement with no answer after this long fails (client side), and its connection is
   * dropped: a connection that hangs (a firewall dropping packets, a cut-off network) does
   * not block the caller forever. Default: none (a CLI reading a long history may take long).
   */
  queryTimeoutMs?: number;
  /**
   * The server ends a session that sits inside a transaction without a statement for
   * this long (idle_in_transaction_session_timeout): a client cut off mid-transaction
   * releases its row locks (a lease row) and advisory lock (the history) then, not when
   * TCP finally gives up. Default: the server's setting.
   */
  idleInTransactionTimeoutMs?: number;
}

/** True when `target` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The URL as it may be shown: any password replaced by `***`. */
export function redactUrl(target: string): string {
  try {
    const url = new URL(target);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return target.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/** Error codes of a connection that could not be made or was lost (Node's and PostgreSQL's). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01',
  '57P02',
  '57P03',
]);

export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      message,
    )
  );
}

/** The connection settings of a postgresql:// URL (password from options or PGPASSWORD, TLS). Throws StoreError. */
export function poolConfig(target: string, options: PostgresOptions): PoolConfig {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new StoreError(
      'open-failed',
      `database ${redactUrl(target)} is not a valid postgresql:// URL (postgresql://user@host:port/database)`,
    );
  }
  if (url.password !== '') {
    throw new StoreError(
      'open-failed',
      `database ${redactUrl(target)}: do not put the password in the URL (it ends up in configs and logs); use database_password_file or the PGPASSWORD environment variable`,
    );
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const sslMode = options.sslMode ?? (url.searchParams.get('sslmode') as SslMode | null) ?? 'disable';
  let ssl: PoolConfig['ssl'] = false;
  if (sslMode !== 'disable') {
    const ca = options.sslCaFile === undefined ? undefined : readCa(options.sslCaFile);
    ssl =
      sslMode === 'require'
        ? { rejectUnauthorized: false }
        : { rejectUnauthorized: true, ca, ...(sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
  }
  return {
    host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || 'localhost',
    port: url.port === '' ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username) || undefined,
    database: database || undefined,
    password: options.password ?? process.env['PGPASSWORD'],
    ssl,
    max: POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A peer gone without a reset (host lost, cable cut) shows up as a dead socket after
    // 10 s idle plus the kernel's probes (about 11 min on Linux defaults) instead of two
    // hours; queryTimeoutMs is what bounds a statement.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.queryTimeoutMs !== undefined ? { query_timeout: options.queryTimeoutMs } : {}),
    ...(options.idleInTransactionTimeoutMs !== undefined
      ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
      : {}),
    application_name: 'driftd',
    ...(options.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  };
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new StoreError('open-failed', `cannot read the CA file ${file} (databaseSslCaFile): ${(error as Error).message}`);
  }
}

/** Opens a pool and checks it can connect. Throws StoreError. */
export async function openPostgres(target: string, options: PostgresOptions = {}): Promise<PgDb> {
  const config = poolConfig(target, options);
  const pg = (await import('pg')).default;
  // int8 (counts, ids, epoch ms) and numeric (sums) as JS numbers, as better-sqlite3 returns them.
  const asNumber = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
  const parseNumber = (text: string): number => Number(text);
  const defaultParser = pg.types.getTypeParser.bind(pg.types) as (oid: number, format?: 'text' | 'binary') => unknown;
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
      asNumber.has(oid) ? parseNumber : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  // Our own sockets, so that a connection refused during authentication (a missing or
  // wrong password) is closed at once instead of lingering until the server's
  // authentication_timeout and keeping a CLI process alive.
  const sockets = new Set<Socket>();
  const stream = (): Socket => {
    const socket = new Socket();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
  const pool = new pg.Pool({ ...config, types, stream });
  const shown = redactUrl(target);
  // An idle connection that the server drops emits here; without a listener it would crash the process.
  pool.on('error', () => undefined);
  const db = new PgDb(pool, shown, config.max ?? POOL_SIZE);
  try {
    await db.get('SELECT 1 AS ok');
  } catch (error) {
    await pool.end().catch(() => undefined);
    for (const socket of sockets) socket.destroy();
    if (error instanceof StoreError) throw new StoreError('open-failed', error.message, { cause: error });
    throw new StoreError('open-failed', `cannot open PostgreSQL ${shown}: ${(error as Error).message}`, { cause: error });
  }
  return db;
}

/** A short stable name per SQL text: node-postgres prepares it once per connection. */
function statementName(text: string): string {
  return `d${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
}

type Queryable = Pick<ClientBase, 'query'>;

async function query(on: Queryable, shown: string, sql: string, params: readonly SqlValue[] = []): Promise<QueryResult> {
  const text = postgresPlaceholders(sql);
  try {
    return await on.query({ name: statementName(text), text, values: params.map(bindValue) });
  } catch (error) {
    throw wrap(error, shown);
  }
}

/** BigInt travels as its decimal text; the rest as node-postgres binds it. */
function bindValue(value: SqlValue): string | number | Buffer | null {
  return typeof value === 'bigint' ? value.toString() : value;
}

function wrap(error: unknown, shown: string): unknown {
  if (error instanceof StoreError) return error;
  if (isConnectionError(error)) {
    return new StoreError(
      'unavailable',
      `PostgreSQL ${shown} is unreachable or dropped the connection (${(error as Error).message}); nothing of this operation was written, check the server and the network`,
      { cause: error },
    );
  }
  return error;
}

export class PgDb implements SqlDb {
  readonly dialect = 'postgres';
  constructor(
    private readonly pool: Pool,
    /** The URL without password, for messages. */
    readonly shown: string,
    /** The pool's size: transactions may hold all but one connection. */
    poolSize: number,
  ) {
    this.slotsFree = Math.max(1, poolSize - 1);
  }

  async all(sql: string, params?: readonly SqlValue[]): Promise<unknown[]> {
    return (await query(this.pool, this.shown, sql, params)).rows as unknown[];
  }

  async get(sql: string, params?: readonly SqlValue[]): Promise<unknown> {
    return (await query(this.pool, this.shown, sql, params)).rows[0];
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return { changes: (await query(this.pool, this.shown, sql, params)).rowCount ?? 0 };
  }

  async insert(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return insertedId(await query(this.pool, this.shown, `${sql} RETURNING id`, params));
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (error) {
      throw wrap(error, this.shown);
    }
  }

  /**
   * Transactions wait in this process, not on a pooled connection: those that take the
   * same advisory lock (the history lock exclusively, or one cluster's chain lock) queue
   * per lock, and at most `slots` transactions hold a connection at once, one fewer than
   * the pool has, so reads always find one. Waiting on a lock while holding a connection
   * starved the pool (4 connections) when a fleet's clusters finished together, and
   * pg-pool fails a checkout that waits longer than the connect timeout ("timeout exceeded
   * when trying to connect") although PostgreSQL was fine. Other processes still wait on
   * the locks themselves.
   */
  private readonly lockQueues = new Map<string, Promise<void>>();
  private slotsFree: number;
  private readonly slotWaiters: (() => void)[] = [];

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const key = options.lock ?? (options.cluster === undefined ? undefined : `cluster:${options.cluster}`);
    if (key === undefined) return this.inSlot(() => this.runTransaction(fn, options));
    const before = this.lockQueues.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.lockQueues.set(key, tail);
    await before;
    try {
      return await this.inSlot(() => this.runTransaction(fn, options));
    } finally {
      release();
      if (this.lockQueues.get(key) === tail) this.lockQueues.delete(key);
    }
  }

  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.slotsFree > 0) this.slotsFree -= 1;
    else await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.slotWaiters.shift();
      if (next) next();
      else this.slotsFree += 1;
    }
  }

  private async runTransaction<T>(fn: (tx: SqlDb) => Promise<T>, options: TransactionOptions): Promise<T> {
    let client;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw wrap(error, this.shown);
    }
    let broken: unknown;
    // A checked-out connection has no listener of the pool's: a reset between two
    // statements would emit 'error' unhandled and end the process. The next statement
    // fails instead (a connection error), the transaction rolls back with it.
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await query(client, this.shown, options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      // Held until COMMIT or ROLLBACK, released by the server if this connection dies.
      if (options.lock !== undefined) await query(client, this.shown, 'SELECT pg_advisory_xact_lock(hashtext(?))', [options.lock]);
      if (options.shared !== undefined) {
        await query(client, this.shown, 'SELECT pg_advisory_xact_lock_shared(hashtext(?))', [options.shared]);
      }
      if (options.cluster !== undefined) {
        await query(client, this.shown, `SELECT pg_advisory_xact_lock(hashtext('${CHAIN_LOCK_SPACE}'), hashtext(?))`, [options.cluster]);
      }
      const result = await fn(new PgTransaction(client, this.shown));
      await query(client, this.shown, 'COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw wrap(error, this.shown);
    } finally {
      client.removeListener('error', onError);
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async schemaVersion(): Promise<number> {
    return schemaVersionOn(this);
  }

  async setSchemaVersion(version: number): Promise<void> {
    await setSchemaVersionOn(this, version);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class PgTransaction implements SqlDb {
  readonly dialect = 'postgres';
  constructor(
    private readonly client: ClientBase,
    private readonly shown: string,
  ) {}

  async all(sql: string, params?: readonly SqlValue[]): Promise<unknown[]> {
    return (await query(this.client, this.shown, sql, params)).rows as unknown[];
  }

  async get(sql: string, params?: readonly SqlValue[]): Promise<unknown> {
    return (await query(this.client, this.shown, sql, params)).rows[0];
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return { changes: (await query(this.client, this.shown, sql, params)).rowCount ?? 0 };
  }

  async insert(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return insertedId(await query(this.client, this.shown, `${sql} RETURNING id`, params));
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.client.query(sql);
    } catch (error) {
      throw wrap(error, this.shown);
    }
  }

  transaction<T>(): Promise<T> {
    return Promise.reject(new Error('transactions do not nest: use the transaction you are in'));
  }

  async schemaVersion(): Promise<number> {
    return schemaVersionOn(this);
  }

  async setSchemaVersion(version: number): Promise<void> {
    await setSchemaVersionOn(this, version);
  }

  async close(): Promise<void> {
    // The transaction does not own the connection.
  }
}

function insertedId(result: QueryResult): number {
  const id: unknown = (result.rows[0] as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'number') throw new StoreError('corrupt', 'INSERT ... RETURNING id returned no id');
  return id;
}

/** PostgreSQL has no user_version: a one-row table holds the schema version. */
async function schemaVersionOn(db: SqlDb): Promise<number> {
  const row = (await db.get("SELECT to_regclass('driftd_schema') IS NOT NULL AS present")) as { present: boolean } | undefined;
  if (!row?.present) return 0;
  const version = (await db.get('SELECT version FROM driftd_schema')) as { version: number } | undefined;
  return version?.version ?? 0;
}

async function setSchemaVersionOn(db: SqlDb, version: number): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS driftd_schema (version BIGINT NOT NULL)');
  await db.run('DELETE FROM driftd_schema');
  await db.run('INSERT INTO driftd_schema (version) VALUES (?)', [version]);
}
