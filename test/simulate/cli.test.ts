/**
 * `driftd simulate` end to end: the demo cluster replayed (fixtures/demo) with its CIB
 * given a status by Pacemaker's scheduler (fixtures/cluster/pacemaker/
 * crm_simulate-2.1.5-demo-with-status.xml), collected through the replay transport and
 * simulated by the real crm_simulate. erp-c lacks resource-agents (seeded drift), and
 * when erp-a fails the scheduler sends erp-group to erp-c: not safe. Skipped loudly
 * without crm_simulate; a failure under CI.
 */
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import type { SimulationReport } from '../../src/core/simulate/judge.js';
import { findCrmSimulate } from '../../src/simulate/run.js';
import { runDriftd } from '../helpers/cli.js';

const REPO = path.resolve(__dirname, '../..');
const NODES = ['erp-a', 'erp-b', 'erp-c'];
const required = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const crmSimulate = findCrmSimulate(process.env.DRIFTD_CRM_SIMULATE);
if (!crmSimulate && !required)
  console.warn('CRM_SIMULATE ABSENT: install pacemaker-cli-utils (test/setup.sh does); the `driftd simulate` CLI tests are SKIPPED');
const withScheduler = crmSimulate !== undefined || required ? it : it.skip;

const driftd = runDriftd;

function configFor(dir: string, root: string): string {
  const file = path.join(dir, `${path.basename(root)}.yaml`);
  const text = [
    `database: ${path.join(dir, 'demo.db')}`,
    'clusters:',
    '  - name: erp-demo',
    '    files: [/etc/hosts, /etc/sysctl.d/*.conf, /etc/corosync/corosync.conf]',
    '    nodes:',
    ...NODES.map((n) => `      - { name: ${n}, transport: replay, path: ${path.join(root, n)} }`),
    '',
  ].join('\n');
  writeFileSync(file, text);
  return file;
}

describe('driftd simulate on the demo cluster', () => {
  let dir: string;
  let withStatus: string;
  let asShipped: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-simulate-'));
    const root = path.join(dir, 'live');
    for (const n of NODES) {
      cpSync(path.join(REPO, 'fixtures/demo', n), path.join(root, n), { recursive: true });
      copyFileSync(
        path.join(REPO, 'fixtures/cluster/pacemaker/crm_simulate-2.1.5-demo-with-status.xml'),
        path.join(root, n, 'pacemaker-cib.txt'),
      );
    }
    withStatus = configFor(dir, root);
    asShipped = configFor(dir, path.join(REPO, 'fixtures/demo'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Each run collects three replayed nodes and starts crm_simulate: seconds apiece on a busy host.
  const SLOW = 180_000;

  withScheduler(
    'erp-a fails: erp-group would land on erp-c, which lacks resource-agents: not safe (exit 1)',
    async () => {
      const text = await driftd(['simulate', '--config', withStatus, '--fail', 'erp-a']);
      expect(text.stderr).toBe('');
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('Fencing: Fence (reboot) erp-a');
      expect(text.stdout).toContain('FAILS erp-ip (ocf:heartbeat:IPaddr2): erp-a -> erp-c');
      expect(text.stdout).toContain('- ocf:heartbeat:IPaddr2 is not installed on erp-c (needs resource-agents)');
      expect(text.stdout).toContain('Verdict: NOT SAFE: 2 resource(s) would not fail over');
      const json = await driftd(['simulate', '--config', withStatus, '--fail', 'erp-a', '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as SimulationReport;
      expect(report.verdict).toBe('unsafe');
      expect(report.resources.map((r) => [r.resource, r.now, r.after, r.judgement])).toEqual([
        [
          'drbd-erpdata-clone/drbd-erpdata',
          ['erp-a (Promoted)', 'erp-b (Unpromoted)', 'erp-c (Unpromoted)'],
          ['erp-b (Unpromoted)', 'erp-c (Promoted)'],
          'ok',
        ],
        ['erp-fs', ['erp-a'], ['erp-c'], 'fails'],
        ['erp-ip', ['erp-a'], ['erp-c'], 'fails'],
      ]);
    },
    SLOW,
  );

  withScheduler(
    'erp-b fails: only its unpromoted DRBD instance goes: safe (exit 0)',
    async () => {
      const result = await driftd(['simulate', '--config', withStatus, '--fail', 'erp-b']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Verdict: SAFE');
    },
    SLOW,
  );

  withScheduler(
    'window plan --simulate: each node failing in turn; the unsafe one blocks the window',
    async () => {
      const text = await driftd(['window', 'plan', '--config', withStatus, '--simulate']);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(
        '  BLOCKS: if erp-a fails now, the failover does not work: erp-fs: ocf:heartbeat:Filesystem is not installed on erp-c (needs resource-agents); erp-ip: ocf:heartbeat:IPaddr2 is not installed on erp-c (needs resource-agents)',
      );
      expect(text.stdout).toMatch(/ {2}erp-a: NOT SAFE\n/);
      expect(text.stdout).toMatch(/ {2}erp-b: safe\n/);
      expect(text.stdout).toMatch(/ {2}erp-c: safe\n/);
      const json = await driftd(['window', 'plan', '--config', asShipped, '--simulate', '--json']);
      const plan = JSON.parse(json.stdout) as {
        failover: { node: string; simulation: { ok: boolean; reason?: string } }[];
        readiness: { notes: string[] };
      };
      expect(plan.failover.map((f) => [f.node, f.simulation.ok])).toEqual([
        ['erp-a', false],
        ['erp-b', false],
        ['erp-c', false],
      ]);
      expect(plan.failover[0]?.simulation.reason).toContain('has no status section');
      expect(plan.readiness.notes).toContain(`failover of erp-a not simulated: ${plan.failover[0]?.simulation.reason ?? ''}`);
    },
    SLOW,
  );

  withScheduler(
    'driftd check simulates every node too (same verdict as the daemon); --no-simulate skips it',
    async () => {
      const json = await driftd(['check', '--config', withStatus, '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as CheckReport;
      expect(report.failover?.map((s) => [s.node, s.verdict])).toEqual([
        ['erp-a', 'unsafe'],
        ['erp-b', 'safe'],
        ['erp-c', 'safe'],
      ]);
      const head = report.findings.find((f) => f.facet === 'packages' && f.key === 'resource-agents');
      expect(head?.evidence?.find((e) => e.kind === 'failover')).toMatchObject({
        key: 'failover:agent:erp-c:resource-agents',
        outliers: ['erp-c'],
        remediation: 'install resource-agents on erp-c',
      });
      const text = await driftd(['check', '--config', withStatus]);
      expect(text.stdout).toMatch(/If a node fails now \(Pacemaker's scheduler on the collected CIB\):\n {2}erp-a {2}NOT SAFE/);
      const skipped = await driftd(['check', '--config', withStatus, '--json', '--no-simulate']);
      const plain = JSON.parse(skipped.stdout) as CheckReport;
      expect(plain.failover).toBeUndefined();
      expect(plain.findings.map((f) => f.id)).toEqual(report.findings.map((f) => f.id));
    },
    SLOW,
  );

  withScheduler(
    'could not tell (exit 2): a node the CIB does not have, no crm_simulate, no status collected',
    async () => {
      const unknownNode = await driftd(['simulate', '--config', withStatus, '--fail', 'erp-z']);
      expect(unknownNode.code).toBe(2);
      expect(unknownNode.stderr).toContain('has no node named "erp-z"; its nodes: erp-a, erp-b, erp-c');
      const noScheduler = await driftd(['simulate', '--config', withStatus, '--fail', 'erp-a', '--json'], {
        DRIFTD_CRM_SIMULATE: '/nonexistent/crm_simulate',
      });
      expect(noScheduler.code).toBe(2);
      expect(noScheduler.stderr).toContain('crm_simulate is not installed on this host');
      expect(JSON.parse(noScheduler.stdout)).toMatchObject({
        verdict: 'unknown',
        reasons: [expect.stringContaining('apt-get install pacemaker-cli-utils')],
      });
      // The shipped demo's CIB has an empty status: it says where nothing runs.
      const noStatus = await driftd(['simulate', '--config', asShipped, '--fail', 'erp-a']);
      expect(noStatus.code).toBe(2);
      expect(noStatus.stderr).toContain('erp-a: its CIB (cibadmin) has no status section');
    },
    SLOW,
  );
});
