/**
 * Three instances sharing clusters through the lease board on a real PostgreSQL: each
 * cluster is audited by exactly one instance per tick, the work spreads, a dead
 * instance's clusters are taken over between ticks, and it gets them back when it returns.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Coordinator } from '../../src/fleet/coordinator.js';
import { LeaseBoard } from '../../src/fleet/leases.js';
import type { FleetCluster, InstanceInfo } from '../../src/core/fleet/assign.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { usePostgresClients } from '../helpers/pg-clients.js';

const LEASE_MS = 800;
const clusters: FleetCluster[] = Array.from({ length: 30 }, (_, i) => ({
  name: `c${String(i).padStart(2, '0')}`,
  zone: i % 3 === 0 ? 'dc2' : 'dc1',
}));

describe.skipIf(!postgresAvailable)(`instances sharing clusters on a real PostgreSQL ${postgresSkipReason}`, () => {
  const pgs = usePostgresClients();

  async function instance(me: InstanceInfo): Promise<Coordinator> {
    const board = new LeaseBoard(await pgs.connect(), LEASE_MS);
    await board.prepare();
    return new Coordinator({ board, me, version: 'test', graceMs: 100 });
  }

  it('spreads the clusters, never twice; takes a dead instance over between ticks; hands back when it returns', async () => {
    const a = await instance({ id: 'driftd-a', zones: [] });
    const b = await instance({ id: 'driftd-b', zones: [] });
    const c = await instance({ id: 'driftd-c', zones: [] });
    // Everyone heartbeats first (the daemons run for a while before this tick).
    for (const x of [a, b, c]) await x.heartbeat();

    const ticks = await Promise.all([a, b, c].map((x) => x.tick(clusters)));
    const audited = ticks.flatMap((t) => [...t.leases.keys()]);
    expect(audited.sort()).toEqual(clusters.map((k) => k.name));
    for (const t of ticks) expect(t.leases.size).toBeGreaterThan(3);
    const ofC = [...ticks[2]!.leases.keys()];

    // driftd-c dies: no more heartbeats. Within one lease time its clusters are free, and
    // the takeover check of the others picks each one up exactly once.
    const start = Date.now();
    const takenBy = new Map<string, string>();
    while (takenBy.size < ofC.length && Date.now() - start < LEASE_MS * 6) {
      for (const x of [a, b]) {
        for (const name of (await x.takeOver(clusters)).keys()) {
          expect(takenBy.has(name)).toBe(false);
          takenBy.set(name, x.id);
        }
      }
      await sleep(LEASE_MS / 4);
    }
    expect([...takenBy.keys()].sort()).toEqual(ofC.sort());
    expect(Date.now() - start).toBeLessThan(LEASE_MS * 3);

    // driftd-c comes back: the others still audit its clusters at the next tick and hand
    // them back after it; the tick after, driftd-c has them again.
    await c.heartbeat();
    const back = await Promise.all([a, b, c].map((x) => x.tick(clusters)));
    expect(back.flatMap((t) => [...t.leases.keys()]).sort()).toEqual(clusters.map((k) => k.name));
    expect(back[2]!.leases.size).toBe(0);
    const handedBack = [...back[0]!.plan.handBack, ...back[1]!.plan.handBack].sort();
    expect(handedBack).toEqual([...ofC].sort());
    await a.handBack(back[0]!.plan.handBack);
    await b.handBack(back[1]!.plan.handBack);
    const again = await Promise.all([a, b, c].map((x) => x.tick(clusters)));
    expect([...again[2]!.leases.keys()].sort()).toEqual([...ofC].sort());
  }, 30_000);

  it('an instance that stops gives its clusters back and leaves the ranking at once, so peers take them without waiting', async () => {
    const names = clusters.map((k) => ({ ...k, name: `r-${k.name}` }));
    // The previous test's instances stop being live first (they would rank too).
    await sleep(LEASE_MS + 200);
    const a = await instance({ id: 'stop-a', zones: [] });
    const b = await instance({ id: 'stop-b', zones: [] });
    await a.heartbeat();
    await b.heartbeat();
    const [ta] = await Promise.all([a.tick(names), b.tick(names)]);
    const ofA = [...ta.leases.keys()].sort();
    expect(ofA.length).toBeGreaterThan(0);
    await a.retire();
    // Well within the lease time: b ranks first now and the leases are free.
    const taken = await b.takeOver(names);
    expect([...taken.keys()].sort()).toEqual(ofA);
  }, 30_000);

  it('an instance limited to a zone audits only the clusters of that zone', async () => {
    const dc1 = await instance({ id: 'zone-dc1', zones: ['dc1'] });
    const dc2 = await instance({ id: 'zone-dc2', zones: ['dc2'] });
    const names = clusters.map((k) => ({ ...k, name: `z-${k.name}` }));
    await dc1.heartbeat();
    await dc2.heartbeat();
    const [t1, t2] = await Promise.all([dc1.tick(names), dc2.tick(names)]);
    expect([...t1.leases.keys()].sort()).toEqual(names.filter((k) => k.zone === 'dc1').map((k) => k.name));
    expect([...t2.leases.keys()].sort()).toEqual(names.filter((k) => k.zone === 'dc2').map((k) => k.name));
    expect(t1.plan.skipped).toHaveLength(10);
  }, 30_000);
  it('a cluster removed from an instance config (SIGHUP) is given up at its next heartbeat, unless a run of it is in progress', async () => {
    // The earlier tests' instances stop being live first (they would rank too).
    await sleep(LEASE_MS + 200);
    const names = clusters.map((k) => ({ ...k, name: `h-${k.name}` }));
    const a = await instance({ id: 'hup-a', zones: [] });
    const b = await instance({ id: 'hup-b', zones: [] });
    await a.heartbeat();
    await b.heartbeat();
    const [ta] = await Promise.all([a.tick(names), b.tick(names)]);
    const ofA = [...ta.leases.keys()].sort();
    expect(ofA.length).toBeGreaterThan(1);
    const [removed, busy] = ofA as [string, string];
    // a's reloaded config no longer names `removed` nor `busy`; a run of `busy` is in progress.
    const reloaded = names.filter((k) => k.name !== removed && k.name !== busy);
    await a.takeOver(reloaded, [busy]);
    expect(a.leases().has(removed)).toBe(false);
    expect(a.leases().has(busy)).toBe(true);
    // Well within the lease time: b, whose config still has them, takes `removed` at its
    // next tick (after the grace: a still ranks first for it, being live, but no longer
    // holds it); `busy` stays a's, renewed past its lease, until that run ends.
    const first = await b.tick(names);
    expect(first.leases.has(removed)).toBe(true);
    expect(first.leases.has(busy)).toBe(false);
    for (let i = 0; i < 3; i++) {
      await sleep(LEASE_MS / 2);
      await a.takeOver(reloaded, [busy]);
    }
    expect((await b.tick(names)).leases.has(busy)).toBe(false);
    // The run ended: a's next heartbeat gives `busy` up too, and b takes it.
    await a.takeOver(reloaded, []);
    expect((await b.tick(names)).leases.has(busy)).toBe(true);
  }, 30_000);
});
