/**
 * The daemon on a real PostgreSQL that goes away: the run after the loss fails with a
 * clear, password-free error, and the daemon keeps running and answering (no crash from
 * the dropped idle connections). The run stored before verifies. Instances started
 * together split the clusters at their first run. A tick's run starts at once; the clusters
 * a live peer left after the grace are audited as a later run.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import postgres from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { preferredInstance } from '../../src/core/fleet/assign.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { LeaseBoard } from '../../src/fleet/leases.js';
import { Store } from '../../src/store/index.js';
import { createLogger } from '../../src/util/logger.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { tempDir } from '../store/handmade-runs.js';

const REPO = path.resolve(__dirname, '../..');

/** A serve config sharing `clusters` (two replayed demo nodes each, no schedule) through PostgreSQL; returns its path. */
function fleetConfig(
  file: string,
  options: { url: string; passwordFile: string; id: string; leaseSeconds: number; clusters: readonly string[] },
): string {
  writeFileSync(
    file,
    [
      `database: ${options.url}`,
      `databasePasswordFile: ${options.passwordFile}`,
      'schedule: "0 0 1 1 *"',
      `instance: { id: ${options.id}, leaseSeconds: ${options.leaseSeconds} }`,
      'failover: { simulate: false }',
      'clusters:',
      ...options.clusters.flatMap((name) => [
        `  - name: ${name}`,
        '    facets: [os, sysctl]',
        '    nodes:',
        ...['erp-a', 'erp-b'].map((n) => `      - { name: ${name}-${n}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', n)} }`),
      ]),
      '',
    ].join('\n'),
  );
  return file;
}

describe.skipIf(!postgresAvailable)('driftd serve on PostgreSQL', { timeout: 180_000 }, () => {
  let pg: PostgresServer | undefined;
  const dir = tempDir();

  afterAll(async () => {
    await pg?.stop();
    dir.cleanup();
  });

  it('a lost server fails that run only: logged without password, the daemon keeps serving', async () => {
    pg = await startPostgres();
    const passwordFile = path.join(dir.dir, 'pg-password');
    writeFileSync(passwordFile, `${pg.password}\n`, { mode: 0o600 });
    const configPath = path.join(dir.dir, 'driftd.yaml');
    const nodes = ['erp-a', 'erp-b', 'erp-c'].map(
      (n) => `      - { name: ${n}, transport: replay, path: ${path.join(REPO, 'fixtures/demo', n)} }`,
    );
    writeFileSync(
      configPath,
      [
        `database: ${pg.url}`,
        `databasePasswordFile: ${passwordFile}`,
        'schedule: "0 0 1 1 *"',
        'clusters:',
        '  - name: erp-demo',
        '    nodes:',
        ...nodes,
        '',
      ].join('\n'),
    );
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const daemon = await Daemon.start({ configPath, logger: createLogger('info', sink), listen: '127.0.0.1:0' });
    try {
      // The daemon's first run starts with it.
      const finished = () => lines.filter((l) => l.includes('"msg":"run finished"')).length;
      while (finished() < 1) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(lines.join('')).toMatch(/"msg":"run stored"/);
      const store = await Store.open(pg.url, { postgres: { password: pg.password } });
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: 1 });
      await store.close();

      await pg.stop();
      await daemon.runNow('test');
      expect(finished()).toBe(2);
      const log = lines.join('');
      expect(log).toMatch(/run failed; the previous view and stored history are kept/);
      expect(log).toMatch(/is unreachable or dropped the connection/);
      expect(log).not.toContain(pg.password);
      const address = daemon.address;
      expect(address).not.toBeNull();
      const health = await fetch(`http://127.0.0.1:${address?.port ?? 0}/healthz`);
      expect(health.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${address?.port ?? 0}/metrics`)).text();
      expect(metrics).toMatch(/^driftd_runs_total\S* 2$/m);
    } finally {
      await daemon.stop();
    }
  });

  it('instances started within the settle time split the clusters at their first run; each API shows every cluster', async () => {
    // Without the settle, the first instance up takes every cluster at once (it is the only
    // live instance) and hands them back only after that run.
    const server = await startPostgres();
    const passwordFile = path.join(dir.dir, 'pg-password-together');
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
    const clusters = Array.from({ length: 8 }, (_, i) => `c${i + 1}`);
    // settle = a quarter of the lease, at most 5 s: 5 s, ample for the second instance to
    // start on a loaded machine.
    const config = (id: string): string =>
      fleetConfig(path.join(dir.dir, `together-${id}.yaml`), { url: server.url, passwordFile, id, leaseSeconds: 20, clusters });
    const logs = new Map<string, string[]>();
    const start = (id: string): Promise<Daemon> => {
      const lines: string[] = [];
      logs.set(id, lines);
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      });
      return Daemon.start({ configPath: config(id), logger: createLogger('info', sink), listen: '127.0.0.1:0' });
    };
    const daemons: Daemon[] = [];
    try {
      daemons.push(await start('driftd-a'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      daemons.push(await start('driftd-b'));
      const finished = (id: string): boolean => (logs.get(id) ?? []).some((l) => l.includes('"msg":"run finished"'));
      const deadline = Date.now() + 60_000;
      while (!(finished('driftd-a') && finished('driftd-b')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const store = await Store.open(server.url, { postgres: { password: server.password } });
      try {
        const runs = await store.runs();
        const byInstance = new Map<string, string[]>();
        for (const run of runs) {
          const instance = String(run.meta?.['instance']);
          byInstance.set(instance, [...(byInstance.get(instance) ?? []), run.cluster]);
        }
        // Every cluster audited once, and by both instances between them.
        expect(runs.map((r) => r.cluster).sort()).toEqual([...clusters].sort());
        expect(byInstance.get('driftd-a')?.length ?? 0).toBeGreaterThan(0);
        expect(byInstance.get('driftd-b')?.length ?? 0).toBeGreaterThan(0);

        // Either instance's API shows every cluster: its own from its view, the other's from
        // the store, each saying who audited it.
        const api = async (daemon: Daemon, route: string): Promise<{ status: number; body: unknown }> => {
          const response = await fetch(`http://127.0.0.1:${daemon.address?.port ?? 0}${route}`);
          return { status: response.status, body: await response.json() };
        };
        const [a] = daemons as [Daemon, Daemon];
        const listed = (await api(a, '/api/v1/clusters')).body as { clusters: { name: string; auditedBy: string }[] };
        expect(listed.clusters.map((c) => c.name).sort()).toEqual([...clusters].sort());
        for (const c of listed.clusters) expect(byInstance.get(c.auditedBy)).toContain(c.name);
        const ofB = byInstance.get('driftd-b')?.[0] ?? '';
        const report = await api(a, `/api/v1/clusters/${ofB}`);
        expect(report.status).toBe(200);
        expect(report.body).toMatchObject({ cluster: ofB });
        const findings = await api(a, `/api/v1/clusters/${ofB}/findings`);
        expect(findings).toMatchObject({ status: 200, body: { cluster: ofB, source: 'current' } });
        const snapshot = await api(a, `/api/v1/nodes/${ofB}-erp-a/snapshot`);
        expect(snapshot).toMatchObject({ status: 200, body: { cluster: ofB, node: `${ofB}-erp-a` } });
        expect((await api(a, '/api/v1/clusters/nope')).status).toBe(404);
      } finally {
        await store.close();
      }
    } finally {
      for (const d of daemons) await d.stop();
      await server.stop();
    }
  });

  it('a tick audits at once the clusters this instance ranks first for; those a live peer left are audited after the grace, stored under their lease', async () => {
    const server = await startPostgres();
    const passwordFile = path.join(dir.dir, 'pg-password-grace');
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
    const clusters = Array.from({ length: 6 }, (_, i) => `g${i + 1}`);
    const everyone = [
      { id: 'driftd-a', zones: [] },
      { id: 'ghost', zones: [] },
    ];
    const mine = clusters.filter((c) => preferredInstance(c, undefined, everyone)?.id === 'driftd-a');
    const ghosts = clusters.filter((c) => !mine.includes(c));
    expect(mine.length).toBeGreaterThan(0);
    expect(ghosts.length).toBeGreaterThan(0);
    // grace = a quarter of the lease: 2 s.
    const configPath = fleetConfig(path.join(dir.dir, 'grace.yaml'), {
      url: server.url,
      passwordFile,
      id: 'driftd-a',
      leaseSeconds: 8,
      clusters,
    });
    // A live peer that ranks first for `ghosts` but never takes them (its config lacks
    // them, or it is stuck): driftd-a gives it the grace, then audits them itself.
    const client = new postgres.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      database: server.database,
      password: server.password,
    });
    await client.connect();
    client.on('error', () => undefined);
    const board = new LeaseBoard(client, 8000);
    await board.prepare();
    await board.heartbeat('ghost', [], 'test');
    const alive = setInterval(() => void board.heartbeat('ghost', [], 'test').catch(() => undefined), 1000);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logged = (msg: string): Record<string, unknown>[] =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === msg);
    const until = async (done: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`${what} did not happen within 60 s:\n${lines.join('').slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const daemon = await Daemon.start({ configPath, logger: createLogger('info', sink), listen: '127.0.0.1:0' });
    const store = await Store.open(server.url, { postgres: { password: server.password } });
    try {
      // The first run (after the start's settle) audits driftd-a's own clusters; the
      // ghost's follow in a run of their own once the grace is over.
      await until(() => logged('run finished').length >= 2, 'two runs');
      expect(logged('run started').map((l) => l['reason'])).toEqual(['start', 'takeover']);
      expect(logged('leases: took after the grace clusters no better-ranked live instance took')).toMatchObject([
        { clusters: [...ghosts].sort() },
      ]);
      const runs = await store.runs();
      expect(runs.map((r) => r.cluster).sort()).toEqual([...clusters].sort());
      // The own clusters' runs started before the ghost's leases were even taken: nobody
      // waited for the grace.
      const leases = await client.query<{ cluster: string; holder: string; token: string; acquired_at: Date }>(
        'SELECT cluster, holder, token, acquired_at FROM driftd_leases',
      );
      const byCluster = new Map(leases.rows.map((r) => [r.cluster, r]));
      const graceOver = Math.min(...ghosts.map((c) => byCluster.get(c)?.acquired_at.getTime() ?? 0));
      for (const run of runs.filter((r) => mine.includes(r.cluster))) expect(Date.parse(run.startedAt)).toBeLessThan(graceOver);
      // Each ghost cluster stored by driftd-a under the lease it took after the grace.
      for (const run of runs.filter((r) => ghosts.includes(r.cluster))) {
        const lease = byCluster.get(run.cluster);
        expect(lease?.holder).toBe('driftd-a');
        expect(run.meta).toMatchObject({ instance: 'driftd-a', leaseToken: Number(lease?.token) });
      }
      expect(await store.verifyChain()).toMatchObject({ ok: true, runs: clusters.length });
      // The next run audits them once more (held), then hands them back: the ghost ranks first.
      await daemon.runNow('test');
      const free = await client.query<{ cluster: string }>('SELECT cluster FROM driftd_leases WHERE expires_at <= now()');
      expect(free.rows.map((r) => r.cluster).sort()).toEqual([...ghosts].sort());
      expect((await store.runs()).length).toBe(2 * clusters.length);
    } finally {
      clearInterval(alive);
      await store.close();
      await daemon.stop();
      await client.end();
      await server.stop();
    }
  });
});
