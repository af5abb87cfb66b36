/**
 * The lease board on a real PostgreSQL (test/helpers/postgres.ts): one holder per cluster,
 * takeover only after expiry with a new fencing token, and a holder that was paused or
 * cut off cannot store a run once another instance took over.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { holdsInTx, LeaseBoard } from '../../src/fleet/leases.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { usePostgresClients } from '../helpers/pg-clients.js';

const LEASE_MS = 600;

describe.skipIf(!postgresAvailable)(`leases on a real PostgreSQL ${postgresSkipReason}`, () => {
  const pgs = usePostgresClients();
  const connect = (): Promise<pg.Client> => pgs.connect();

  async function board(): Promise<{ client: pg.Client; board: LeaseBoard }> {
    const client = await connect();
    const b = new LeaseBoard(client, LEASE_MS);
    await b.prepare();
    return { client, board: b };
  }

  it('one holder per cluster; the holder keeps its token; a peer gets nothing while it is held', async () => {
    const a = await board();
    const b = await board();
    const first = await a.board.acquire('erp', 'driftd-a');
    expect(first).toMatchObject({ cluster: 'erp', holder: 'driftd-a' });
    expect(await b.board.acquire('erp', 'driftd-b')).toBeNull();
    const again = await a.board.acquire('erp', 'driftd-a');
    expect(again?.token).toBe(first?.token);
    expect((await b.board.holderOf('erp'))?.holder).toBe('driftd-a');
  });

  it('a holder that stops renewing (died) loses the cluster after one lease time, to a new token', async () => {
    const a = await board();
    const b = await board();
    const held = await a.board.acquire('crm', 'driftd-a');
    if (!held) throw new Error('driftd-a did not get the free lease');
    await a.board.heartbeat('driftd-a', [], 'test');
    expect(await b.board.acquire('crm', 'driftd-b')).toBeNull();
    await sleep(LEASE_MS + 200);
    // Expired and not yet taken: still no licence to store a run.
    await a.client.query('BEGIN');
    expect(await holdsInTx(a.client, held)).toBe(false);
    await a.client.query('ROLLBACK');
    const taken = await b.board.acquire('crm', 'driftd-b');
    expect(taken).toMatchObject({ holder: 'driftd-b', token: held.token + 1 });
    // driftd-a comes back (it was only paused): its lease is not revived by a heartbeat,
    // and it cannot store the run it had started.
    expect((await a.board.heartbeat('driftd-a', [], 'test')).map((l) => l.cluster)).not.toContain('crm');
    await a.client.query('BEGIN');
    expect(await holdsInTx(a.client, held)).toBe(false);
    await a.client.query('ROLLBACK');
    await b.client.query('BEGIN');
    expect(await holdsInTx(b.client, taken!)).toBe(true);
    await b.client.query('ROLLBACK');
  });

  it('heartbeats keep a lease alive past its lease time, and list the instance as live', async () => {
    const a = await board();
    const b = await board();
    await a.board.acquire('sap', 'driftd-a');
    for (let i = 0; i < 5; i++) {
      await sleep(LEASE_MS / 3);
      expect((await a.board.heartbeat('driftd-a', ['dc1'], 'test')).map((l) => l.cluster)).toContain('sap');
    }
    expect(await b.board.acquire('sap', 'driftd-b')).toBeNull();
    const live = await b.board.liveInstances();
    expect(live.find((i) => i.id === 'driftd-a')).toMatchObject({ zones: ['dc1'], version: 'test' });
    expect(live.find((i) => i.id === 'driftd-a')?.clusters).toBeUndefined();
  });

  it('an instance publishes the clusters it keeps; a heartbeat without them leaves the last list', async () => {
    const a = await board();
    await a.board.heartbeat('driftd-a', [], 'test', ['erp', 'crm']);
    expect((await a.board.liveInstances()).find((i) => i.id === 'driftd-a')?.clusters).toEqual(['erp', 'crm']);
    await a.board.heartbeat('driftd-a', [], 'test');
    expect((await a.board.liveInstances()).find((i) => i.id === 'driftd-a')?.clusters).toEqual(['erp', 'crm']);
    await a.board.heartbeat('driftd-a', [], 'test', ['erp']);
    expect((await a.board.liveInstances()).find((i) => i.id === 'driftd-a')?.clusters).toEqual(['erp']);
  });

  it('adds the clusters column to a lease board created by an older driftd, and stays compatible with its rows', async () => {
    const a = await board();
    await a.client.query('ALTER TABLE driftd_instances DROP COLUMN clusters');
    await a.client.query(
      "INSERT INTO driftd_instances (id, zones, version, started_at, seen_at) VALUES ('old', '{}', 'old', now(), now())",
    );
    await a.board.prepare();
    const old = (await a.board.liveInstances()).find((i) => i.id === 'old');
    expect(old).toMatchObject({ id: 'old', version: 'old' });
    expect(old?.clusters).toBeUndefined();
  });

  it('a takeover cannot slip in between the holder checking its lease and committing its run', async () => {
    const a = await board();
    const b = await board();
    const held = await a.board.acquire('hana', 'driftd-a');
    if (!held) throw new Error('no lease');
    await a.client.query('BEGIN');
    expect(await holdsInTx(a.client, held)).toBe(true);
    // The lease expires while driftd-a is committing: driftd-b waits on the row lock, gives
    // up after lock_timeout (2 s) and does not take the cluster.
    await sleep(LEASE_MS + 200);
    expect(await b.board.acquire('hana', 'driftd-b')).toBeNull();
    await a.client.query('COMMIT');
    // Once the commit is done, the expired lease goes to driftd-b with a new token.
    expect(await b.board.acquire('hana', 'driftd-b')).toMatchObject({ holder: 'driftd-b', token: held.token + 1 });
  }, 15_000);

  it('a heartbeat does not wait for (or fail on) its own run committing under the lease', async () => {
    const a = await board();
    const committing = await connect();
    const held = await a.board.acquire('ldap', 'driftd-a');
    if (!held) throw new Error('no lease');
    await committing.query('BEGIN');
    expect(await holdsInTx(committing, held)).toBe(true);
    const started = Date.now();
    const leases = await a.board.heartbeat('driftd-a', [], 'test');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(leases.map((l) => l.cluster)).toContain('ldap');
    await committing.query('COMMIT');
  });

  it('an instance cut off from PostgreSQL fails its calls and loses the cluster; the peer takes over', async () => {
    const a = await board();
    const b = await board();
    const held = await a.board.acquire('nfs', 'driftd-a');
    if (!held) throw new Error('no lease');
    const pid = (await a.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    await b.client.query('SELECT pg_terminate_backend($1)', [pid]);
    await expect(a.board.heartbeat('driftd-a', [], 'test')).rejects.toThrow();
    await sleep(LEASE_MS + 200);
    expect(await b.board.acquire('nfs', 'driftd-b')).toMatchObject({ holder: 'driftd-b', token: held.token + 1 });
  });

  it('release hands the cluster over at once and tokens never repeat', async () => {
    const a = await board();
    const b = await board();
    const held = await a.board.acquire('dns', 'driftd-a');
    if (!held) throw new Error('no lease');
    await a.board.release(held);
    const next = await b.board.acquire('dns', 'driftd-b');
    expect(next?.token).toBe(held.token + 1);
    await b.board.release(next!);
    expect((await a.board.acquire('dns', 'driftd-a'))?.token).toBe(held.token + 2);
  });

  it('refuses a lease time that is not a positive integer of milliseconds', async () => {
    const client = await connect();
    expect(() => new LeaseBoard(client, 0)).toThrow(/positive integer/);
    expect(() => new LeaseBoard(client, 1.5)).toThrow(/positive integer/);
  });
});
