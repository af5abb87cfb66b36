/**
 * Who should audit a cluster first when several instances share one PostgreSQL:
 * rendezvous hashing over the live instances that can reach the cluster's zone.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canReach, preferredInstance, rankInstances, type InstanceInfo } from '../../../src/core/fleet/assign.js';

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
