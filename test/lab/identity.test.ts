/**
 * Identities that must differ (issue #25), against the real CLI over real SSH: each lab
 * node has its own machine-id and sshd host key (lab.sh up); seed.sh clones them. A shared
 * identity is one critical finding naming the nodes that share it, never the healthy one
 * that differs from them, even though the two clones are the majority.
 *
 * Each node also has its own MAC and address on its own eth0 (its own network namespace,
 * lab.sh up): the clean lab below shares none of them either; network.test.ts drifts the
 * MTU. A shared MAC or address is covered by the engine tests
 * (test/core/engine/identities.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import { LAB_DIR, labNodes, labUnavailableReason, resetAllNodes, runCheck, seed, seedWithInput } from './lab-env.js';

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab identity scenarios: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

function describeFindings(report: CheckReport): string {
  return JSON.stringify(
    report.findings.map((f) => ({ facet: f.facet, key: f.key, kind: f.kind, severity: f.severity, outliers: f.outliers })),
  );
}

describeLab(unavailable ? `lab identity scenarios (SKIPPED: ${unavailable})` : 'lab identity scenarios', () => {
  const nodes = unavailable ? [] : labNodes();
  const [erpA, erpB, erpC] = nodes as [string, string, string];
  const root = (node: string) => join(LAB_DIR, 'roots', node);

  beforeEach(() => resetAllNodes());
  afterAll(() => {
    if (!unavailable) resetAllNodes();
  });

  it('each node has its own identity: the identity facet is read and finds nothing', () => {
    const { report, exitCode } = runCheck();
    expect(report.findings, describeFindings(report)).toEqual([]);
    expect(exitCode).toBe(0);
    for (const node of report.nodes) expect(node.facets.identity, node.name).toBe('ok');
  });

  it('the same machine-id on two of three nodes: one critical finding naming those two, the third ready', () => {
    seedWithInput(erpB, 'write', readFileSync(join(root(erpA), 'etc/machine-id'), 'utf8'), '/etc/machine-id');
    const { report, exitCode } = runCheck();
    expect(report.findings, describeFindings(report)).toHaveLength(1);
    const [f] = report.findings as [CheckReport['findings'][number]];
    expect(f).toMatchObject({ kind: 'identity', facet: 'identity', key: 'unique:machine-id', severity: 'critical' });
    expect(f.outliers).toEqual([erpA, erpB].sort());
    expect(f.message).toContain(`${erpA} and ${erpB} share`);
    expect(f.remediation).toContain('systemd-machine-id-setup');
    expect(exitCode).toBe(1);
    const ready = Object.fromEntries(report.nodes.map((n) => [n.name, n.ready]));
    expect(ready).toEqual({ [erpA]: false, [erpB]: false, [erpC]: true });
  });

  it('a cloned node (machine-id and host key copied): one finding per identity, each naming the clone pair only', () => {
    seed(erpC, 'clone-identity', erpA);
    const { report } = runCheck();
    expect(
      report.findings.map((f) => [f.key, f.outliers]),
      describeFindings(report),
    ).toEqual([
      ['unique:machine-id', [erpA, erpC].sort()],
      ['unique:ssh-host-key', [erpA, erpC].sort()],
    ]);
    expect(report.findings.every((f) => f.severity === 'critical' && !f.outliers.includes(erpB))).toBe(true);
  });

  it('corosync.conf giving two nodelist entries one nodeid (on every node): one critical naming the entries', () => {
    const conf = readFileSync(join(LAB_DIR, 'baseline', 'etc/corosync/corosync.conf'), 'utf8');
    const clashing = conf.replace(/(name: erp-b\s*\n\s*nodeid:\s*)\d+/, '$11');
    expect(clashing).not.toBe(conf);
    for (const node of nodes) seedWithInput(node, 'write', clashing, '/etc/corosync/corosync.conf');
    const { report } = runCheck();
    const identity = report.findings.filter((f) => f.kind === 'identity');
    expect(
      identity.map((f) => [f.facet, f.key, f.severity]),
      describeFindings(report),
    ).toEqual([['corosync', 'unique:corosync-nodeid-unique', 'critical']]);
    expect(identity[0]?.message).toContain(`${erpA} and ${erpB} are given the same 1`);
  });
});
