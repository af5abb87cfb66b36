/**
 * `driftd serve` on PostgreSQL joins the instances sharing the database: a dedicated
 * connection for the lease board, with the store's connection settings (password from
 * databasePasswordFile or PGPASSWORD, TLS), `pg` loaded only here.
 */
import { hostname } from 'node:os';
import type { Client } from 'pg';
import type { InstanceConfig } from '../config/schema.js';
import { poolConfig, type PostgresOptions } from '../store/pg-driver.js';
import type { Logger } from '../util/logger.js';
import { FleetMembership } from './membership.js';

export async function joinFleet(
  target: string,
  postgres: PostgresOptions,
  instance: InstanceConfig,
  version: string,
  logger: Logger,
): Promise<FleetMembership> {
  const leaseMs = instance.leaseSeconds * 1000;
  // A lease statement unanswered within one lease time fails (the leases are lost by then
  // anyway) and the connection is dropped and reopened: a hung connection cannot keep the
  // heartbeat waiting forever, nor the instance believing it holds anything.
  const { max: _max, ...config } = poolConfig(target, { ...postgres, queryTimeoutMs: leaseMs, idleInTransactionTimeoutMs: leaseMs });
  const pg = (await import('pg')).default;
  const connect = async (): Promise<Client> => {
    const client = new pg.Client(config);
    // A dropped connection emits here; the next lease call fails and reconnects.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  return FleetMembership.join({
    connect,
    id: instance.id ?? hostname(),
    zones: instance.zones,
    leaseMs,
    version,
    logger,
  });
}
