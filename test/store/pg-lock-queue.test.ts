/**
 * Many runs stored at once on PostgreSQL (a fleet's clusters finishing together): every
 * save takes the history lock, and the ones waiting for it queue in the process instead of
 * on a pooled connection, so none fails with pg-pool's checkout timeout ("timeout exceeded
 * when trying to connect") while the server is fine. Real server (test/helpers/postgres.ts).
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { usePostgresClients } from '../helpers/pg-clients.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { BASE_PACKAGES, runInput } from './handmade-runs.js';

const T0 = '2026-12-07T20:00:00.000Z';

describe.skipIf(!postgresAvailable)(`runs stored together on PostgreSQL ${postgresSkipReason}`, () => {
  const pgs = usePostgresClients();

  it('24 concurrent saves on a pool of 4 with a 300 ms checkout timeout all land, and the chain verifies', async () => {
    const server = pgs.server();
    const store = await Store.open(server.url, { postgres: { password: server.password, connectTimeoutMs: 300 } });
    try {
      const packages = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`pkg-${i}`, `1.${i}-1`]));
      const saves = Array.from({ length: 24 }, (_, i) =>
        store.saveRun({
          ...runInput(T0, { 'erp-a': { packages: { ...BASE_PACKAGES, ...packages, [`own-${i}`]: '1' } }, 'erp-b': { packages } }),
        }),
      );
      // Reads go on meanwhile on the same pool.
      const reads = Array.from({ length: 8 }, () => store.runs());
      const settled = await Promise.allSettled([...saves, ...reads]);
      expect(settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 24 });
    } finally {
      await store.close();
    }
  });
});
