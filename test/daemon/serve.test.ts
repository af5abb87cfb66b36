/**
 * `driftd serve` end to end, as a child process against real sshd nodes on loopback:
 * readiness, /metrics through real promtool, every API route, SIGHUP with a broken and
 * a good config, SIGTERM with the database intact, and a real Prometheus server that
 * scrapes the daemon and fires a shipped alert.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/core/check-report.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { Store } from '../../src/store/index.js';
import { parseExposition, valueOf } from '../metrics/exposition.js';
import { freePort, sshdAvailable, sshdSkipReason, startSshd, type SshdServer } from '../helpers/sshd.js';

const REPO = path.resolve(__dirname, '../..');
const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const promAvailable = existsSync(PROMTOOL) && existsSync(PROMETHEUS);
if (!promAvailable)
  console.warn(
    'serve.test: SKIPPING promtool/Prometheus checks: /usr/bin/promtool or /usr/bin/prometheus missing (apt-get install prometheus)',
  );

const suite = sshdAvailable ? describe : describe.skip;
const title = sshdAvailable ? 'driftd serve against real sshd nodes' : `driftd serve (${sshdSkipReason})`;

function nodeYaml(name: string, s: SshdServer): string {
  return `      - { name: ${name}, host: ${s.host}, port: ${s.port}, ssh: { user: ${s.user}, identityFile: ${s.identityFile}, knownHosts: ${s.knownHosts} } }`;
}

suite(title, () => {
  let dir: string;
  let sshdA: SshdServer;
  let sshdB: SshdServer;
  let daemon: ChildProcess | undefined;
  let base: string;
  let output = '';
  let configFile: string;
  let goodConfig: string;
  let deadPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-serve-'));
    sshdA = await startSshd({ host: '127.0.0.1' });
    sshdB = await startSshd({ host: '127.0.0.2' });
    deadPort = await freePort('127.0.0.1');
    const port = await freePort('127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    const header = [
      `database: ${path.join(dir, 'driftd.db')}`,
      `listen: 127.0.0.1:${port}`,
      'schedule: "0 0 1 1 *"',
      'concurrency: 4',
      'ssh: { connectTimeoutSeconds: 5, commandTimeoutSeconds: 30 }',
      'clusters:',
      '  - name: ha',
      '    facets: [os, kernel, packages, sysctl, files]',
      '    files: [/etc/hosts]',
      '    nodes:',
      nodeYaml('n1', sshdA),
      nodeYaml('n2', sshdB),
      `      - { name: gone, host: 127.0.0.1, port: ${deadPort}, ssh: { user: root, identityFile: ${sshdA.identityFile}, knownHosts: ${sshdA.knownHosts} } }`,
    ];
    configFile = path.join(dir, 'driftd.yaml');
    writeFileSync(configFile, `${header.join('\n')}\n`);
    goodConfig = `${header.join('\n')}\n      - { name: replayed, transport: replay, path: ${path.join(REPO, 'fixtures/demo/erp-a')} }\n`;
    daemon = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), 'serve', '--config', configFile], {
      cwd: REPO,
      env: { ...process.env, DRIFTD_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    daemon.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200,
      60_000,
      () => output,
    );
  }, 120_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGKILL');
    }
    await sshdA?.stop();
    await sshdB?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz and /readyz after the first run', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('applies retention after the first run (once a day)', async () => {
    await waitFor(
      async () => /retention: unchanged snapshots thinned/.test(output),
      20_000,
      () => output,
    );
    expect(output).toMatch(/"keepUnchangedDays":30/);
  });

  it('serves metrics that pass promtool check metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/driftd_node_up\{cluster="ha",node="n1"\} 1/);
    expect(text).toMatch(/driftd_node_up\{cluster="ha",node="gone"\} 0/);
    expect(text).toMatch(/driftd_cluster_ready\{cluster="ha"\} 0/);
    expect(text).toMatch(/driftd_node_kernel_info\{cluster="ha",node="n2",release="[^"]+"\} 1/);
    if (!promAvailable) return;
    const lint = execFileSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.trim()).toBe('');
  });

  it('answers every API route', async () => {
    const clusters = (await (await fetch(`${base}/api/v1/clusters`)).json()) as { clusters: { name: string }[] };
    expect(clusters.clusters.map((c) => c.name)).toEqual(['ha']);

    const report = CheckReportSchema.parse(await (await fetch(`${base}/api/v1/clusters/ha`)).json());
    expect(report.ready).toBe(false);
    const gone = report.nodes.find((n) => n.name === 'gone');
    expect(gone?.reachable).toBe(false);
    expect(gone?.error).toMatch(/refused|ECONNREFUSED/i);
    expect(report.nodes.find((n) => n.name === 'n1')?.reachable).toBe(true);
    expect(report.findings.some((f) => f.kind === 'unreachable' && f.key === 'gone')).toBe(true);

    const findings = await fetch(`${base}/api/v1/clusters/ha/findings?severity=critical`);
    expect(findings.status).toBe(200);
    const since = await fetch(`${base}/api/v1/clusters/ha/findings?since=2020-01-01T00:00:00Z`);
    expect(since.status).toBe(200);
    expect((await fetch(`${base}/api/v1/clusters/ha/findings?since=yesterday-ish`)).status).toBe(400);
    expect((await fetch(`${base}/api/v1/clusters/nope`)).status).toBe(404);

    const snap = (await (await fetch(`${base}/api/v1/nodes/n1/snapshot`)).json()) as {
      node: string;
      facets: Record<string, { status: string }>;
    };
    expect(snap.node).toBe('n1');
    expect(snap.facets['packages']?.status).toBe('ok');
    expect((await fetch(`${base}/api/v1/nodes/n1/changes?since=2020-01-01T00:00:00Z`)).status).toBe(200);

    const html = await fetch(`${base}/report/ha`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const page = await html.text();
    expect(page).toMatch(/<html/i);
    expect(page).toContain('gone');
    expect((await fetch(`${base}/report/nope`)).status).toBe(404);

    const run = await fetch(`${base}/api/v1/runs`, { method: 'POST' });
    expect([202, 409]).toContain(run.status);
    const again = await fetch(`${base}/api/v1/runs`, { method: 'POST' });
    expect(again.status).toBe(409);
    const wrong = await fetch(`${base}/api/v1/clusters`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    const body = await (await fetch(`${base}/no/such/route`)).text();
    expect(body).not.toMatch(/at .*\.ts:\d+/);
    // The HELP line also reads "driftd_run_in_progress 1 while...": match the sample only.
    await waitFor(
      async () => !/^driftd_run_in_progress 1$/m.test(await (await fetch(`${base}/metrics`)).text()),
      60_000,
      () => output,
    );
  });

  it('a real Prometheus scrapes it and fires the shipped alerts for the seeded drift', async () => {
    if (!promAvailable) {
      console.warn('SKIPPED: real Prometheus test needs /usr/bin/prometheus (apt-get install prometheus)');
      return;
    }
    const promDir = path.join(dir, 'prometheus');
    const promPort = await freePort('127.0.0.1');
    // The shipped rules wait minutes (`for:`) before firing; a test cannot, so a copy
    // drops the waits. Expressions, labels and annotations stay exactly as shipped.
    const rules = readFileSync(path.join(REPO, 'deploy/prometheus/driftd-alerts.yml'), 'utf8').replace(/^(\s+)for: .*$/gm, '$1for: 0s');
    execFileSync('mkdir', ['-p', promDir]);
    writeFileSync(path.join(promDir, 'alerts.yml'), rules);
    writeFileSync(
      path.join(promDir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [alerts.yml]',
        'scrape_configs:',
        '  - job_name: driftd',
        `    static_configs: [{ targets: ["${base.replace('http://', '')}"] }]`,
      ].join('\n'),
    );
    const prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let promLog = '';
    prom.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
    try {
      const firing = async (): Promise<string[]> => {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`).catch(() => null);
        if (!res || res.status !== 200) return [];
        const data = (await res.json()) as { data: { alerts: { labels: { alertname: string; node?: string }; state: string }[] } };
        return data.data.alerts
          .filter((a) => a.state === 'firing')
          .map((a) => `${a.labels.alertname}${a.labels.node ? `:${a.labels.node}` : ''}`);
      };
      await waitFor(
        async () => {
          const now = await firing();
          return now.includes('DriftdNodeUnreachable:gone') && now.some((n) => n.startsWith('DriftdClusterNotReady'));
        },
        60_000,
        () => promLog.slice(-2000),
      );
      const names = await firing();
      expect(names).toContain('DriftdNodeUnreachable:gone');
      expect(names.some((n) => n.startsWith('DriftdClusterNotReady'))).toBe(true);
      expect(names.some((n) => n.startsWith('DriftdNodeUnreachable:n1'))).toBe(false);
    } finally {
      prom.kill('SIGTERM');
      await new Promise((resolve) => prom.once('exit', resolve));
    }
  }, 90_000);

  it('a scrape after a new run shows that run, and the node snapshot route follows it (read from the store)', async () => {
    const scrape = async () => parseExposition(await (await fetch(`${base}/metrics`)).text());
    const snapshotOf = async (node: string) => (await (await fetch(`${base}/api/v1/nodes/${node}/snapshot`)).json()) as NodeSnapshot;
    await waitFor(
      async () => valueOf(await scrape(), 'driftd_run_in_progress') === 0,
      60_000,
      () => output,
    );
    const before = await scrape();
    const runsBefore = valueOf(before, 'driftd_runs_total') ?? Number.NaN;
    const takenBefore = valueOf(before, 'driftd_node_last_snapshot_timestamp_seconds', { cluster: 'ha', node: 'n1' }) ?? Number.NaN;
    const snapBefore = await snapshotOf('n1');
    expect(Date.parse(snapBefore.takenAt) / 1000).toBe(takenBefore);

    expect((await fetch(`${base}/api/v1/runs`, { method: 'POST' })).status).toBe(202);
    await waitFor(
      async () => {
        const now = await scrape();
        return (valueOf(now, 'driftd_runs_total') ?? 0) > runsBefore && valueOf(now, 'driftd_run_in_progress') === 0;
      },
      60_000,
      () => output,
    );
    const after = await scrape();
    const takenAfter = valueOf(after, 'driftd_node_last_snapshot_timestamp_seconds', { cluster: 'ha', node: 'n1' }) ?? Number.NaN;
    expect(takenAfter).toBeGreaterThan(takenBefore);
    expect(valueOf(after, 'driftd_node_collection_duration_seconds', { cluster: 'ha', node: 'n1' })).toBeGreaterThan(0);
    expect(valueOf(after, 'driftd_node_collection_duration_seconds', { cluster: 'ha', node: 'gone' })).toBeUndefined();
    expect(valueOf(after, 'driftd_facet_max_duration_seconds', { facet: 'packages' })).toBeGreaterThan(0);

    const snapAfter = await snapshotOf('n1');
    expect(Date.parse(snapAfter.takenAt) / 1000).toBe(takenAfter);
    expect(Object.keys(snapAfter.facets['packages']?.items ?? {}).length).toBeGreaterThan(10);
    // The full snapshot comes from the store: the same one the store itself gives back.
    const store = await Store.open(path.join(dir, 'driftd.db'), { readonly: true });
    try {
      expect(snapAfter).toEqual(await store.snapshotOf('n1', snapAfter.takenAt, 'ha'));
    } finally {
      await store.close();
    }
    const gone = await snapshotOf('gone');
    expect(gone.error).toMatch(/refused|ECONNREFUSED/i);
  }, 90_000);

  it('SIGHUP with a broken config keeps the old one serving; a good one adds the new node', async () => {
    const before = await (await fetch(`${base}/api/v1/clusters/ha`)).json();
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8')}bogus_key: 1\n`);
    daemon?.kill('SIGHUP');
    // pino writes asynchronously: wait for the log line as well as the metric.
    await waitFor(
      async () =>
        /^driftd_config_reload_success 0$/m.test(await (await fetch(`${base}/metrics`)).text()) &&
        /configuration reload rejected/.test(output),
      20_000,
      () => output,
    );
    expect(output).toMatch(/configuration reload rejected/);
    expect(output).toMatch(/bogus_key/);
    const during = await (await fetch(`${base}/api/v1/clusters/ha`)).json();
    expect((during as { nodes: unknown[] }).nodes).toHaveLength((before as { nodes: unknown[] }).nodes.length);

    writeFileSync(configFile, goodConfig);
    daemon?.kill('SIGHUP');
    await waitFor(
      async () => {
        const r = (await (await fetch(`${base}/api/v1/clusters/ha`)).json()) as { nodes: { name: string }[] };
        return r.nodes.some((n) => n.name === 'replayed');
      },
      60_000,
      () => output,
    );
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^driftd_config_reload_success 1$/m);
  }, 90_000);

  it('SIGTERM stops cleanly and leaves an intact database', async () => {
    const exited = new Promise<number | null>((resolve) => daemon?.once('exit', (code) => resolve(code)));
    daemon?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/driftd stopped/);
    // Several runs happened (start, API, reload); retention ran once: it is daily.
    expect(output.match(/retention: unchanged snapshots thinned/g)).toHaveLength(1);
    const file = path.join(dir, 'driftd.db');
    const db = new Database(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const store = await Store.open(file, { readonly: true });
    try {
      expect((await store.verifyChain()).ok).toBe(true);
      expect((await store.runs({ cluster: 'ha' })).length).toBeGreaterThanOrEqual(2);
    } finally {
      await store.close();
    }
  }, 60_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; output:\n${context().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
