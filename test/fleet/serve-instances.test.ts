/**
 * Two `driftd serve` processes on one real PostgreSQL (README "Several instances"): the
 * clusters spread over both, each held by one instance at a time, each instance's
 * /metrics exports only its own clusters, and when one is killed (SIGKILL, no goodbye)
 * the other takes its clusters over and audits them within one lease time. The evidence
 * chain verifies across runs stored by both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { freePort } from '../helpers/sshd.js';
import { postgresAvailable, postgresSkipReason } from '../helpers/postgres.js';
import { usePostgresClients } from '../helpers/pg-clients.js';
import { waitFor as waitUntil } from '../hostile/serve-process.js';

const REPO = path.resolve(__dirname, '../..');
const CLUSTERS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
const LEASE_SECONDS = 5;

interface Instance {
  id: string;
  child: ChildProcess;
  base: string;
  output: () => string;
}

describe.skipIf(!postgresAvailable)(`several driftd serve on one PostgreSQL ${postgresSkipReason}`, () => {
  const pgs = usePostgresClients();
  let dir: string;
  const instances: Instance[] = [];

  function config(id: string, port: number): string {
    const server = pgs.server();
    const lines = [
      `database: ${server.url}`,
      `databasePasswordFile: ${server.passwordFile}`,
      `listen: 127.0.0.1:${port}`,
      'schedule: "*/6 * * * * *"',
      `instance: { id: ${id}, leaseSeconds: ${LEASE_SECONDS} }`,
      'failover: { simulate: false }',
      'clusters:',
      ...CLUSTERS.flatMap((name) => [
        `  - name: ${name}`,
        '    facets: [os, packages, sysctl]',
        '    nodes:',
        ...['erp-a', 'erp-b', 'erp-c'].map(
          (n) => `      - { name: ${name}-${n}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', n)} }`,
        ),
      ]),
    ];
    const file = path.join(dir, `${id}.yaml`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  async function start(id: string): Promise<Instance> {
    const port = await freePort('127.0.0.1');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), 'serve', '--config', config(id, port)], {
      cwd: REPO,
      env: { ...process.env, DRIFTD_LOG_LEVEL: 'info', PGPASSWORD: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const instance = { id, child, base: `http://127.0.0.1:${port}`, output: () => output };
    instances.push(instance);
    return instance;
  }

  async function holders(): Promise<Map<string, string>> {
    const client = await pgs.connect();
    try {
      const rows = (
        await client.query<{ cluster: string; holder: string }>('SELECT cluster, holder FROM driftd_leases WHERE expires_at > now()')
      ).rows;
      return new Map(rows.map((r) => [r.cluster, r.holder]));
    } finally {
      await client.end();
    }
  }

  async function metricsClusters(instance: Instance): Promise<string[]> {
    const text = await (await fetch(`${instance.base}/metrics`)).text();
    return [...new Set([...text.matchAll(/^driftd_cluster_ready\{cluster="([^"]+)"/gm)].map((m) => m[1] ?? ''))].sort();
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-instances-'));
  });

  afterAll(() => {
    for (const i of instances) if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads the clusters, exports each once, and takes a killed instance over within one lease time', async () => {
    const a = await start('driftd-a');
    const b = await start('driftd-b');
    const pick = (o: string): string =>
      o
        .split('\n')
        .filter((l) => /lease|serving|"level":[456]0|run started/.test(l))
        .join('\n')
        .slice(-4000);
    const context = (): string => `--- a:\n${pick(a.output())}\n--- b:\n${pick(b.output())}`;

    // Both take part: every cluster held by exactly one instance, both hold some.
    await waitFor(
      async () => {
        const held = await holders();
        return held.size === CLUSTERS.length && new Set(held.values()).size === 2;
      },
      90_000,
      context,
    );
    const held = await holders();
    const ofA = CLUSTERS.filter((c) => held.get(c) === 'driftd-a');
    const ofB = CLUSTERS.filter((c) => held.get(c) === 'driftd-b');
    // Each instance's /metrics has its own clusters only (once each has run them).
    await waitFor(
      async () => (await metricsClusters(a)).join() === ofA.join() && (await metricsClusters(b)).join() === ofB.join(),
      60_000,
      context,
    );

    // driftd-a dies without giving anything back.
    const killedAt = new Date();
    a.child.kill('SIGKILL');
    await waitFor(
      async () => [...(await holders()).values()].every((h) => h === 'driftd-b') && (await holders()).size === CLUSTERS.length,
      30_000,
      context,
    );
    const takenWithinMs = Date.now() - killedAt.getTime();
    expect(takenWithinMs).toBeLessThan((LEASE_SECONDS + 10) * 1000);
    await waitFor(async () => (await metricsClusters(b)).join() === CLUSTERS.join(), 60_000, context);

    // Every cluster of driftd-a was audited again by driftd-b after the kill; the chain holds.
    const server = pgs.server();
    process.env['PGPASSWORD'] = server.password;
    const store = await Store.open(server.url, { postgres: { password: server.password } });
    try {
      for (const cluster of ofA) {
        const latest = await store.latestRun(cluster);
        expect(latest?.meta?.['instance']).toBe('driftd-b');
        expect(new Date(latest?.startedAt ?? 0).getTime()).toBeGreaterThan(killedAt.getTime());
      }
      const byInstance = new Set((await store.runs({})).map((r) => r.meta?.['instance']));
      expect([...byInstance].sort()).toEqual(['driftd-a', 'driftd-b']);
      expect(await store.verifyChain()).toMatchObject({ ok: true });
      // Each taken-over cluster's chain runs across the handover: driftd-b's first run of it
      // links to driftd-a's last (the chain is per cluster, whichever instance stored a run).
      for (const cluster of ofA) {
        const runs = await store.runs({ cluster });
        const handover = runs.findIndex((r, i) => r.meta?.['instance'] === 'driftd-b' && runs[i - 1]?.meta?.['instance'] === 'driftd-a');
        expect(handover).toBeGreaterThan(0);
        expect(runs[handover]?.prevHash).toBe(runs[handover - 1]?.hash);
        expect(await store.verifyChain({ cluster })).toMatchObject({ ok: true, runs: runs.length });
      }
    } finally {
      await store.close();
      delete process.env['PGPASSWORD'];
    }
  }, 240_000);
});

/** hostile/serve-process.ts waitFor, with a probe that rejects (a daemon not listening yet) counted as not yet. */
function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  return waitUntil(() => check().catch(() => false), timeoutMs, context);
}
