/**
 * A real PostgreSQL server for tests: `initdb` in a temp dir, `postgres` on 127.0.0.1 and
 * a free port, password authentication over TCP (scram-sha-256), fsync off (unless
 * `durable`). Debian's `postgresql` package (test/setup.sh installs it). PostgreSQL
 * refuses to run as root, so
 * under root initdb and the server run as the `postgres` system user (spawn's uid/gid:
 * the server is our own child, its PID is the one we stop). The caller must `stop()` it
 * (afterAll / finally); stop signals only this server's PID, and a process exit handler
 * kills it if a test run dies first. Nothing listens beyond 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './sshd.js';

/** The server's binaries: $DRIFTD_PG_BINDIR, else the newest /usr/lib/postgresql/<n>/bin, else $PATH. */
export function findPostgresBinDir(): string | null {
  const candidates: string[] = [];
  const fromEnv = process.env['DRIFTD_PG_BINDIR'];
  if (fromEnv) candidates.push(fromEnv);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push(...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean));
  return candidates.find((dir) => ['initdb', 'postgres', 'pg_isready'].every((b) => existsSync(join(dir, b)))) ?? null;
}

const BIN_DIR = findPostgresBinDir();
const runningAsRoot = process.getuid?.() === 0;

/** The system user the server runs as under root: Debian's `postgres`. */
function serverUser(): { uid: number; gid: number } | null {
  if (!runningAsRoot) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

const USER = serverUser();

export const postgresAvailable = BIN_DIR !== null && (!runningAsRoot || USER !== null);
export const postgresSkipReason = postgresAvailable
  ? ''
  : BIN_DIR === null
    ? 'SKIPPED: PostgreSQL server binaries (initdb, postgres) not found (apt-get install postgresql)'
    : 'SKIPPED: running as root and there is no `postgres` system user to run the server as (apt-get install postgresql)';
if (!postgresAvailable) console.warn(`PostgreSQL-based tests ${postgresSkipReason}`);

export interface PostgresServer {
  host: '127.0.0.1';
  port: number;
  /** The superuser the tests connect as, and the database created for them. */
  user: string;
  database: string;
  /** Generated per server; also in `passwordFile` (mode 0600). Never part of `url`. */
  password: string;
  passwordFile: string;
  /** postgresql://user@127.0.0.1:port/database, without the password. */
  url: string;
  binDir: string;
  dataDir: string;
  pid: number;
  /** The server's own log (stderr). */
  log(): string;
  /** Runs SQL through psql as the superuser; returns its unaligned, tuples-only output. */
  psql(sql: string): string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** The superuser name, default `driftd`. */
  user?: string;
  /** The database created for the tests, default `driftd`. */
  database?: string;
  /**
   * Keep PostgreSQL's durability defaults (fsync, synchronous commit, full page writes)
   * instead of turning them off for speed: for measurements (bench/fleet.ts).
   */
  durable?: boolean;
}

/** Servers not yet stopped: killed synchronously if the process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  if (!postgresAvailable || BIN_DIR === null) throw new Error(postgresSkipReason);
  const binDir = BIN_DIR;
  const user = options.user ?? 'driftd';
  const database = options.database ?? 'driftd';
  const dir = mkdtempSync(join(tmpdir(), 'driftd-postgres-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(dir, 'password');
  const asServer = USER === null ? {} : { uid: USER.uid, gid: USER.gid };
  let child: ChildProcess | undefined;
  try {
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (USER !== null) {
      chownSync(dir, USER.uid, USER.gid);
      chownSync(passwordFile, USER.uid, USER.gid);
    }
    execFileSync(
      join(binDir, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        user,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { ...asServer, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const port = await freePort('127.0.0.1');
    const started = spawn(
      join(binDir, 'postgres'),
      [
        '-D',
        dataDir,
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        // The socket lives in the temp dir, never in /run/postgresql.
        '-k',
        dir,
        ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
        '-c',
        'max_connections=50',
      ],
      { ...asServer, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = started;
    live.add(started);
    let log = '';
    started.stderr?.setEncoding('utf8');
    started.stderr?.on('data', (text: string) => {
      log += text;
    });
    started.once('exit', () => live.delete(started));
    await waitUntilReady(started, binDir, port, () => log);
    const pid = started.pid as number;
    const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' };
    const psqlAt = (db: string, sql: string): string =>
      execFileSync(
        join(binDir, 'psql'),
        ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-c', sql],
        { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    psqlAt('postgres', `CREATE DATABASE "${database.replaceAll('"', '""')}"`);

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(quit);
          clearTimeout(kill);
          live.delete(started);
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        // SIGINT: "fast" shutdown (clients disconnected, no wait); then immediate, then kill.
        const quit = setTimeout(() => started.kill('SIGQUIT'), 5000);
        const kill = setTimeout(() => started.kill('SIGKILL'), 8000);
        if (started.exitCode !== null || started.signalCode !== null) return done();
        started.once('exit', done);
        started.kill('SIGINT');
      });
      return stopped;
    };
    return {
      host: '127.0.0.1',
      port,
      user,
      database,
      password,
      passwordFile,
      url: `postgresql://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      binDir,
      dataDir,
      pid,
      log: () => log,
      psql: (sql) => psqlAt(database, sql),
      stop,
    };
  } catch (error) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (child) live.delete(child);
    rmSync(dir, { recursive: true, force: true });
    throw error instanceof Error && 'stderr' in error ? new Error(`${error.message}\n${String(error.stderr)}`, { cause: error }) : error;
  }
}

async function waitUntilReady(child: ChildProcess, binDir: string, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited with ${child.exitCode ?? child.signalCode}:\n${log()}`);
    }
    try {
      execFileSync(join(binDir, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '1'], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`postgres did not accept connections on 127.0.0.1:${port} within 30 s:\n${log()}`);
}
