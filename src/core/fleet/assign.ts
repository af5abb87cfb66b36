/**
 * Which driftd instance should audit a cluster, when several share one PostgreSQL
 * (README "Several instances"). Pure: the live instances and their zones come in as data
 * (the edge reads them from the lease tables); the lease in PostgreSQL, not this function,
 * decides who actually audits. This only says who should *try first*, so that the work
 * spreads over the instances and stays where it is while nothing changes.
 *
 * Rendezvous (highest random weight) hashing: every instance computes the same ranking of
 * the instances for a cluster from their ids alone, with no coordination; when an instance
 * joins or leaves, only the clusters it wins or held move (about 1/n of them).
 */
import { createHash } from 'node:crypto';

/** An instance as the lease board lists it. */
export interface InstanceInfo {
  id: string;
  /** The zones it can reach; empty: every zone. */
  zones: readonly string[];
}

/** True when an instance limited to `zones` may audit a cluster in `zone` (none: any instance). */
export function canReach(instance: InstanceInfo, zone: string | undefined): boolean {
  if (instance.zones.length === 0) return true;
  return zone !== undefined && instance.zones.includes(zone);
}

/** The instance's weight for the cluster: the first 8 bytes of sha256(cluster NUL id), big-endian. */
export function weight(cluster: string, instanceId: string): bigint {
  return createHash('sha256').update(cluster).update('\0').update(instanceId).digest().readBigUInt64BE(0);
}

/**
 * The instances that may audit `cluster`, best first. Ties (astronomically unlikely) fall
 * back to the id so every instance agrees.
 */
export function rankInstances(cluster: string, zone: string | undefined, instances: readonly InstanceInfo[]): InstanceInfo[] {
  const scored = instances.filter((i) => canReach(i, zone)).map((i) => ({ i, w: weight(cluster, i.id) }));
  scored.sort((a, b) => (a.w === b.w ? (a.i.id < b.i.id ? -1 : 1) : a.w > b.w ? -1 : 1));
  return scored.map((s) => s.i);
}

/** The instance that should audit `cluster` first, or undefined when no live instance can reach its zone. */
export function preferredInstance(cluster: string, zone: string | undefined, instances: readonly InstanceInfo[]): InstanceInfo | undefined {
  return rankInstances(cluster, zone, instances)[0];
}
