/**
 * The lease board: several `driftd serve` on one PostgreSQL share the clusters through
 * rows in PostgreSQL, with no consensus or queue of driftd's own (README "Several
 * instances").
 *
 * - Every instance upserts its row in `driftd_instances` (its zones, `seen_at`) on each
 *   heartbeat; an instance not seen for one lease time is gone.
 * - A cluster is audited only under its lease in `driftd_leases`: one row per cluster with
 *   the holder, a fencing token and an expiry. Acquiring is one statement that succeeds
 *   only when the row is free or expired; every change of holder increments the token,
 *   and a lease is never deleted, so tokens only grow.
 * - A run is stored only if, inside the store's own transaction, the lease row still names
 *   this instance with the token it started under and has not expired (`holdsInTx`, row
 *   locked FOR UPDATE until commit, so a takeover cannot slip in between). An instance
 *   that was paused past its lease, or cut off from PostgreSQL, therefore cannot write a
 *   run once another instance has taken the cluster over: no split brain.
 *
 * Every time is PostgreSQL's `now()`: the instances' clocks never decide who holds a lease.
 */
import type { ClientBase } from 'pg';

/** The lease tables (PostgreSQL only: with SQLite one driftd serves a database). */
export const LEASE_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS driftd_instances (
  id         TEXT        PRIMARY KEY,
  zones      TEXT[]      NOT NULL,
  version    TEXT        NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  seen_at    TIMESTAMPTZ NOT NULL
);
-- The clusters the instance's config names (NULL: not published, e.g. an older driftd).
-- Added only when missing: ALTER TABLE locks the table even when it has nothing to do.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'driftd_instances' AND column_name = 'clusters') THEN
    ALTER TABLE driftd_instances ADD COLUMN clusters TEXT[];
  END IF;
END $$;
CREATE TABLE IF NOT EXISTS driftd_leases (
  cluster     TEXT        PRIMARY KEY,
  holder      TEXT        NOT NULL,
  token       BIGINT      NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);
`;

/**
 * What the board needs: one dedicated node-postgres connection (a Client or a PoolClient
 * kept for the board; not a Pool, since prepare() sets a session setting).
 */
export type Queryable = Pick<ClientBase, 'query'>;

/** A lease this instance holds: the token fences every write made under it. */
export interface Lease {
  cluster: string;
  holder: string;
  token: number;
  expiresAt: string;
}

export interface LiveInstance {
  id: string;
  zones: string[];
  /** The clusters it last published (its config and runs in progress); undefined: not published. */
  clusters?: string[];
  version: string;
  seenAt: string;
}

/** How long a lock wait on a lease row may take before the operation gives up (a peer mid-commit). */
const LOCK_TIMEOUT = '2s';

function ms(value: number): string {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`lease time must be a positive integer of milliseconds, not ${value}`);
  return String(value);
}

interface LeaseRow {
  cluster: string;
  holder: string;
  token: string;
  expires_at: Date;
}

function toLease(row: LeaseRow): Lease {
  return { cluster: row.cluster, holder: row.holder, token: Number(row.token), expiresAt: row.expires_at.toISOString() };
}

export class LeaseBoard {
  constructor(
    private readonly db: Queryable,
    /** A lease (and an instance's liveness) lasts this long after its last renewal. */
    readonly leaseMs: number,
  ) {
    ms(leaseMs);
  }

  /**
   * Creates the tables if needed and bounds lock waits on this connection: a takeover
   * waiting on a peer's commit gives up after LOCK_TIMEOUT rather than hanging a tick.
   */
  async prepare(): Promise<void> {
    // Instances starting together would race on CREATE TABLE IF NOT EXISTS (PostgreSQL
    // reports a duplicate type); one transaction-scoped advisory lock serialises them.
    await this.db.query('BEGIN');
    try {
      await this.db.query("SELECT pg_advisory_xact_lock(hashtext('driftd:lease-schema'))");
      await this.db.query(LEASE_SCHEMA_SQL);
      await this.db.query('COMMIT');
    } catch (err) {
      await this.db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await this.db.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
  }

  /**
   * Says this instance is alive and renews the leases it still holds. Returns the
   * clusters it holds afterwards: a lease that expired before this renewal is not
   * revived (another instance may be auditing the cluster already).
   *
   * With `keep`, only the leases of those clusters are renewed; any other lease this
   * instance holds is given up at once (a cluster removed from its config by SIGHUP, or
   * held by a previous incarnation of the same id), so a peer that has it takes it at its
   * next heartbeat instead of never.
   */
  async heartbeat(id: string, zones: readonly string[], version: string, keep?: readonly string[]): Promise<Lease[]> {
    // `keep` is also what the instance publishes as its clusters, so peers do not rank it
    // for a cluster its config lacks; a heartbeat without it leaves the last list.
    await this.db.query(
      `INSERT INTO driftd_instances (id, zones, version, clusters, started_at, seen_at) VALUES ($1, $2, $3, $4, now(), now())
       ON CONFLICT (id) DO UPDATE SET zones = EXCLUDED.zones, version = EXCLUDED.version,
         clusters = COALESCE(EXCLUDED.clusters, driftd_instances.clusters), seen_at = now()`,
      [id, [...zones], version, keep === undefined ? null : [...keep]],
    );
    // Rows locked right now are skipped, not waited for: the only holder of a lock on this
    // instance's lease is its own run committing under it (holdsInTx), which must not make
    // the heartbeat fail. Reading the leases back takes no lock (MVCC).
    const kept = keep === undefined ? '' : 'AND cluster = ANY($3)';
    await this.db.query(
      `UPDATE driftd_leases SET expires_at = now() + $2 * interval '1 millisecond'
       WHERE cluster IN (SELECT cluster FROM driftd_leases WHERE holder = $1 AND expires_at > now() ${kept} FOR UPDATE SKIP LOCKED)`,
      keep === undefined ? [id, ms(this.leaseMs)] : [id, ms(this.leaseMs), [...keep]],
    );
    if (keep !== undefined) {
      // Expired now, token kept (as release does), so tokens never repeat.
      await this.db.query(
        `UPDATE driftd_leases SET expires_at = now()
         WHERE cluster IN (SELECT cluster FROM driftd_leases WHERE holder = $1 AND expires_at > now() AND NOT (cluster = ANY($2)) FOR UPDATE SKIP LOCKED)`,
        [id, [...keep]],
      );
    }
    const renewed = await this.db.query<LeaseRow>(
      `SELECT cluster, holder, token, expires_at FROM driftd_leases WHERE holder = $1 AND expires_at > now()`,
      [id],
    );
    return renewed.rows.map(toLease).sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  }

  /** The instances seen within one lease time, by id. */
  async liveInstances(): Promise<LiveInstance[]> {
    const result = await this.db.query<{ id: string; zones: string[]; clusters: string[] | null; version: string; seen_at: Date }>(
      `SELECT id, zones, clusters, version, seen_at FROM driftd_instances
       WHERE seen_at > now() - $1 * interval '1 millisecond' ORDER BY id`,
      [ms(this.leaseMs)],
    );
    return result.rows.map((r) => ({
      id: r.id,
      zones: r.zones,
      ...(r.clusters === null ? {} : { clusters: r.clusters }),
      version: r.version,
      seenAt: r.seen_at.toISOString(),
    }));
  }

  /**
   * Takes or keeps the cluster's lease. Keeps the token when this instance still holds
   * it; takes a free or expired one with a new token; returns null while another
   * instance holds it (or its row is locked by a commit in progress).
   */
  async acquire(cluster: string, id: string): Promise<Lease | null> {
    const kept = await this.db.query<LeaseRow>(
      `UPDATE driftd_leases SET expires_at = now() + $3 * interval '1 millisecond'
       WHERE cluster = $1 AND holder = $2 AND expires_at > now()
       RETURNING cluster, holder, token, expires_at`,
      [cluster, id, ms(this.leaseMs)],
    );
    if (kept.rows[0]) return toLease(kept.rows[0]);
    try {
      const taken = await this.db.query<LeaseRow>(
        `INSERT INTO driftd_leases (cluster, holder, token, acquired_at, expires_at)
         VALUES ($1, $2, 1, now(), now() + $3 * interval '1 millisecond')
         ON CONFLICT (cluster) DO UPDATE
           SET holder = EXCLUDED.holder, token = driftd_leases.token + 1, acquired_at = now(), expires_at = EXCLUDED.expires_at
           WHERE driftd_leases.expires_at <= now()
         RETURNING cluster, holder, token, expires_at`,
        [cluster, id, ms(this.leaseMs)],
      );
      return taken.rows[0] ? toLease(taken.rows[0]) : null;
    } catch (err) {
      // 55P03 lock_not_available: a peer is committing a run under this lease right now.
      if (isPgError(err) && err.code === '55P03') return null;
      throw err;
    }
  }

  /**
   * Gives the lease up (after a run, when another instance should audit the cluster): it
   * expires now and keeps its token, so tokens never repeat.
   */
  async release(lease: Lease): Promise<void> {
    await this.db.query(`UPDATE driftd_leases SET expires_at = now() WHERE cluster = $1 AND holder = $2 AND token = $3`, [
      lease.cluster,
      lease.holder,
      lease.token,
    ]);
  }

  /** This instance stops: it is no longer live, so the next-ranked instances take its clusters at once. */
  async retire(id: string): Promise<void> {
    await this.db.query('DELETE FROM driftd_instances WHERE id = $1', [id]);
  }

  /** Who holds the cluster now (null: nobody, or expired). */
  async holderOf(cluster: string): Promise<Lease | null> {
    const result = await this.db.query<LeaseRow>(
      `SELECT cluster, holder, token, expires_at FROM driftd_leases WHERE cluster = $1 AND expires_at > now()`,
      [cluster],
    );
    return result.rows[0] ? toLease(result.rows[0]) : null;
  }
}

/**
 * Inside the transaction that stores a run: true when the lease still names this holder
 * and token and has not expired. The row stays locked until the transaction ends, so no
 * takeover can happen between this check and the commit.
 */
export async function holdsInTx(tx: Queryable, lease: Lease): Promise<boolean> {
  const result = await tx.query(
    `SELECT 1 FROM driftd_leases WHERE cluster = $1 AND holder = $2 AND token = $3 AND expires_at > now() FOR UPDATE`,
    [lease.cluster, lease.holder, lease.token],
  );
  return (result.rowCount ?? 0) > 0;
}

function isPgError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}
