/**
 * One instance's side of sharing clusters with its peers (README "Several instances"):
 * heartbeats that keep its leases, the tick that decides which clusters it audits, and the
 * takeover check that picks up the clusters of a peer that died between ticks.
 *
 * The plan (which instance should try first) is pure (src/core/fleet/assign.ts); the
 * lease in PostgreSQL decides. A tick returns at once with the clusters this instance
 * holds or ranks first for; the others are tried in the background after the grace a
 * better-ranked peer gets, and those taken then are handed over as a later share. A run
 * is stored only under a lease still held (`holdsInTx`, in the store's transaction).
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

/** Where a tick's after-grace clusters go: tried in the background once the grace is over. */
export interface GraceHooks {
  /** The clusters of the config when the grace ends: one a reload removed meanwhile is not taken. */
  clusters: () => readonly FleetCluster[];
  /** The after-grace clusters this instance took (no better-ranked peer did), with their leases; not called when it took none. */
  taken: (leases: Map<string, Lease>) => void;
  /** PostgreSQL failed while taking them: the ones not handed over are left to the peers and the next tick. */
  failed: (err: unknown) => void;
}

export class Coordinator {
  private held = new Map<string, Lease>();
  /** Aborted when the instance retires or its connection is dropped: ends every grace wait. */
  private readonly closing = new AbortController();
  /** The after-grace tries in progress (waiting or acquiring). */
  private readonly graces = new Set<Promise<void>>();

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
   * One scheduled tick: heartbeat, plan, take the leases this instance should audit now
   * and return them at once (the run of those clusters starts without waiting). With
   * `later`, the clusters a better-ranked live peer should take first are tried after the
   * grace, in the background; those still free then go to `later.taken`.
   */
  async tick(clusters: readonly FleetCluster[], later?: GraceHooks): Promise<TickResult> {
    const plan = await this.plan(clusters, []);
    const leases = new Map<string, Lease>();
    for (const name of plan.now) {
      const lease = await this.options.board.acquire(name, this.id);
      if (lease) {
        leases.set(name, lease);
        this.held.set(name, lease);
      }
    }
    if (later && plan.afterGrace.length > 0 && !this.closing.signal.aborted) this.afterGrace(plan.afterGrace, later);
    return { plan, leases };
  }

  /**
   * After the grace, the clusters of `names` that the config still names, that this
   * instance does not hold yet (a takeover may have taken one meanwhile) and that no peer
   * took. The wait is an unref'd timer, ended by `cancelGraces` (retire, a dropped
   * connection): nothing is acquired after that, nor handed over.
   */
  private afterGrace(names: readonly string[], hooks: GraceHooks): void {
    const signal = this.closing.signal;
    const attempt = async (): Promise<void> => {
      const taken = new Map<string, Lease>();
      try {
        await sleep(this.options.graceMs, undefined, { signal, ref: false });
        const named = new Set(hooks.clusters().map((c) => c.name));
        for (const name of names) {
          if (signal.aborted) return;
          if (!named.has(name) || this.held.has(name)) continue;
          const lease = await this.options.board.acquire(name, this.id);
          if (lease) {
            taken.set(name, lease);
            this.held.set(name, lease);
          }
        }
      } catch (err) {
        if (!signal.aborted) hooks.failed(err);
        return;
      }
      if (taken.size > 0 && !signal.aborted) hooks.taken(taken);
    };
    // A hook that throws must not become an unhandled rejection; the hooks log their own failures.
    const work = attempt().catch(() => undefined);
    this.graces.add(work);
    void work.then(() => this.graces.delete(work));
  }

  /** Ends every grace wait at once (the instance stops or its connection is gone): nothing more is taken after the grace. */
  cancelGraces(): void {
    this.closing.abort();
  }

  /** Resolves when the after-grace tries started so far are over (taken and handed over, or failed). */
  async gracesSettled(): Promise<void> {
    await Promise.all(this.graces);
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
    // A lease taken after the grace while retiring is in `held` once its try settles, and goes back too.
    this.cancelGraces();
    await this.gracesSettled();
    await this.handBack([...this.held.keys()]);
    await this.options.board.retire(this.id);
  }

  /** Heartbeat (keeping the leases of `clusters` and `busy` only), then this instance's plan among the instances live now. */
  private async plan(clusters: readonly FleetCluster[], busy: readonly string[]): Promise<TickPlan> {
    await this.heartbeat([...clusters.map((c) => c.name), ...busy]);
    const live = (await this.options.board.liveInstances()).map((i): InstanceInfo => ({
      id: i.id,
      zones: i.zones,
      ...(i.clusters === undefined ? {} : { clusters: new Set(i.clusters) }),
    }));
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
