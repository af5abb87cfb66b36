/**
 * One instance's side of sharing clusters with its peers (README "Several instances"):
 * heartbeats that keep its leases, the tick that decides which clusters it audits, and the
 * takeover check that picks up the clusters of a peer that died between ticks.
 *
 * The plan (which instance should try first) is pure (src/core/fleet/assign.ts); the
 * lease in PostgreSQL decides. A run is stored only under a lease still held
 * (`holdsInTx`, in the store's transaction).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { planTick, type FleetCluster, type InstanceInfo, type TickPlan } from '../core/fleet/assign.js';
import type { Lease, LeaseBoard } from './leases.js';

export interface CoordinatorOptions {
  board: LeaseBoard;
  me: InstanceInfo;
  version: string;
  /** How long a better-ranked live peer gets to take a cluster before this instance tries. */
  graceMs: number;
}

/** What a tick hands to the daemon: the clusters this instance audits now, with their leases. */
export interface TickResult {
  plan: TickPlan;
  leases: Map<string, Lease>;
}

export class Coordinator {
  private held = new Map<string, Lease>();

  constructor(private readonly options: CoordinatorOptions) {}

  get id(): string {
    return this.options.me.id;
  }

  /** The leases this instance believes it holds (as of its last heartbeat or acquire). */
  leases(): Map<string, Lease> {
    return new Map(this.held);
  }

  /**
   * Says this instance is alive and renews its leases. A lease that expired meanwhile (the
   * process was paused, PostgreSQL unreachable) is dropped: the cluster may be another
   * instance's now. Throws when PostgreSQL cannot be reached; the caller then holds nothing.
   *
   * With `keep` (the clusters of this instance's config, and those of a run in progress),
   * every other lease it holds is given up: a cluster dropped from the config by SIGHUP
   * goes to a peer that still has it.
   */
  async heartbeat(keep?: readonly string[]): Promise<Map<string, Lease>> {
    try {
      const renewed = await this.options.board.heartbeat(this.id, this.options.me.zones, this.options.version, keep);
      this.held = new Map(renewed.map((l) => [l.cluster, l]));
    } catch (err) {
      this.held.clear();
      throw err;
    }
    return this.leases();
  }

  /**
   * One scheduled tick: heartbeat, plan, take the leases this instance should audit now,
   * then (after the grace) the ones no better-ranked peer took. Returns the clusters to
   * audit with the lease each run must be stored under.
   */
  async tick(clusters: readonly FleetCluster[]): Promise<TickResult> {
    const plan = await this.plan(clusters, []);
    const leases = new Map<string, Lease>();
    for (const name of plan.now) {
      const lease = await this.options.board.acquire(name, this.id);
      if (lease) leases.set(name, lease);
    }
    if (plan.afterGrace.length > 0) {
      await sleep(this.options.graceMs);
      for (const name of plan.afterGrace) {
        const lease = await this.options.board.acquire(name, this.id);
        if (lease) leases.set(name, lease);
      }
    }
    for (const [name, lease] of leases) this.held.set(name, lease);
    return { plan, leases };
  }

  /**
   * Between ticks: the clusters of this instance's reach whose lease is free or expired
   * (their holder died) and that this instance ranks first for among the live instances,
   * taken now so they are audited within one schedule interval. `busy`: the clusters of
   * a run in progress, whose leases are kept even if the config no longer names them.
   */
  async takeOver(clusters: readonly FleetCluster[], busy: readonly string[] = []): Promise<Map<string, Lease>> {
    const plan = await this.plan(clusters, busy);
    const taken = new Map<string, Lease>();
    for (const name of plan.now) {
      if (this.held.has(name)) continue;
      if (await this.options.board.holderOf(name)) continue;
      const lease = await this.options.board.acquire(name, this.id);
      if (lease) {
        taken.set(name, lease);
        this.held.set(name, lease);
      }
    }
    return taken;
  }

  /** Stopping: every lease back and the instance row gone, so peers rank without it at once. */
  async retire(): Promise<void> {
    await this.handBack([...this.held.keys()]);
    await this.options.board.retire(this.id);
  }

  /** Heartbeat (keeping the leases of `clusters` and `busy` only), then this instance's plan among the instances live now. */
  private async plan(clusters: readonly FleetCluster[], busy: readonly string[]): Promise<TickPlan> {
    await this.heartbeat([...clusters.map((c) => c.name), ...busy]);
    const live = (await this.options.board.liveInstances()).map((i) => ({ id: i.id, zones: i.zones }));
    return planTick(this.options.me, clusters, live, new Set(this.held.keys()));
  }

  /** After a run: give back the leases a better-ranked live peer should hold. */
  async handBack(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const lease = this.held.get(name);
      if (!lease) continue;
      await this.options.board.release(lease);
      this.held.delete(name);
    }
  }
}
