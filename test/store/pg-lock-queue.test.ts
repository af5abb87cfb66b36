/**
 * Many runs stored at once on PostgreSQL (a fleet's clusters finishing together): saves of
 * one cluster wait for its chain lock, and saves of many clusters for a connection; both
 * wait in the process instead of on pg-pool's checkout, so none fails with its timeout
 * ("timeout exceeded when trying to connect") while the server is fine. Real server
 * (test/helpers/postgres.ts).
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { usePostgresClients } from '../helpers/pg-clients.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { BASE_PACKAGES, runInput } from './handmade-runs.js';

const T0 = '2026-12-07T20:00:00.000Z';

describe.skipIf(!postgresAvailable)(`runs stored together on PostgreSQL ${postgresSkipReason}`, () => {
  const pgs = usePostgresClients();

  it('24 concurrent saves of one cluster and 24 of distinct clusters, on a pool of 4 with a 300 ms checkout timeout, all land, and the chain verifies', async () => {
    const server = pgs.server();
    const store = await Store.open(server.url, { postgres: { password: server.password, connectTimeoutMs: 300 } });
    try {
      const packages = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`pkg-${i}`, `1.${i}-1`]));
      const input = (i: number) =>
        runInput(T0, { 'erp-a': { packages: { ...BASE_PACKAGES, ...packages, [`own-${i}`]: '1' } }, 'erp-b': { packages } });
      // 24 runs of one cluster (its chain lock), 24 of distinct clusters (all at once).
      const saves = [
        ...Array.from({ length: 24 }, (_, i) => store.saveRun(input(i))),
        ...Array.from({ length: 24 }, (_, i) => {
          const one = input(100 + i);
          const cluster = `other-${i}`;
          return store.saveRun({
            ...one,
            cluster,
            report: { ...one.report, cluster },
            snapshots: one.snapshots.map((s) => ({ ...s, cluster })),
          });
        }),
      ];
      // Reads go on meanwhile on the same pool.
      const reads = Array.from({ length: 8 }, () => store.runs());
      const settled = await Promise.allSettled([...saves, ...reads]);
      expect(settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 48 });
    } finally {
      await store.close();
    }
  });
});
