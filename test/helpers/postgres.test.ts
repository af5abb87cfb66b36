/**
 * The PostgreSQL test server itself: it starts on loopback with password auth, answers
 * SQL, and stop() leaves no process and no files behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, postgresSkipReason, startPostgres, type PostgresServer } from './postgres.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!postgresAvailable)(`a real PostgreSQL server on loopback ${postgresSkipReason}`, () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('answers SQL in its own database, as a superuser that needs the password', () => {
    expect(server.psql('SELECT current_database(), current_user').trim()).toBe('driftd|driftd');
    expect(server.psql("SELECT setting FROM pg_settings WHERE name = 'listen_addresses'").trim()).toBe('127.0.0.1');
    expect(Number(server.psql('SHOW server_version_num'))).toBeGreaterThanOrEqual(130000);
    expect(readFileSync(server.passwordFile, 'utf8').trim()).toBe(server.password);
    expect(statSync(server.passwordFile).mode & 0o077).toBe(0);
    expect(server.url).not.toContain(server.password);
    // No password, no session: TCP connections need scram-sha-256.
    expect(() =>
      execFileSync(
        `${server.binDir}/psql`,
        ['-X', '-w', '-h', '127.0.0.1', '-p', String(server.port), '-U', server.user, '-d', server.database, '-c', 'SELECT 1'],
        { env: { ...process.env, PGPASSWORD: '' }, stdio: 'pipe' },
      ),
    ).toThrow(/password/);
  });

  it('runs as a non-root user and stops by its PID, leaving nothing behind', async () => {
    const other = await startPostgres({ database: 'second' });
    expect(alive(other.pid)).toBe(true);
    const owner = readFileSync(`/proc/${other.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
    expect(owner).not.toBe('0');
    expect(other.psql('SELECT current_database()').trim()).toBe('second');
    await other.stop();
    expect(alive(other.pid)).toBe(false);
    expect(existsSync(other.dataDir)).toBe(false);
    // The first server is untouched by the second's stop.
    expect(server.psql('SELECT 1').trim()).toBe('1');
  }, 60_000);
});
