/**
 * A real PostgreSQL for one test file plus node-postgres clients on it: starts the server
 * before the file's tests, and ends every client and stops the server (by PID) after them,
 * even when a test failed.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresServer } from './postgres.js';

export interface PostgresClients {
  server(): PostgresServer;
  /** A new connected client as the test superuser; ended after the file's tests. */
  connect(): Promise<pg.Client>;
}

export function usePostgresClients(): PostgresClients {
  let server: PostgresServer | undefined;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await server?.stop();
  });
  const running = (): PostgresServer => {
    if (!server) throw new Error('the PostgreSQL test server is not running (beforeAll failed?)');
    return server;
  };
  return {
    server: running,
    async connect() {
      const s = running();
      const client = new pg.Client({ host: s.host, port: s.port, user: s.user, database: s.database, password: s.password });
      await client.connect();
      // A terminated backend emits 'error' on the client; tests look at the failed queries instead.
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
  };
}
