/**
 * Three instances sharing clusters through the lease board on a real PostgreSQL: each
 * cluster is audited by exactly one instance per tick, the work spreads, a dead
 * instance's clusters are taken over between ticks, and it gets them back when it returns.
 * A tick returns at once; the clusters a better-ranked live peer should take are tried
 * after the grace, in the background, and handed over later if no peer took them.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Coordinator, type GraceHooks } from '../../src/fleet/coordinator.js';
import { LeaseBoard, type Lease } from '../../src/fleet/leases.js';
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

  async function instance(me: InstanceInfo, timing = { leaseMs: LEASE_MS, graceMs: 100 }): Promise<Coordinator> {
    const board = new LeaseBoard(await pgs.connect(), timing.leaseMs);
    await board.prepare();
    return new Coordinator({ board, me, version: 'test', graceMs: timing.graceMs });
  }

  /** Who holds each cluster now, as PostgreSQL says (expired leases left out). */
  async function holders(names: readonly string[]): Promise<Map<string, Lease>> {
    const board = new LeaseBoard(await pgs.connect(), LEASE_MS);
    const found = new Map<string, Lease>();
    for (const name of names) {
      const lease = await board.holderOf(name);
      if (lease) found.set(name, lease);
    }
    return found;
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
    // The previous test's instance may still be live (and rank first): the grace goes by.
    const [t1, t2] = await Promise.all([tickThroughGrace(dc1, names), tickThroughGrace(dc2, names)]);
    expect([...t1.keys()].sort()).toEqual(names.filter((k) => k.zone === 'dc1').map((k) => k.name));
    expect([...t2.keys()].sort()).toEqual(names.filter((k) => k.zone === 'dc2').map((k) => k.name));
    expect((await dc1.tick(names)).plan.skipped).toHaveLength(10);
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
    const first = await tickThroughGrace(b, names);
    expect(first.has(removed)).toBe(true);
    expect(first.has(busy)).toBe(false);
    for (let i = 0; i < 3; i++) {
      await sleep(LEASE_MS / 2);
      await a.takeOver(reloaded, [busy]);
    }
    expect((await tickThroughGrace(b, names)).has(busy)).toBe(false);
    // The run ended: a's next heartbeat gives `busy` up too, and b takes it.
    await a.takeOver(reloaded, []);
    expect((await tickThroughGrace(b, names)).has(busy)).toBe(true);
  }, 30_000);

  it('a tick returns at once; the after-grace clusters are taken after the grace and handed over, unless a peer took them', async () => {
    // The earlier tests' instances stop being live first (they would rank too), as seen
    // with this test's longer lease.
    await sleep(GRACE_TIMING.leaseMs + 200);
    const timing = GRACE_TIMING;
    const a = await instance({ id: 'grace-a', zones: [] }, timing);
    const b = await instance({ id: 'grace-b', zones: [] }, timing);
    await a.heartbeat();
    await b.heartbeat();

    // b is live (it ranks first for some clusters) but does not tick: a's tick returns
    // without waiting the grace, with only the clusters it ranks first for.
    const names = clusters.map((k) => ({ ...k, name: `g-${k.name}` }));
    const later = graceHooks(() => names);
    const started = Date.now();
    const tick = await a.tick(names, later.hooks);
    expect(Date.now() - started).toBeLessThan(timing.graceMs);
    expect(tick.plan.afterGrace.length).toBeGreaterThan(0);
    expect([...tick.leases.keys()].sort()).toEqual([...tick.plan.now].sort());
    expect(later.taken).toHaveLength(0);
    // After the grace, b having taken none of them, a takes them and hands them over.
    const handed = await later.next();
    expect(Date.now() - started).toBeGreaterThanOrEqual(timing.graceMs);
    expect([...handed.keys()].sort()).toEqual([...tick.plan.afterGrace].sort());
    expect(later.failures).toEqual([]);
    // Held like the others: in PostgreSQL under a's name and token, in a's leases (so
    // its heartbeats renew them), and given back after its next run since b ranks first.
    const held = await holders(tick.plan.afterGrace);
    for (const [name, lease] of handed) expect(held.get(name)).toEqual({ ...lease, expiresAt: held.get(name)?.expiresAt });
    for (const name of handed.keys()) expect(a.leases().get(name)?.token).toBe(handed.get(name)?.token);
    await b.heartbeat();
    const next = await a.tick(names);
    expect([...next.plan.handBack].sort()).toEqual([...tick.plan.afterGrace].sort());
    expect([...next.leases.keys()].sort()).toEqual(names.map((k) => k.name));
    await a.handBack(next.plan.handBack);
    expect((await holders(tick.plan.afterGrace)).size).toBe(0);
    expect([...(await b.tick(names)).leases.keys()].sort()).toEqual([...tick.plan.afterGrace].sort());

    // Both tick, b having published its config (every other cluster): a takes at once the
    // clusters b's config does not name (no grace for a peer that cannot audit them) and
    // leaves b, for the grace, those b ranks first for; b takes them within it.
    const shared = clusters.map((k) => ({ ...k, name: `p-${k.name}` }));
    const bNames = shared.filter((_, i) => i % 2 === 0);
    const notNamedByB = shared.filter((_, i) => i % 2 === 1).map((k) => k.name);
    await b.heartbeat(bNames.map((k) => k.name));
    const ofA = graceHooks(() => shared);
    const ta = await a.tick(shared, ofA.hooks);
    for (const name of notNamedByB) expect(ta.plan.now).toContain(name);
    expect(ta.plan.afterGrace.length).toBeGreaterThan(0);
    for (const name of ta.plan.afterGrace) expect(bNames.map((k) => k.name)).toContain(name);
    const tb = await b.tick(bNames);
    for (const name of ta.plan.afterGrace) expect(tb.leases.has(name)).toBe(true);
    // Each cluster has one holder, the one that took it.
    const owners = await holders(shared.map((k) => k.name));
    expect(owners.size).toBe(shared.length);
    for (const name of tb.leases.keys()) expect(owners.get(name)?.holder).toBe('grace-b');
    for (const name of ta.leases.keys()) expect(owners.get(name)?.holder).toBe('grace-a');
    // After the grace, b having taken them all, a takes nothing more.
    await sleep(timing.graceMs + 200);
    await a.gracesSettled();
    expect(ofA.taken).toEqual([]);
    expect(ofA.failures).toEqual([]);
    // Gone at once, so the next test ranks without them.
    await a.retire();
    await b.retire();
  }, 30_000);

  it('a reload during the grace: the clusters it removed are not taken; a stop during the grace takes nothing', async () => {
    const timing = GRACE_TIMING;
    const a = await instance({ id: 'stop-grace-a', zones: [] }, timing);
    const b = await instance({ id: 'stop-grace-b', zones: [] }, timing);
    await a.heartbeat();
    await b.heartbeat();

    // SIGHUP during the grace: the config a has when the grace ends decides.
    const names = clusters.map((k) => ({ ...k, name: `s-${k.name}` }));
    let config = names;
    const later = graceHooks(() => config);
    const tick = await a.tick(names, later.hooks);
    const [removed, ...kept] = tick.plan.afterGrace;
    expect(kept.length).toBeGreaterThan(0);
    config = names.filter((k) => k.name !== removed);
    expect([...(await later.next()).keys()].sort()).toEqual([...kept].sort());
    expect((await holders([removed ?? ''])).size).toBe(0);

    // Stopping during the grace ends the wait at once and takes nothing after it.
    const others = clusters.map((k) => ({ ...k, name: `t-${k.name}` }));
    // a's config names them too (published by its heartbeat), so it ranks first for some.
    await a.heartbeat([...config, ...others].map((k) => k.name));
    const stopped = graceHooks(() => others);
    const last = await b.tick(others, stopped.hooks);
    expect(last.plan.afterGrace.length).toBeGreaterThan(0);
    const stopping = Date.now();
    await b.retire();
    expect(Date.now() - stopping).toBeLessThan(timing.graceMs);
    await sleep(timing.graceMs + 500);
    expect(stopped.taken).toEqual([]);
    expect(stopped.failures).toEqual([]);
    for (const lease of (await holders(others.map((k) => k.name))).values()) expect(lease.holder).not.toBe('stop-grace-b');
    await a.retire();
  }, 30_000);

  it('PostgreSQL failing while the after-grace clusters are taken is reported once, takes nothing and rejects nothing', async () => {
    const timing = GRACE_TIMING;
    const client = await pgs.connect();
    const board = new LeaseBoard(client, timing.leaseMs);
    await board.prepare();
    const a = new Coordinator({ board, me: { id: 'fail-a', zones: [] }, version: 'test', graceMs: timing.graceMs });
    const b = await instance({ id: 'fail-b', zones: [] }, timing);
    await a.heartbeat();
    await b.heartbeat();
    const names = clusters.map((k) => ({ ...k, name: `f-${k.name}` }));
    const later = graceHooks(() => names);
    const tick = await a.tick(names, later.hooks);
    expect(tick.plan.afterGrace.length).toBeGreaterThan(0);
    // a's lease connection is cut during the grace.
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const admin = await pgs.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await sleep(timing.graceMs + 500);
    expect(later.taken).toEqual([]);
    expect(later.failures).toHaveLength(1);
    expect((await holders(tick.plan.afterGrace)).size).toBe(0);
  }, 30_000);
});

/** Runs a tick and its grace: the clusters taken at once and after the grace. */
async function tickThroughGrace(x: Coordinator, names: readonly FleetCluster[]): Promise<Map<string, Lease>> {
  const later = graceHooks(() => names);
  const tick = await x.tick(names, later.hooks);
  await x.gracesSettled();
  expect(later.failures).toEqual([]);
  return new Map([...tick.leases, ...later.taken.flatMap((t) => [...t])]);
}

/** A grace long enough to tell "returned at once" from "waited" on a loaded machine. */
const GRACE_TIMING = { leaseMs: 3000, graceMs: 1000 };

/** Grace hooks that record what a coordinator takes (or fails to take) after the grace. */
function graceHooks(current: () => readonly FleetCluster[]): {
  hooks: GraceHooks;
  taken: Map<string, Lease>[];
  failures: unknown[];
  /** The next handover (fails the test if none comes within 5 s). */
  next: () => Promise<Map<string, Lease>>;
} {
  const taken: Map<string, Lease>[] = [];
  const failures: unknown[] = [];
  let read = 0;
  return {
    hooks: { clusters: current, taken: (leases) => taken.push(leases), failed: (err) => failures.push(err) },
    taken,
    failures,
    next: async () => {
      const deadline = Date.now() + 5000;
      while (taken.length <= read && Date.now() < deadline) await sleep(20);
      const leases = taken[read++];
      if (!leases) throw new Error('nothing was taken after the grace within 5 s');
      return leases;
    },
  };
}
