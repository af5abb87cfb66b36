/**
 * The PostgreSQL driver when the network between driftd and the server fails in the
 * middle of a transaction (a real server behind a TCP relay on loopback):
 *
 * - reset: the next statement fails with an `unavailable` StoreError; the process does
 *   not die of an unhandled 'error' event from the checked-out connection;
 * - hang (nothing passes, nothing is reset): with `queryTimeoutMs` the statement fails
 *   instead of waiting forever, and with `idleInTransactionTimeoutMs` the server ends the
 *   session, so the row locks it held go to others (a lease row, the history lock).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.js';
import { openPostgres } from '../../src/store/pg-driver.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { usePostgresClients } from '../helpers/pg-clients.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';

describe.skipIf(!postgresAvailable)(`PostgreSQL connections cut in the middle of a transaction ${postgresSkipReason}`, () => {
  const pgs = usePostgresClients();

  async function setUp(options: { queryTimeoutMs?: number; idleInTransactionTimeoutMs?: number } = {}) {
    const server = pgs.server();
    const relay = await startTcpRelay({ host: '127.0.0.1', port: server.port });
    const db = await openPostgres(`postgresql://${server.user}@127.0.0.1:${relay.port}/${server.database}`, {
      password: server.password,
      ...options,
    });
    return { relay, db };
  }

  it('a reset between two statements fails the transaction with `unavailable`, and nothing else', async () => {
    const admin = await pgs.connect();
    await admin.query('CREATE TABLE IF NOT EXISTS cut_reset (id INT PRIMARY KEY)');
    const { relay, db } = await setUp();
    try {
      const outcome = db.transaction(async (tx) => {
        await tx.run('INSERT INTO cut_reset (id) VALUES (1)');
        await relay.refuse();
        // The reset reaches the idle, checked-out connection before its next statement.
        await sleep(200);
        await tx.run('INSERT INTO cut_reset (id) VALUES (2)');
      });
      const error: unknown = await outcome.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('unavailable');
      expect((await admin.query('SELECT count(*)::int AS n FROM cut_reset')).rows[0]).toEqual({ n: 0 });
    } finally {
      await db.close().catch(() => undefined);
      await relay.close();
    }
  });

  it('a hung connection fails the statement after queryTimeoutMs, and the server frees its locks after idleInTransactionTimeoutMs', async () => {
    const admin = await pgs.connect();
    await admin.query('CREATE TABLE IF NOT EXISTS cut_hang (id INT PRIMARY KEY)');
    await admin.query('INSERT INTO cut_hang (id) VALUES (1) ON CONFLICT DO NOTHING');
    const { relay, db } = await setUp({ queryTimeoutMs: 1500, idleInTransactionTimeoutMs: 2000 });
    try {
      let hungAt = 0;
      let hung: () => void = () => undefined;
      const isHung = new Promise<void>((resolve) => (hung = resolve));
      const outcome = db.transaction(async (tx) => {
        await tx.get('SELECT id FROM cut_hang WHERE id = 1 FOR UPDATE');
        relay.hang();
        hungAt = Date.now();
        hung();
        await tx.get('SELECT 1 AS one');
      });
      await isHung;
      // The row stays locked by the hung session meanwhile.
      await admin.query("SET lock_timeout = '100ms'");
      const lockedNow = await admin.query('SELECT id FROM cut_hang WHERE id = 1 FOR UPDATE').catch((e: unknown) => e);
      expect(String(lockedNow)).toMatch(/lock timeout/);
      const error: unknown = await outcome.catch((e: unknown) => e);
      const failedAfterMs = Date.now() - hungAt;
      expect(error).toBeInstanceOf(Error);
      expect(String(error)).toMatch(/timeout/i);
      expect(failedAfterMs).toBeGreaterThanOrEqual(1400);
      expect(failedAfterMs).toBeLessThan(10_000);
      const deadline = Date.now() + 10_000;
      let freed = false;
      while (!freed && Date.now() < deadline) {
        freed = await admin.query('SELECT id FROM cut_hang WHERE id = 1 FOR UPDATE').then(
          () => true,
          () => false,
        );
        if (!freed) await sleep(200);
      }
      expect(freed).toBe(true);
      expect(Date.now() - hungAt).toBeLessThan(10_000);
    } finally {
      await relay.restore();
      await db.close().catch(() => undefined);
      await relay.close();
    }
  }, 30_000);
});
