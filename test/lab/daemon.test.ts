/**
 * The daemon against the lab: `driftd serve` on a free loopback port, then drift seeded
 * while it runs shows up in /metrics and the JSON API after a triggered run. This is the
 * README's "watch drift appear" walk-through, automated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/core/check-report.js';
import {
  CLI_ENTRY,
  LAB_CONFIG,
  LAB_DIR,
  REPO_ROOT,
  freeLoopbackPort,
  labNodes,
  labUnavailableReason,
  resetAllNodes,
  seed,
  seedWithInput,
  waitFor,
} from './lab-env.js';

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab daemon scenario: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

/** Values of every sample of NAME whose labels include every pair in LABELS, in exposition order. */
function samples(exposition: string, name: string, labels: Record<string, string>): number[] {
  const values: number[] = [];
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) values.push(Number(match[3]));
  }
  return values;
}

/** Value of the first sample of NAME whose labels include every pair in LABELS. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  return samples(exposition, name, labels)[0];
}

describeLab(unavailable ? `lab daemon scenario (SKIPPED: ${unavailable})` : 'lab daemon scenario', () => {
  let daemon: ChildProcess | undefined;
  let workDir = '';
  let base = '';
  let daemonLog = '';

  beforeAll(async () => {
    resetAllNodes();
    workDir = mkdtempSync(join(tmpdir(), 'driftd-lab-daemon-'));
    const port = await freeLoopbackPort();
    base = `http://127.0.0.1:${port}`;
    const config = readFileSync(LAB_CONFIG, 'utf8')
      .replace(/^database: .*$/m, `database: ${join(workDir, 'driftd.db')}`)
      .replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)
      // Only triggered runs: the test decides when the daemon looks.
      .replace(/^logLevel: .*$/m, 'logLevel: info\nschedule: "0 0 1 1 *"');
    writeFileSync(join(workDir, 'driftd.yaml'), config);
    daemon = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [CLI_ENTRY, 'serve', '--config', join(workDir, 'driftd.yaml')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
    daemon.stderr?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
    await waitFor('the first run (/readyz 200)', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
  });

  afterAll(async () => {
    if (daemon && daemon.exitCode === null && daemon.pid !== undefined) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    resetAllNodes();
  });

  async function metrics(): Promise<string> {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  }

  async function runNow(): Promise<void> {
    const before = sample(await metrics(), 'driftd_runs_total', {}) ?? 0;
    await waitFor('a triggered run to start', async () =>
      (await fetch(`${base}/api/v1/runs`, { method: 'POST' })).status === 202 ? true : undefined,
    );
    await waitFor('the triggered run to finish', async () => {
      const text = await metrics();
      return (sample(text, 'driftd_runs_total', {}) ?? 0) > before && sample(text, 'driftd_run_in_progress', {}) === 0 ? true : undefined;
    });
  }

  it('baseline: the cluster is ready and every node up in /metrics', async () => {
    const text = await metrics();
    expect(sample(text, 'driftd_cluster_ready', { cluster: 'lab' }), daemonLog).toBe(1);
    for (const node of labNodes()) expect(sample(text, 'driftd_node_up', { cluster: 'lab', node }), node).toBe(1);
    expect(sample(text, 'driftd_findings', { cluster: 'lab', facet: 'corosync' }) ?? 0).toBe(0);
  });

  it('corosync drift seeded while the daemon runs appears in /metrics and the API after a run', async () => {
    const [, erpB] = labNodes();
    seed(erpB!, 'corosync-token', '10000');
    await runNow();
    const text = await metrics();
    const corosyncFindings = ['critical', 'warning', 'info']
      .map((severity) => sample(text, 'driftd_findings', { cluster: 'lab', facet: 'corosync', severity }) ?? 0)
      .reduce((a, b) => a + b, 0);
    expect(corosyncFindings, daemonLog).toBeGreaterThan(0);

    const response = await fetch(`${base}/api/v1/clusters/lab`);
    expect(response.status).toBe(200);
    const report = CheckReportSchema.parse(await response.json());
    const token = report.findings.find((f) => f.facet === 'corosync' && f.key.includes('totem.token'));
    expect(token?.outliers).toEqual([erpB]);
  });

  it('best-practice and runtime findings count in /metrics and the readiness score like any other finding', async () => {
    resetAllNodes();
    const nodes = labNodes();
    const erpB = nodes[1]!;
    const cib = readFileSync(join(LAB_DIR, 'baseline/var/lib/pacemaker/cib/cib.xml'), 'utf8');
    const off = cib.replace('name="stonith-enabled" value="true"', 'name="stonith-enabled" value="false"');
    expect(off).not.toBe(cib);
    for (const node of nodes) seedWithInput(node, 'write', off, '/var/lib/pacemaker/cib/cib.xml');
    const host = readFileSync('/proc/sys/vm/swappiness', 'utf8').trim();
    seed(erpB, 'sysctl-live', 'vm.swappiness', host === '33' ? '34' : '33');
    await runNow();

    const response = await fetch(`${base}/api/v1/clusters/lab`);
    const report = CheckReportSchema.parse(await response.json());
    const kinds = new Set(report.findings.map((f) => f.kind));
    // The live sysctl drift is the headline and its runtime finding the evidence (issue #21).
    expect([...kinds].sort(), daemonLog).toEqual(expect.arrayContaining(['expectation', 'mismatch']));
    const live = report.findings.find((f) => f.facet === 'sysctl' && f.key === 'vm.swappiness');
    expect(live?.evidence?.map((e) => e.kind)).toEqual(['runtime']);
    // Every open finding, whatever its kind, is one count in driftd_findings{facet, severity}.
    const expected = new Map<string, number>();
    for (const f of report.findings.filter((x) => !x.waived))
      expected.set(`${f.facet}/${f.severity}`, (expected.get(`${f.facet}/${f.severity}`) ?? 0) + 1);
    const text = await metrics();
    for (const [key, count] of expected) {
      const [facet, severity] = key.split('/') as [string, string];
      expect(sample(text, 'driftd_findings', { cluster: 'lab', facet, severity }), key).toBe(count);
    }
    // And nothing beyond them: the lab's driftd_findings series add up to the open findings.
    const total = samples(text, 'driftd_findings', { cluster: 'lab' }).reduce((a, b) => a + b, 0);
    expect(total, text).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    expect(sample(text, 'driftd_findings', { cluster: 'lab', facet: 'pacemaker', severity: 'critical' })).toBe(1);
    expect(sample(text, 'driftd_cluster_ready', { cluster: 'lab' })).toBe(0);
    for (const node of nodes) expect(sample(text, 'driftd_node_ready', { cluster: 'lab', node }), node).toBe(0);
    // The sysctl warning (live drift with its runtime evidence) is erp-b's alone: it scores lower than its peers.
    const ratio = (node: string) => sample(text, 'driftd_failover_readiness_ratio', { cluster: 'lab', node }) ?? Number.NaN;
    expect(ratio(erpB)).toBeLessThan(ratio(nodes[0]!));
    expect(report.nodes.find((n) => n.name === erpB)?.score).toBe(ratio(erpB));
    resetAllNodes();
  });

  it('a node stopped while the daemon runs goes down in /metrics after a run', async () => {
    const [, , erpC] = labNodes();
    seed(erpC!, 'stop');
    await runNow();
    const text = await metrics();
    expect(sample(text, 'driftd_node_up', { cluster: 'lab', node: erpC! }), daemonLog).toBe(0);
    expect(sample(text, 'driftd_cluster_ready', { cluster: 'lab' })).toBe(0);
  });
});
