/**
 * The network facet on the lab's real sshd nodes (issue #25): each node runs its sessions
 * in its own network namespace with its own NIC (lab.sh up: a dummy `eth0` with the node's
 * own MAC and address), so `ip -json` over SSH sees that node's interfaces, as on a real
 * node. An MTU changed on one node is the drift; the node-specific MAC and addresses are
 * not.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import { CLI_ENTRY, LAB_CLUSTER, LAB_CONFIG, REPO_ROOT, labNodes, labUnavailableReason, resetAllNodes, runCheck, seed } from './lab-env.js';

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab network scenarios: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

const shown = (report: CheckReport): string =>
  JSON.stringify(report.findings.map((f) => ({ facet: f.facet, key: f.key, kind: f.kind, severity: f.severity, outliers: f.outliers })));

describeLab(unavailable ? `lab network scenarios (SKIPPED: ${unavailable})` : 'lab network scenarios', () => {
  const nodes = unavailable ? [] : labNodes();
  const [erpA, erpB, erpC] = nodes as [string, string, string];

  beforeEach(() => resetAllNodes());
  afterAll(() => {
    if (!unavailable) resetAllNodes();
  });

  it('clean lab: network and identity are read on every node (own MAC and address each), with no finding', () => {
    const { report, exitCode } = runCheck();
    for (const node of report.nodes) {
      expect(node.facets.network, node.name).toBe('ok');
      expect(node.facets.identity, node.name).toBe('ok');
    }
    expect(report.findings, shown(report)).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it('an MTU changed on one node: exactly one network finding, naming that node, and the next step points at it', () => {
    seed(erpB, 'mtu', '9000');
    const { report, exitCode } = runCheck();
    const network = report.findings.filter((x) => x.facet === 'network');
    expect(network, shown(report)).toHaveLength(1);
    // The kernel's per-interface IPv6 MTU follows the link's, and the sysctl facet reads it
    // live: the same change, so it is the link finding's evidence, not a second finding.
    expect(report.findings, shown(report)).toHaveLength(1);
    const [f] = network as [CheckReport['findings'][number]];
    expect((f.evidence ?? []).map((x) => [x.facet, x.key, x.outliers])).toEqual([['sysctl', 'net.ipv6.conf.eth0.mtu', [erpB]]]);
    expect(f).toMatchObject({ facet: 'network', key: 'link.eth0.mtu', kind: 'mismatch', outliers: [erpB] });
    expect(f.values).toEqual({ [erpA]: '1500', [erpB]: '9000', [erpC]: '1500' });
    expect(f.majority).toBe('1500');
    expect(f.message).toBe(`network link.eth0.mtu: ${erpB} has 9000 (majority has 1500)`);
    expect(exitCode).toBe(report.ready ? 0 : 1);
    // The plain report's next step points at erp-b, against a node that has it right.
    const text = spawnSync(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [CLI_ENTRY, 'check', '--config', LAB_CONFIG, '--cluster', LAB_CLUSTER],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(text.stdout).toContain(`${erpB} has 9000 (majority has 1500)`);
    expect(text.stdout).toMatch(new RegExp(`driftd diff ${erpB} (${erpA}|${erpC})`));
  });
});
