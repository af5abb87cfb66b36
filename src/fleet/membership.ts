/**
 * What `driftd serve` does to share clusters with other instances on one PostgreSQL
 * (README "Several instances"): before each run, which clusters this instance audits;
 * between runs, heartbeats and the takeover of a dead peer's clusters; at store time, the
 * guard that refuses a run whose lease was lost.
 *
 * Only with a PostgreSQL store. On SQLite one instance serves the database (the serve
 * lock) and audits every cluster.
 */
import type { ClientBase } from 'pg';
import type { FleetCluster, TickPlan } from '../core/fleet/assign.js';
import type { Logger } from '../util/logger.js';
import { Coordinator } from './coordinator.js';
import { LeaseBoard, type Lease } from './leases.js';

/** The lease check inside the store's transaction: `?` placeholders, as the store writes SQL. */
export const LEASE_GUARD_SQL =
  'SELECT 1 AS held FROM driftd_leases WHERE cluster = ? AND holder = ? AND token = ? AND expires_at > now() FOR UPDATE';

/** What the guard needs of the store's transaction. */
export interface GuardTx {
  get(sql: string, params?: readonly (string | number)[]): Promise<unknown>;
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface MembershipOptions {
  /** A dedicated connection for the lease board (not the store's pool). */
  client: ClientBase;
  id: string;
  zones: readonly string[];
  leaseMs: number;
  version: string;
  logger: Logger;
  /** How long a better-ranked live peer gets at a tick before this instance tries its clusters. */
  graceMs?: number;
}

/** One run's share: the clusters this instance audits now, with the lease each is stored under. */
export interface RunShare {
  plan: TickPlan;
  leases: Map<string, Lease>;
}

export class FleetMembership {
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  private constructor(
    private readonly options: MembershipOptions,
    private readonly coordinator: Coordinator,
  ) {}

  static async join(options: MembershipOptions): Promise<FleetMembership> {
    const board = new LeaseBoard(options.client, options.leaseMs);
    await board.prepare();
    const coordinator = new Coordinator({
      board,
      me: { id: options.id, zones: options.zones },
      version: options.version,
      graceMs: options.graceMs ?? Math.min(5000, Math.floor(options.leaseMs / 4)),
    });
    await coordinator.heartbeat();
    return new FleetMembership(options, coordinator);
  }

  get id(): string {
    return this.options.id;
  }

  /** At a scheduled tick: the clusters to audit now. PostgreSQL unreachable: none (and the error is logged). */
  async share(clusters: readonly FleetCluster[]): Promise<RunShare> {
    try {
      return await this.coordinator.tick(clusters);
    } catch (err) {
      this.options.logger.error({ err: String(err) }, 'leases: PostgreSQL unreachable; this instance audits nothing until it can renew');
      return { plan: { now: [], afterGrace: [], skipped: [], handBack: [] }, leases: new Map() };
    }
  }

  /** After the run: leases a better-ranked live peer should hold go back. */
  async afterRun(share: RunShare): Promise<void> {
    try {
      await this.coordinator.handBack(share.plan.handBack);
    } catch (err) {
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
  startTimers(clusters: () => readonly FleetCluster[], onTakeover: (share: RunShare) => void): void {
    if (this.timer) return;
    const every = Math.max(1000, Math.floor(this.options.leaseMs / 3));
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      this.coordinator
        .takeOver(clusters())
        .then((taken) => {
          if (taken.size > 0) {
            this.options.logger.info({ clusters: [...taken.keys()] }, 'leases: took over clusters whose instance stopped renewing');
            onTakeover({ plan: { now: [...taken.keys()], afterGrace: [], skipped: [], handBack: [] }, leases: taken });
          }
        })
        .catch((err: unknown) => {
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

  /** Stops the timers and gives every lease back, so peers take the clusters at once. */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      await this.coordinator.handBack([...this.coordinator.leases().keys()]);
    } catch {
      // They expire on their own.
    }
  }
}
