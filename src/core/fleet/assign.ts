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
  /**
   * The clusters its config names, as it last published them; undefined when not known
   * (an instance of an older driftd, or one that has not planned yet): it may have any.
   */
  clusters?: ReadonlySet<string>;
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

/** True when the instance may audit the cluster: its zones reach it and its config names it (or is not known). */
export function canAudit(instance: InstanceInfo, cluster: string, zone: string | undefined): boolean {
  return canReach(instance, zone) && (instance.clusters === undefined || instance.clusters.has(cluster));
}

/**
 * The instances that may audit `cluster`, best first. An instance whose config does not
 * name the cluster is not ranked: otherwise the others would leave it the cluster at every
 * tick and take it back after the grace. Ties (astronomically unlikely) fall back to the
 * id so every instance agrees.
 */
export function rankInstances(cluster: string, zone: string | undefined, instances: readonly InstanceInfo[]): InstanceInfo[] {
  const scored = instances.filter((i) => canAudit(i, cluster, zone)).map((i) => ({ i, w: weight(cluster, i.id) }));
  scored.sort((a, b) => (a.w === b.w ? (a.i.id < b.i.id ? -1 : 1) : a.w > b.w ? -1 : 1));
  return scored.map((s) => s.i);
}

/** The instance that should audit `cluster` first, or undefined when no live instance can reach its zone. */
export function preferredInstance(cluster: string, zone: string | undefined, instances: readonly InstanceInfo[]): InstanceInfo | undefined {
  return rankInstances(cluster, zone, instances)[0];
}

/** A cluster as the instance's config names it. */
export interface FleetCluster {
  name: string;
  zone?: string;
}

/** What one instance does with each of its clusters at a tick (or a takeover poll). */
export interface TickPlan {
  /** Audit now: held already, or this instance ranks first among the live ones. */
  now: string[];
  /** Try after a short grace, and only if still free: a better-ranked live instance goes first. */
  afterGrace: string[];
  /** Out of reach: no zone of this instance covers them (another instance's work). */
  skipped: string[];
  /** Held by this instance although a live peer now ranks first: give the lease up after this run. */
  handBack: string[];
}

/**
 * The plan of instance `me` for one tick. `live` should include `me` (it heartbeats
 * first); `held` are the clusters whose lease it still holds. Who actually audits is
 * decided by the lease: two instances that both try get one winner.
 */
export function planTick(
  me: InstanceInfo,
  clusters: readonly FleetCluster[],
  live: readonly InstanceInfo[],
  held: ReadonlySet<string>,
): TickPlan {
  const plan: TickPlan = { now: [], afterGrace: [], skipped: [], handBack: [] };
  const everyone = live.some((i) => i.id === me.id) ? live : [...live, me];
  for (const cluster of clusters) {
    if (!canReach(me, cluster.zone)) {
      plan.skipped.push(cluster.name);
      continue;
    }
    const first = preferredInstance(cluster.name, cluster.zone, everyone);
    const mine = first?.id === me.id;
    if (held.has(cluster.name)) {
      plan.now.push(cluster.name);
      if (!mine) plan.handBack.push(cluster.name);
    } else if (mine) plan.now.push(cluster.name);
    else plan.afterGrace.push(cluster.name);
  }
  return plan;
}
