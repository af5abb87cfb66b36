/**
 * What `driftd serve` does to share clusters with other instances on one PostgreSQL
 * (README "Several instances"): before each run, which clusters this instance audits;
 * between runs, heartbeats and the takeover of a dead peer's clusters; at store time, the
 * guard that refuses a run whose lease was lost.
 *
 * Only with a PostgreSQL store. On SQLite one instance serves the database (the serve
 * lock) and audits every cluster.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import type { FleetCluster, TickPlan } from '../core/fleet/assign.js';
import type { Logger } from '../util/logger.js';
import { Coordinator, type GraceHooks } from './coordinator.js';
import { LeaseBoard, type Lease } from './leases.js';

/** The lease check inside the store's transaction: `?` placeholders, as the store writes SQL. */
export const LEASE_GUARD_SQL =
  'SELECT 1 AS held FROM driftd_leases WHERE cluster = ? AND holder = ? AND token = ? AND expires_at > now() FOR UPDATE';

/** What the guard needs of the store's transaction. */
export interface GuardTx {
  get(sql: string, params?: readonly (string | number)[]): Promise<unknown>;
}

/** How long dropping a failed lease connection waits for its goodbye. */
const DROP_WAIT_MS = 1000;

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface MembershipOptions {
  /** Opens a dedicated connection for the lease board (not the store's pool); called again after a lost one. */
  connect: () => Promise<Client>;
  id: string;
  zones: readonly string[];
  leaseMs: number;
  version: string;
  logger: Logger;
  /** How long a better-ranked live peer gets at a tick before this instance tries its clusters. */
  graceMs?: number;
}

/** What the daemon gives the heartbeat timer. */
export interface TimerHooks {
  /** The clusters of the current config (reloads included). */
  clusters: () => readonly FleetCluster[];
  /** Clusters taken over between ticks, or taken after a tick's grace, to audit now. */
  onTakeover: (share: RunShare) => void;
  /** The clusters of the run in progress: their leases are renewed even if a reload removed them. */
  busy: () => readonly string[];
  /** The clusters this instance holds after a heartbeat: the others are another instance's now. */
  onHeld: (held: ReadonlySet<string>) => void;
  /**
   * No heartbeat has succeeded for two thirds of a lease time: every lease this instance
   * holds lapses within the next third unless one succeeds, and then another instance may
   * take and export the clusters. Called at each heartbeat interval until one succeeds.
   */
  onLapsing: () => void;
}

/** One run's share: the clusters this instance audits now, with the lease each is stored under. */
export interface RunShare {
  plan: TickPlan;
  leases: Map<string, Lease>;
}

/** The share of clusters taken outside a tick (a takeover, or after a tick's grace): all of them to audit now. */
function shareOf(leases: Map<string, Lease>): RunShare {
  return { plan: { now: [...leases.keys()], afterGrace: [], skipped: [], handBack: [] }, leases };
}

export class FleetMembership {
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  /**
   * When the last heartbeat that succeeded was sent (performance.now()): PostgreSQL renewed
   * the leases after that, so they last at least one lease time past it.
   */
  private renewedAt = performance.now();
  private client: Client | null = null;
  private coordinator: Coordinator | null = null;
  /** The daemon's hooks (startTimers): where the clusters taken after a tick's grace go. */
  private hooks: TimerHooks | null = null;

  private constructor(private readonly options: MembershipOptions) {}

  /** Connects, creates the lease tables if needed and says this instance is alive. Throws when PostgreSQL cannot be reached. */
  static async join(options: MembershipOptions): Promise<FleetMembership> {
    const membership = new FleetMembership(options);
    await (await membership.ensure()).heartbeat();
    return membership;
  }

  get id(): string {
    return this.options.id;
  }

  /** The grace a better-ranked live peer gets at a tick; also how long a starting instance waits for peers starting with it. */
  get settleMs(): number {
    return this.options.graceMs ?? Math.min(5000, Math.floor(this.options.leaseMs / 4));
  }

  /** The clusters whose lease this instance holds (as of its last heartbeat or acquire). */
  held(): Set<string> {
    return new Set(this.coordinator?.leases().keys() ?? []);
  }

  private async ensure(): Promise<Coordinator> {
    if (this.coordinator) return this.coordinator;
    const client = await this.options.connect();
    try {
      const board = new LeaseBoard(client, this.options.leaseMs);
      await board.prepare();
      this.client = client;
      this.coordinator = new Coordinator({
        board,
        me: { id: this.options.id, zones: this.options.zones },
        version: this.options.version,
        graceMs: this.settleMs,
      });
      return this.coordinator;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /**
   * A failed call: the connection may be gone; the next call opens a new one. Leases held
   * lapse unless renewed in time. A connection that hangs (no answer, no reset) may never
   * confirm its goodbye: the wait for it is bounded, the socket is left to its keepalive.
   */
  private async drop(): Promise<void> {
    const client = this.client;
    this.client = null;
    // Its after-grace tries would run on the connection being closed.
    this.coordinator?.cancelGraces();
    this.coordinator = null;
    if (!client) return;
    await Promise.race([client.end().catch(() => undefined), sleep(DROP_WAIT_MS, undefined, { ref: false })]);
  }

  /**
   * At a scheduled tick: the clusters to audit now, at once. The clusters a better-ranked
   * live peer should take first are tried after the grace in the background, and those
   * this instance takes then go to the daemon as a later share (`onTakeover`, as a
   * takeover's). Throws when PostgreSQL cannot be reached (the run then fails and keeps
   * the previous view); the next call reconnects.
   */
  async share(clusters: readonly FleetCluster[]): Promise<RunShare> {
    const sent = performance.now();
    try {
      const coordinator = await this.ensure();
      const share = await coordinator.tick(clusters, this.graceHooks(coordinator));
      this.renewedAt = sent;
      return share;
    } catch (err) {
      await this.drop();
      throw new Error(
        `leases: PostgreSQL is unreachable or dropped the connection (${err instanceof Error ? err.message : String(err)}); this instance audits nothing until it can renew its leases`,
        {
          cause: err,
        },
      );
    }
  }

  /** Where a tick's after-grace clusters go; none before startTimers (nothing would audit them). */
  private graceHooks(coordinator: Coordinator): GraceHooks | undefined {
    const hooks = this.hooks;
    if (!hooks) return undefined;
    return {
      clusters: hooks.clusters,
      taken: (leases) => {
        this.options.logger.info(
          { clusters: [...leases.keys()] },
          'leases: took after the grace clusters no better-ranked live instance took',
        );
        hooks.onTakeover(shareOf(leases));
      },
      failed: (err) => {
        // A connection dropped and reopened since the tick is left alone.
        const dropped = this.coordinator === coordinator ? this.drop() : Promise.resolve();
        void dropped.then(() =>
          this.options.logger.error(
            { err: String(err) },
            'leases: taking the clusters left after the grace failed; a peer, a takeover or the next tick takes them',
          ),
        );
      },
    };
  }

  /** After the run: leases a better-ranked live peer should hold go back. */
  async afterRun(share: RunShare): Promise<void> {
    if (share.plan.handBack.length === 0) return;
    try {
      await (await this.ensure()).handBack(share.plan.handBack);
    } catch (err) {
      await this.drop();
      this.options.logger.warn({ err: String(err) }, 'leases: could not hand clusters back; they expire on their own');
    }
  }

  /**
   * The store-time check: throws LeaseLostError unless this instance still holds the
   * cluster's lease with the token the run started under (row locked until commit).
   */
  guard(lease: Lease): (tx: GuardTx) => Promise<void> {
    return async (tx) => {
      const row = await tx.get(LEASE_GUARD_SQL, [lease.cluster, lease.holder, lease.token]);
      if (row === undefined) {
        throw new LeaseLostError(
          `cluster ${lease.cluster}: this instance (${lease.holder}) lost its lease during the run (another instance took it over, or it was paused or cut off from PostgreSQL past its lease); the run is not stored`,
        );
      }
    };
  }

  /**
   * Heartbeats every leaseMs/3, and after each one the takeover of clusters whose holder
   * died: `onTakeover` gets the clusters to audit now with their leases.
   */
  startTimers(hooks: TimerHooks): void {
    if (this.timer) return;
    this.hooks = hooks;
    const every = Math.max(1000, Math.floor(this.options.leaseMs / 3));
    this.timer = setInterval(() => {
      // Checked even while a heartbeat hangs: no renewal confirmed for two thirds of a lease
      // time, so every lease lapses within the next third (before any peer can take one).
      if (performance.now() - this.renewedAt >= this.options.leaseMs - every) hooks.onLapsing();
      if (this.polling) return;
      this.polling = true;
      const sent = performance.now();
      this.ensure()
        .then((coordinator) => coordinator.takeOver(hooks.clusters(), hooks.busy()))
        .then((taken) => {
          this.renewedAt = sent;
          hooks.onHeld(this.held());
          if (taken.size > 0) {
            this.options.logger.info({ clusters: [...taken.keys()] }, 'leases: took over clusters no live instance held');
            hooks.onTakeover(shareOf(taken));
          }
        })
        .catch(async (err: unknown) => {
          await this.drop();
          this.options.logger.error(
            { err: String(err) },
            'leases: heartbeat failed; leases lapse unless it recovers within the lease time',
          );
        })
        .finally(() => {
          this.polling = false;
        });
    }, every);
    this.timer.unref();
  }

  /** Stops the timers and any grace wait, gives every lease back (peers take the clusters at once) and closes the connection. */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      await this.coordinator?.retire();
    } catch {
      // They expire on their own.
    }
    await this.drop();
  }
}
