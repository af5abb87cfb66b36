/**
 * Who should audit a cluster first when several instances share one PostgreSQL:
 * rendezvous hashing over the live instances that can reach the cluster's zone.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canAudit, canReach, planTick, preferredInstance, rankInstances, type InstanceInfo } from '../../../src/core/fleet/assign.js';

const a: InstanceInfo = { id: 'driftd-a', zones: [] };
const b: InstanceInfo = { id: 'driftd-b', zones: [] };
const c: InstanceInfo = { id: 'driftd-c', zones: [] };
const clusters = Array.from({ length: 900 }, (_, i) => `cluster-${i}`);

function owners(instances: readonly InstanceInfo[]): Map<string, string | undefined> {
  return new Map(clusters.map((k) => [k, preferredInstance(k, undefined, instances)?.id]));
}

describe('rendezvous assignment', () => {
  it('every instance computes the same owner, whatever order it lists the instances in', () => {
    fc.assert(
      fc.property(fc.string(), fc.shuffledSubarray([a, b, c], { minLength: 3, maxLength: 3 }), (cluster, order) => {
        expect(preferredInstance(cluster, undefined, order)?.id).toBe(preferredInstance(cluster, undefined, [a, b, c])?.id);
      }),
    );
  });

  it('spreads clusters over the instances (900 clusters over 3: each gets 250-350)', () => {
    const counts = new Map<string, number>();
    for (const id of owners([a, b, c]).values()) counts.set(id ?? '', (counts.get(id ?? '') ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['driftd-a', 'driftd-b', 'driftd-c']);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(250);
      expect(n).toBeLessThan(350);
    }
  });

  it('when an instance leaves, only its clusters move; the others stay where they are', () => {
    const before = owners([a, b, c]);
    const after = owners([a, c]);
    for (const k of clusters) {
      if (before.get(k) === 'driftd-b') expect(['driftd-a', 'driftd-c']).toContain(after.get(k));
      else expect(after.get(k)).toBe(before.get(k));
    }
  });

  it('an instance limited to zones only ranks for clusters in those zones; a cluster without a zone needs an unlimited instance', () => {
    const dc1 = { id: 'dc1-only', zones: ['dc1'] };
    expect(canReach(dc1, 'dc1')).toBe(true);
    expect(canReach(dc1, 'dc2')).toBe(false);
    expect(canReach(dc1, undefined)).toBe(false);
    expect(canReach(a, 'dc2')).toBe(true);
    expect(rankInstances('erp', 'dc2', [dc1, a]).map((i) => i.id)).toEqual(['driftd-a']);
    expect(preferredInstance('erp', 'dc2', [dc1])).toBeUndefined();
    expect(
      rankInstances('erp', 'dc1', [dc1, a])
        .map((i) => i.id)
        .sort(),
    ).toEqual(['dc1-only', 'driftd-a']);
  });
});

describe('planTick', () => {
  const fleet = clusters.slice(0, 60).map((name, i) => ({ name, zone: i % 2 === 0 ? 'dc1' : 'dc2' }));

  it('with every instance live, each cluster is "now" for exactly one instance and "after grace" for the others', () => {
    const live = [a, b, c];
    const plans = live.map((me) => planTick(me, fleet, live, new Set()));
    for (const { name } of fleet) {
      expect(plans.filter((p) => p.now.includes(name))).toHaveLength(1);
      expect(plans.filter((p) => p.afterGrace.includes(name))).toHaveLength(2);
    }
  });

  it('a held cluster is audited by its holder; it is handed back once a live peer ranks first', () => {
    const name = fleet.find((k) => preferredInstance(k.name, k.zone, [a, b])?.id === 'driftd-b')?.name ?? '';
    // driftd-b was down, driftd-a took the cluster; driftd-b is back.
    const plan = planTick(a, fleet, [a, b], new Set([name]));
    expect(plan.now).toContain(name);
    expect(plan.handBack).toEqual([name]);
    expect(planTick(a, fleet, [a], new Set([name])).handBack).toEqual([]);
  });

  it('an instance limited to a zone skips the others and ranks among the instances that reach each zone', () => {
    const dc1 = { id: 'dc1-only', zones: ['dc1'] };
    const dc2 = { id: 'dc2-only', zones: ['dc2'] };
    const plan1 = planTick(dc1, fleet, [dc1, dc2], new Set());
    expect(plan1.skipped).toEqual(fleet.filter((k) => k.zone === 'dc2').map((k) => k.name));
    expect(plan1.now).toEqual(fleet.filter((k) => k.zone === 'dc1').map((k) => k.name));
    expect(plan1.afterGrace).toEqual([]);
  });

  it('a peer whose config does not name a cluster is not ranked for it: no grace, no hand-back, at every tick', () => {
    const named = fleet.filter((k) => preferredInstance(k.name, k.zone, [a, b])?.id === 'driftd-b');
    expect(named.length).toBeGreaterThan(0);
    const lacking = new Set(named.slice(0, 3).map((k) => k.name));
    // driftd-b publishes every cluster but those three; driftd-a has them all.
    const bPublished = { ...b, clusters: new Set(fleet.map((k) => k.name).filter((n) => !lacking.has(n))) };
    const plan = planTick(a, fleet, [a, bPublished], new Set());
    for (const name of lacking) expect(plan.now).toContain(name);
    expect(plan.afterGrace.filter((n) => lacking.has(n))).toEqual([]);
    expect(planTick(a, fleet, [a, bPublished], lacking).handBack).toEqual([]);
    // The clusters driftd-b names still go to it first, and an instance that published nothing may have any.
    expect(plan.afterGrace).toEqual(named.slice(3).map((k) => k.name));
    expect(planTick(a, fleet, [a, b], new Set()).afterGrace).toEqual(named.map((k) => k.name));
    expect(canAudit(bPublished, named[0]?.name ?? '', named[0]?.zone)).toBe(false);
    expect(canAudit(b, named[0]?.name ?? '', named[0]?.zone)).toBe(true);
  });

  it('an instance missing from the live list (its heartbeat not yet seen) still plans as itself', () => {
    const plan = planTick(a, fleet, [b], new Set());
    expect(plan.now.length + plan.afterGrace.length).toBe(fleet.length);
    expect(plan.now.length).toBeGreaterThan(0);
  });
});
