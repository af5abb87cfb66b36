/**
 * Two real `driftd serve` processes on one real PostgreSQL, one of them frozen or cut off
 * in the middle of its work (README "Several instances", failure table):
 *
 * - paused (SIGSTOP) in the middle of a run past its lease: the other takes the cluster
 *   over and stores runs; resumed (SIGCONT), the paused one does not store the run it
 *   was doing (its log says it lost its lease);
 * - cut off from PostgreSQL by a TCP relay that resets connections, or that hangs them
 *   (nothing passes, nothing is reset): it stops auditing and says why, the other takes
 *   its clusters over within the lease time and a heartbeat, and when the relay is
 *   restored it rejoins and takes its share back;
 * - reloaded (SIGHUP) with a config without one of its clusters: it gives the lease up and
 *   the other instance, whose config still has the cluster, takes it and audits it.
 *
 * Throughout: no two runs of one cluster from different instances overlap in time (the
 * runs table, meta.instance), and `driftd history verify` passes. Nodes sit behind a
 * real sshd whose forced command sleeps before running driftd's batch, so a run lasts
 * a few seconds and a signal lands in the middle of one.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sshdAvailable, sshdSkipReason, startSshd, type SshdServer } from '../helpers/sshd.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { usePostgresClients } from '../helpers/pg-clients.js';
import { startTcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { driftd } from '../hostile/cli-driftd.js';
import { spawnServe, waitFor as waitUntil, type ServeProcess } from '../hostile/serve-process.js';

const LEASE_SECONDS = 5;
const HEARTBEAT_MS = Math.floor((LEASE_SECONDS * 1000) / 3);
/** How long each node takes to answer (the sshd forced command sleeps first). */
const NODE_SECONDS = 3;

interface Instance {
  id: string;
  serve: ServeProcess;
  config: string;
  base: string;
}

interface RunRow {
  id: number;
  cluster: string;
  instance: string;
  start: number;
  finish: number;
}

describe.skipIf(!postgresAvailable || !sshdAvailable)(
  `driftd serve instances paused or cut off from PostgreSQL ${postgresSkipReason} ${sshdSkipReason}`,
  () => {
    const pgs = usePostgresClients();
    let dir: string;
    let sshd: SshdServer;
    const started: Instance[] = [];
    const relays: TcpRelay[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'driftd-partition-'));
      // A slow node: the forced command sleeps, then runs driftd's batch (read from stdin) as usual.
      const slow = path.join(dir, 'slow-node.sh');
      writeFileSync(slow, `#!/bin/sh\n/bin/sleep ${NODE_SECONDS}\nexec /bin/sh -s\n`, { mode: 0o755 });
      sshd = await startSshd({ authorizedKeyOptions: `command="${slow}"` });
    }, 60_000);

    afterAll(async () => {
      for (const i of started) {
        // A stopped process ignores SIGTERM until continued; SIGKILL ends it either way.
        i.serve.child.kill('SIGCONT');
        i.serve.kill();
      }
      for (const r of relays) await r.close();
      await sshd?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    function config(id: string, port: number, dbPort: number, clusters: readonly string[]): string {
      const server = pgs.server();
      const lines = [
        `database: postgresql://${server.user}@127.0.0.1:${dbPort}/${server.database}`,
        `databasePasswordFile: ${server.passwordFile}`,
        `listen: 127.0.0.1:${port}`,
        'schedule: "*/2 * * * * *"',
        `instance: { id: ${id}, leaseSeconds: ${LEASE_SECONDS} }`,
        'failover: { simulate: false }',
        'clusters:',
        ...clusters.flatMap((name) => [
          `  - name: ${name}`,
          '    facets: [os]',
          '    nodes:',
          `      - { name: ${name}-n1, host: ${sshd.host}, port: ${sshd.port}, ssh: { user: ${sshd.user}, identityFile: ${sshd.identityFile}, knownHosts: ${sshd.knownHosts} } }`,
        ]),
      ];
      const file = path.join(dir, `${id}.yaml`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    }

    async function start(id: string, clusters: readonly string[], dbPort = pgs.server().port): Promise<Instance> {
      const port = await freePort('127.0.0.1');
      const file = config(id, port, dbPort, clusters);
      const instance = { id, serve: spawnServe(file, { PGPASSWORD: '' }), config: file, base: `http://127.0.0.1:${port}` };
      started.push(instance);
      return instance;
    }

    /** Stops an instance by its PID: continued if paused, SIGTERM, SIGKILL if it does not exit. */
    async function stop(i: Instance): Promise<void> {
      const child: ChildProcess = i.serve.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => i.serve.kill(), 15_000);
      await i.serve.exited;
      clearTimeout(timer);
    }

    async function holders(prefix: string): Promise<Map<string, string>> {
      const client = await pgs.connect();
      try {
        const rows = (
          await client.query<{ cluster: string; holder: string }>(
            'SELECT cluster, holder FROM driftd_leases WHERE expires_at > now() AND cluster LIKE $1',
            [`${prefix}%`],
          )
        ).rows;
        return new Map(rows.map((r) => [r.cluster, r.holder]));
      } finally {
        await client.end();
      }
    }

    async function runs(prefix: string): Promise<RunRow[]> {
      const client = await pgs.connect();
      try {
        const rows = (
          await client.query<{ id: string; cluster: string; started_at: string; finished_at: string; meta: string | null }>(
            'SELECT id, cluster, started_at, finished_at, meta FROM runs WHERE cluster LIKE $1 ORDER BY id',
            [`${prefix}%`],
          )
        ).rows;
        return rows.map((r) => ({
          id: Number(r.id),
          cluster: r.cluster,
          instance: String((JSON.parse(r.meta ?? '{}') as { instance?: unknown }).instance),
          start: Date.parse(r.started_at),
          finish: Date.parse(r.finished_at),
        }));
      } finally {
        await client.end();
      }
    }

    async function metricsClusters(i: Instance, prefix: string): Promise<string[]> {
      const text = await (await fetch(`${i.base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const names = [...text.matchAll(/^driftd_cluster_ready\{cluster="([^"]+)"/gm)].map((m) => m[1] ?? '');
      return [...new Set(names)].filter((n) => n.startsWith(prefix)).sort();
    }

    /**
     * Scrapes both instances' /metrics every 250 ms until stopped and records every cluster
     * seen in both scrapes of one round (an instance not answering, e.g. stopped, is skipped).
     */
    function watchDoubleExport(a: Instance, b: Instance, prefix: string): { stop: () => Promise<string[]> } {
      const doubles: string[] = [];
      let running = true;
      const loop = (async () => {
        while (running) {
          const [ma, mb] = await Promise.all([
            metricsClusters(a, prefix).catch((): string[] => []),
            metricsClusters(b, prefix).catch((): string[] => []),
          ]);
          for (const c of ma) if (mb.includes(c)) doubles.push(`${c} at ${new Date().toISOString()}`);
          await sleep(250);
        }
      })();
      return {
        stop: async () => {
          running = false;
          await loop;
          return doubles;
        },
      };
    }

    /** Pairs of runs of one cluster, from different instances, whose [start, finish] overlap: a split brain. */
    function overlapping(rows: readonly RunRow[]): string[] {
      const found: string[] = [];
      for (const a of rows) {
        for (const b of rows) {
          if (a.id < b.id && a.cluster === b.cluster && a.instance !== b.instance && a.start < b.finish && b.start < a.finish) {
            found.push(`${a.cluster}: run ${a.id} (${a.instance}) and run ${b.id} (${b.instance})`);
          }
        }
      }
      return found;
    }

    async function historyVerifies(i: Instance): Promise<void> {
      const result = await driftd(['history', 'verify', '--config', i.config], { env: { PGPASSWORD: '' } });
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    }

    function context(...instances: Instance[]): () => string {
      const pick = (o: string): string =>
        o
          .split('\n')
          .filter((l) => /lease|serving|"level":[456]0|run (started|stored)/.test(l))
          .join('\n')
          .slice(-3000);
      return () => instances.map((i) => `--- ${i.id}:\n${pick(i.serve.output())}`).join('\n');
    }

    function count(text: string, needle: string): number {
      return text.split(needle).length - 1;
    }

    it('an instance paused (SIGSTOP) in the middle of a run past its lease does not store that run; the other takes over', async () => {
      const clusters = ['p-1', 'p-2'];
      const a = await start('pause-a', clusters);
      const b = await start('pause-b', clusters);
      const ctx = context(a, b);
      try {
        // Both up, every cluster held and audited at least once.
        await waitFor(
          async () => (await holders('p-')).size === 2 && new Set((await runs('p-')).map((r) => r.cluster)).size === 2,
          90_000,
          ctx,
        );
        const cluster = 'p-1';
        const holder = (await holders('p-')).get(cluster);
        const [x, y] = holder === a.id ? [a, b] : [b, a];
        // Wait for x to start a new run (it holds p-1, so the run includes it), then let it
        // get into the node's answer before freezing it.
        const before = count(x.serve.output(), '"msg":"run started"');
        await waitFor(() => Promise.resolve(count(x.serve.output(), '"msg":"run started"') > before), 30_000, ctx);
        await sleep(1000);
        expect((await holders('p-')).get(cluster)).toBe(x.id);
        const watch = watchDoubleExport(a, b, 'p-');
        const pausedAt = Date.now();
        x.serve.child.kill('SIGSTOP');

        // y takes p-1 over (x is no longer live once its lease lapses) and stores runs of it.
        await waitFor(async () => (await runs(cluster)).some((r) => r.instance === y.id && r.start > pausedAt), 60_000, ctx);
        const storedByYWithinMs = Date.now() - pausedAt;

        const lostBefore = count(x.serve.output(), 'lost its lease during the run');
        x.serve.child.kill('SIGCONT');
        // x finishes the run it was doing: refused at store time (or, were the guard
        // missing, stored: the assertions below then show the split brain).
        const pausedRun = (rows: readonly RunRow[]): RunRow[] =>
          rows.filter((r) => r.instance === x.id && r.start < pausedAt && r.finish > pausedAt);
        await waitFor(
          async () => count(x.serve.output(), 'lost its lease during the run') > lostBefore || pausedRun(await runs(cluster)).length > 0,
          30_000,
          ctx,
        );
        // A few more ticks with both instances running.
        await sleep(4000);
        const rows = await runs('p-');
        expect(overlapping(rows), ctx()).toEqual([]);
        expect(await watch.stop(), 'clusters exported by both instances at once').toEqual([]);
        // The run x was in the middle of when frozen is not in the history, and x says why.
        expect(pausedRun(rows)).toEqual([]);
        expect(x.serve.output()).toMatch(new RegExp(`cluster ${cluster}: this instance \\(${x.id}\\) lost its lease during the run`));
        expect(storedByYWithinMs).toBeLessThan(30_000);
        console.log(`paused ${x.id}: ${y.id} stored a run of ${cluster} ${storedByYWithinMs} ms after the SIGSTOP`);
        await historyVerifies(y);
      } finally {
        await Promise.all([stop(a), stop(b)]);
      }
    }, 240_000);

    it.each(['refuse', 'hang'] as const)(
      'an instance cut off from PostgreSQL (relay: %s) stops auditing, the other takes over, and it rejoins when restored',
      async (mode) => {
        const prefix = `${mode[0]}-`;
        const clusters = ['1', '2', '3', '4'].map((n) => `${prefix}${n}`);
        const relay = await startTcpRelay({ host: '127.0.0.1', port: pgs.server().port });
        relays.push(relay);
        const x = await start(`${mode}-x`, clusters, relay.port);
        const y = await start(`${mode}-y`, clusters);
        const ctx = context(x, y);
        try {
          // Both hold a share, each has stored runs and exports exactly the clusters it holds.
          let ofX: string[] = [];
          await waitFor(
            async () => {
              const held = [...(await holders(prefix))];
              const by = new Set((await runs(prefix)).map((r) => r.instance));
              ofX = held
                .filter(([, h]) => h === x.id)
                .map(([c]) => c)
                .sort();
              const ofY = held
                .filter(([, h]) => h === y.id)
                .map(([c]) => c)
                .sort();
              return (
                held.length === clusters.length &&
                ofX.length > 0 &&
                ofY.length > 0 &&
                by.has(x.id) &&
                by.has(y.id) &&
                (await metricsClusters(x, prefix)).join() === ofX.join() &&
                (await metricsClusters(y, prefix)).join() === ofY.join()
              );
            },
            120_000,
            ctx,
          );
          const watch = watchDoubleExport(x, y, prefix);
          const cutAt = Date.now();
          const logBefore = x.serve.output().length;
          if (mode === 'refuse') await relay.refuse();
          else relay.hang();

          // y holds every cluster within the lease time and a heartbeat (plus slack for a
          // busy machine), and audits them.
          await waitFor(
            async () => [...(await holders(prefix)).values()].filter((h) => h === y.id).length === clusters.length,
            60_000,
            ctx,
          );
          const takenWithinMs = Date.now() - cutAt;
          await waitFor(
            async () => {
              const rows = await runs(prefix);
              return ofX.every((c) => rows.some((r) => r.cluster === c && r.instance === y.id && r.start > cutAt));
            },
            60_000,
            ctx,
          );
          // x says why it stops (lease steps fail; its runs fail), and stores nothing.
          await waitFor(
            () => Promise.resolve(/leases: (heartbeat failed|PostgreSQL is unreachable)/.test(x.serve.output().slice(logBefore))),
            60_000,
            ctx,
          );
          // Its leases have lapsed: x no longer exports those clusters, y does (no double count).
          await waitFor(async () => (await metricsClusters(x, prefix)).length === 0, 2 * HEARTBEAT_MS + 5000, ctx);
          await waitFor(async () => (await metricsClusters(y, prefix)).join() === clusters.join(), 60_000, ctx);
          await sleep(3000);
          const cutRows = await runs(prefix);
          // A run x had in flight at the cut may have committed just before it; nothing x
          // started after the cut is stored.
          expect(
            cutRows.filter((r) => r.instance === x.id && r.start > cutAt + 1000),
            ctx(),
          ).toEqual([]);
          expect(overlapping(cutRows), ctx()).toEqual([]);

          // Restored: x rejoins and takes its share back (y hands the clusters x ranks first for back).
          const restoredAt = Date.now();
          await relay.restore();
          await waitFor(
            async () => {
              const held = await holders(prefix);
              const rows = await runs(prefix);
              return new Set(held.values()).size === 2 && rows.some((r) => r.instance === x.id && r.start > restoredAt);
            },
            90_000,
            ctx,
          );
          const rejoinedWithinMs = Date.now() - restoredAt;
          const rows = await runs(prefix);
          expect(overlapping(rows), ctx()).toEqual([]);
          expect(await watch.stop(), 'clusters exported by both instances at once').toEqual([]);
          // Never a run stored by x for a cluster while y held it: every x run after the cut starts after the restore.
          expect(rows.filter((r) => r.instance === x.id && r.start > cutAt + 1000 && r.start < restoredAt)).toEqual([]);
          // leaseSeconds + a heartbeat (README "Timeouts"); a hung connection that was in the
          // middle of storing keeps its lease row locked until the server ends the session
          // (15 s idle in transaction). Plus 5 s for a busy machine and the polling here.
          const bound = (mode === 'hang' ? Math.max(LEASE_SECONDS * 1000, 15_000) : LEASE_SECONDS * 1000) + HEARTBEAT_MS + 5000;
          expect(takenWithinMs).toBeLessThan(bound);
          console.log(
            `relay ${mode}: ${y.id} held all ${clusters.length} clusters ${takenWithinMs} ms after the cut (lease ${LEASE_SECONDS} s, heartbeat ${HEARTBEAT_MS} ms); ${x.id} stored a run again ${rejoinedWithinMs} ms after the restore`,
          );
          await historyVerifies(y);
        } finally {
          await Promise.all([stop(x), stop(y)]);
          await relay.close();
        }
      },
      300_000,
    );

    it('an instance whose config loses a cluster (SIGHUP) gives its lease up; the other instance, which still has it, takes it', async () => {
      const clusters = ['s-1', 's-2'];
      const a = await start('hup-a', clusters);
      const b = await start('hup-b', clusters);
      const ctx = context(a, b);
      try {
        await waitFor(async () => (await holders('s-')).size === 2 && (await runs('s-')).length >= 2, 90_000, ctx);
        const cluster = 's-1';
        const holder = (await holders('s-')).get(cluster);
        const [x, y] = holder === a.id ? [a, b] : [b, a];
        // x's config without s-1, same listen port and database.
        const port = Number(new URL(x.base).port);
        config(x.id, port, pgs.server().port, ['s-2']);
        const reloadedAt = Date.now();
        x.serve.child.kill('SIGHUP');
        await waitFor(() => Promise.resolve(x.serve.output().includes('configuration reloaded')), 30_000, ctx);
        // y takes s-1 at its next tick (after the grace: x still ranks first for it) and audits it.
        await waitFor(async () => (await runs(cluster)).some((r) => r.instance === y.id && r.start > reloadedAt), 60_000, ctx);
        const auditedByYWithinMs = Date.now() - reloadedAt;
        const rows = await runs('s-');
        // A run of s-1 x had in progress at the reload may be stored; none started after it.
        expect(rows.filter((r) => r.cluster === cluster && r.instance === x.id && r.start > reloadedAt)).toEqual([]);
        expect(overlapping(rows), ctx()).toEqual([]);
        expect(await metricsClusters(x, cluster)).toEqual([]);
        console.log(`reload: ${y.id} stored a run of ${cluster} ${auditedByYWithinMs} ms after ${x.id} dropped it from its config`);
      } finally {
        await Promise.all([stop(a), stop(b)]);
      }
    }, 240_000);
  },
);

/** hostile/serve-process.ts waitFor, with a probe that rejects counted as not yet. */
function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  return waitUntil(() => check().catch(() => false), timeoutMs, context);
}
