/**
 * Drift scenarios against the real CLI: `driftd check --json` collects over real SSH from
 * the lab's chrooted sshd nodes, and the report is read through the published contract
 * (src/core/check-report.ts). Each test starts from the lab baseline (every node
 * identical), drifts one node with seed.sh, and checks what driftd says about it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import {
  hostKeyFingerprint,
  LAB_DIR,
  labNodes,
  labUnavailableReason,
  resetAllNodes,
  runCheck,
  seed,
  seedWithInput,
  startCorosyncCluster,
  type CheckRun,
} from './lab-env.js';

type Finding = CheckReport['findings'][number];
const DRIFT_KINDS = new Set(['mismatch', 'missing']);

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab drift scenarios: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

/** The verdict and the exit code must agree, whatever the scenario. */
function checkConsistent(run: CheckRun): CheckReport {
  const { report, exitCode } = run;
  expect(exitCode, run.stderr).toBe(report.ready ? 0 : 1);
  expect(report.cluster).toBe('lab');
  expect(report.nodes.map((node) => node.name).sort()).toEqual([...labNodes()].sort());
  return report;
}

const HOST_SWAPPINESS = existsSync('/proc/sys/vm/swappiness') ? readFileSync('/proc/sys/vm/swappiness', 'utf8').trim() : '';

function only<T>(list: readonly T[], why: string): T {
  expect(list, why).toHaveLength(1);
  return list[0] as T;
}

function driftFindings(report: CheckReport): Finding[] {
  return report.findings.filter((finding) => DRIFT_KINDS.has(finding.kind) && !finding.waived);
}

/** Headlines and the evidence attached to them (issue #21): every finding a check produced. */
function withEvidence(report: CheckReport): Finding[] {
  return report.findings.flatMap((f) => [f, ...(f.evidence ?? [])]);
}

function findingsAbout(report: CheckReport, facet: string, keyPart: string): Finding[] {
  return report.findings.filter((finding) => finding.facet === facet && finding.key.includes(keyPart));
}

function describeFindings(report: CheckReport): string {
  return JSON.stringify(
    report.findings.map((f) => ({ facet: f.facet, key: f.key, kind: f.kind, severity: f.severity, outliers: f.outliers })),
    null,
    1,
  );
}

function expectAudited(report: CheckReport, nodes: string[]): void {
  for (const name of nodes) {
    const node = report.nodes.find((candidate) => candidate.name === name);
    expect(node, name).toBeDefined();
    expect(node!.reachable, `${name}: ${node!.error}`).toBe(true);
    expect(node!.snapshotAt, name).not.toBeNull();
    expect(node!.facets.packages, name).toBe('ok');
    expect(node!.facets.files, name).toBe('ok');
  }
}

describeLab(unavailable ? `lab drift scenarios (SKIPPED: ${unavailable})` : 'lab drift scenarios', () => {
  const nodes = unavailable ? [] : labNodes();
  const [erpA, erpB, erpC] = nodes as [string, string, string];

  beforeEach(() => resetAllNodes());
  afterAll(() => {
    if (!unavailable) resetAllNodes();
  });

  it('identical nodes: no drift finding, every node reachable and ready, exit 0', () => {
    const report = checkConsistent(runCheck());
    expect(driftFindings(report), describeFindings(report)).toEqual([]);
    // Nor anything else: no runtime-vs-disk, best-practice, expectation or precondition
    // finding on the clean cluster (the shipped packs give no false positive here).
    expect(report.findings, describeFindings(report)).toEqual([]);
    expectAudited(report, nodes);
    for (const node of report.nodes) expect(node.ready, `${node.name}: ${JSON.stringify(node.contributions)}`).toBe(true);
    expect(report.ready).toBe(true);
  });

  it('a package installed on one node only is reported with that node as the outlier', () => {
    seed(erpB, 'install-deb', 'driftd-lab-tool', '1.0-1');
    const report = checkConsistent(runCheck());
    const found = findingsAbout(report, 'packages', 'driftd-lab-tool');
    expect(found, describeFindings(report)).toHaveLength(1);
    const [finding] = found as [Finding];
    expect(['missing', 'mismatch']).toContain(finding.kind);
    expect(finding.values[erpA]).toBeNull();
    expect(finding.values[erpC]).toBeNull();
    expect(finding.values[erpB]).toContain('1.0-1');
    expect(finding.outliers).toEqual([erpB]);
  });

  it('a package at another version on one node is a revision skew with that node as the outlier', () => {
    for (const node of nodes) seed(node, 'install-deb', 'driftd-lab-tool', '1.0-1');
    seed(erpC, 'install-deb', 'driftd-lab-tool', '1.0-2');
    const report = checkConsistent(runCheck());
    const found = findingsAbout(report, 'packages', 'driftd-lab-tool');
    expect(found, describeFindings(report)).toHaveLength(1);
    const [finding] = found as [Finding];
    expect(finding.kind).toBe('mismatch');
    expect(finding.values[erpA]).toContain('1.0-1');
    expect(finding.values[erpC]).toContain('1.0-2');
    expect(finding.outliers).toEqual([erpC]);
    expect(finding.detail?.skew).toBe('revision');
  });

  it('a sysctl.d file that differs on one node carries a unified diff from the majority', () => {
    seed(erpA, 'sysctl-conf', 'vm.swappiness', '30');
    const report = checkConsistent(runCheck());
    // One problem, one headline (issue #21): the files entry is evidence of the sysctl finding.
    expect(report.findings, describeFindings(report)).toHaveLength(1);
    const found = withEvidence(report).filter((f) => f.facet === 'files' && f.key === '/etc/sysctl.d/90-driftd-lab.conf');
    expect(found, describeFindings(report)).toHaveLength(1);
    const [finding] = found as [Finding];
    expect(finding.outliers).toEqual([erpA]);
    const diff = finding.detail?.diff ?? '';
    expect(diff).toMatch(/^@@ /m);
    expect(diff).toMatch(new RegExp(`^-vm\\.swappiness = ${HOST_SWAPPINESS}$`, 'm'));
    expect(diff).toMatch(/^\+vm\.swappiness = 30$/m);
    // The live kernel value is the host's on every node: no peer drift of the live key...
    expect(report.findings.filter((f) => f.facet === 'sysctl' && f.key === 'vm.swappiness')).toEqual([]);
    // ...but erp-a's file no longer says what runs: a runtime finding on erp-a alone (the headline).
    const runtime = only(
      withEvidence(report).filter((f) => f.kind === 'runtime'),
      describeFindings(report),
    );
    expect(report.findings[0]?.id).toBe(runtime.id);
    expect(runtime).toMatchObject({
      facet: 'sysctl',
      key: 'runtime:vm.swappiness',
      outliers: [erpA],
      severity: 'warning',
      rule: 'sysctl-runtime',
    });
    expect(runtime.detail?.runtime?.[erpA]).toEqual({
      running: HOST_SWAPPINESS,
      configured: '30',
      source: '/etc/sysctl.d/90-driftd-lab.conf:2',
    });
    expect(runtime.remediation).toContain('sysctl --system');
  });

  it('a kernel installed but not booted on one node: reboot required there, with running and newest release', () => {
    seedWithInput(erpB, 'write', '', '/boot/vmlinuz-99.0.0-driftd-lab');
    const report = checkConsistent(runCheck());
    const f = only(
      report.findings.filter((x) => x.facet === 'kernel' && x.key === 'reboot_required'),
      describeFindings(report),
    );
    expect(f).toMatchObject({ kind: 'precondition', outliers: [erpB], severity: 'warning', rule: 'pending-reboot' });
    expect(f.detail?.runtime?.[erpB]).toMatchObject({ configured: '99.0.0-driftd-lab', source: '/boot/vmlinuz-99.0.0-driftd-lab' });
    expect(f.detail?.runtime?.[erpB]?.running).toMatch(/^\d+\.\d+/);
    expect(f.remediation).toContain('Reboot');
  });

  it('a live sysctl changed on one node without its file (sysctl -w by hand): a runtime finding there with both values, and the live value as peer drift', () => {
    const live = HOST_SWAPPINESS === '33' ? '34' : '33';
    seed(erpB, 'sysctl-live', 'vm.swappiness', live);
    const report = checkConsistent(runCheck());
    // One problem, one headline (issue #21): the live drift, with the runtime finding as evidence.
    const runtime = only(
      withEvidence(report).filter((f) => f.kind === 'runtime'),
      describeFindings(report),
    );
    expect(runtime).toMatchObject({
      facet: 'sysctl',
      key: 'runtime:vm.swappiness',
      outliers: [erpB],
      severity: 'warning',
      rule: 'sysctl-runtime',
    });
    expect(runtime.detail?.runtime).toEqual({
      [erpB]: { running: live, configured: HOST_SWAPPINESS, source: '/etc/sysctl.d/90-driftd-lab.conf:2' },
    });
    expect(runtime.remediation).toContain('sysctl --system');
    // The live value differs from the peers' too; the files agree, so no files finding.
    const peer = only(report.findings, describeFindings(report));
    expect(peer).toMatchObject({ facet: 'sysctl', key: 'vm.swappiness', kind: 'mismatch', outliers: [erpB], majority: HOST_SWAPPINESS });
    expect(peer.evidence?.map((e) => e.id)).toEqual([runtime.id]);
    expect(findingsAbout(report, 'files', 'sysctl.d')).toEqual([]);
  });

  it('a real 3-node corosync cluster: clean while it runs what its files say; corosync.conf edited on every node but not reloaded is critical on each node with both values; `corosync-cfgtool -R` clears it', async () => {
    await startCorosyncCluster();
    const running = checkConsistent(runCheck());
    for (const node of running.nodes) expect(node.facets.corosync, node.name).toBe('ok');
    // The cmap view was really read on every node (not a silent "unavailable").
    expect(running.findings, describeFindings(running)).toEqual([]);
    expect(running.ready).toBe(true);

    for (const node of nodes) seed(node, 'corosync-token', '10000');
    const edited = checkConsistent(runCheck());
    // Every node's file agrees with its peers: only the running daemons disagree with their files.
    expect(driftFindings(edited), describeFindings(edited)).toEqual([]);
    const f = only(edited.findings, describeFindings(edited));
    expect(f).toMatchObject({
      kind: 'runtime',
      facet: 'corosync',
      key: 'runtime:totem.token',
      severity: 'critical',
      rule: 'corosync-runtime',
      outliers: [erpA, erpB, erpC],
    });
    for (const node of nodes)
      expect(f.detail?.runtime?.[node], node).toEqual({ running: '5000', configured: '10000', source: '/etc/corosync/corosync.conf' });
    expect(f.remediation).toContain('corosync-cfgtool -R');
    expect(f.source).toBeDefined();
    expect(edited.ready).toBe(false);

    seed(erpA, 'corosync-reload');
    const reloaded = checkConsistent(runCheck());
    expect(reloaded.findings, describeFindings(reloaded)).toEqual([]);
    expect(reloaded.ready).toBe(true);
  });

  it('corosync stopped on one node of the running cluster is one critical finding naming it, not one per cmap key', async () => {
    await startCorosyncCluster();
    seed(erpC, 'corosync-stop');
    const report = checkConsistent(runCheck());
    const f = only(report.findings, describeFindings(report));
    expect(f).toMatchObject({
      kind: 'missing',
      facet: 'corosync',
      key: 'daemon:running',
      severity: 'critical',
      outliers: [erpC],
      majority: 'running',
    });
    expect(f.values).toEqual({ [erpA]: 'running', [erpB]: 'running', [erpC]: null });
    expect(f.message).toMatch(new RegExp(`not on ${erpC} \\(unavailable: corosync-cmapctl`));
    expect(report.ready).toBe(false);
  });

  it('every node with stonith-enabled=false: one critical best-practice finding on all nodes, with source and remediation; not ready', () => {
    const cib = readFileSync(join(LAB_DIR, 'baseline/var/lib/pacemaker/cib/cib.xml'), 'utf8');
    const off = cib.replace('name="stonith-enabled" value="true"', 'name="stonith-enabled" value="false"');
    expect(off).not.toBe(cib);
    for (const node of nodes) seedWithInput(node, 'write', off, '/var/lib/pacemaker/cib/cib.xml');
    const report = checkConsistent(runCheck());
    // Every node agrees, so peer diff sees nothing; the practice is what is broken.
    expect(report.findings.filter((f) => f.kind === 'mismatch' || f.kind === 'missing')).toEqual([]);
    // #23: the effective value is read under Pacemaker 3's name (the CIB sets only the old one).
    const f = only(
      report.findings.filter((x) => x.key === 'property.fencing-enabled'),
      describeFindings(report),
    );
    expect(f).toMatchObject({
      kind: 'expectation',
      facet: 'pacemaker',
      severity: 'critical',
      rule: 'stonith-enabled',
      outliers: [erpA, erpB, erpC],
    });
    expect(f.source).toContain('Pacemaker Explained');
    expect(f.remediation).toContain('stonith-enabled=true');
    expect(report.ready).toBe(false);
  });

  it('an /etc/hosts line added on one node is a files finding with the added line in the diff', () => {
    seed(erpC, 'hosts-add', '127.0.0.99', 'erp-extra');
    const report = checkConsistent(runCheck());
    const found = findingsAbout(report, 'files', '/etc/hosts');
    expect(found, describeFindings(report)).toHaveLength(1);
    expect(found[0]!.outliers).toEqual([erpC]);
    expect(found[0]!.detail?.diff ?? '').toMatch(/^\+127\.0\.0\.99\terp-extra$/m);
  });

  it('corosync totem.token differing on one node is a corosync finding naming the key and both values', () => {
    seed(erpB, 'corosync-token', '10000');
    const report = checkConsistent(runCheck());
    const found = findingsAbout(report, 'corosync', 'totem.token');
    expect(found, describeFindings(report)).toHaveLength(1);
    const [finding] = found as [Finding];
    expect(finding.outliers).toEqual([erpB]);
    expect(finding.values[erpB]).toBe('10000');
    expect(finding.values[erpA]).toBe('5000');
    expect(finding.majority).toBe('5000');
  });

  it('a CIB differing only in volatile parts (counters, update-origin, status) gives no pacemaker finding', () => {
    seed(erpC, 'cib-volatile');
    const report = checkConsistent(runCheck());
    expect(
      report.findings.filter((f) => f.facet === 'pacemaker'),
      describeFindings(report),
    ).toEqual([]);
    for (const node of report.nodes) expect(node.facets.pacemaker, node.name).toBe('ok');
    // cib.xml is also in the watched file list; the shipped cluster-config pack leaves its
    // raw bytes to the pacemaker facet, so no drift finding at all.
    expect(driftFindings(report), describeFindings(report)).toEqual([]);
    expect(
      report.findings.filter((f) => f.severity === 'critical' && !f.waived),
      describeFindings(report),
    ).toEqual([]);
  });

  it('a resource parameter differing in the CIB is a critical pacemaker finding and the cluster is not ready', () => {
    seed(erpA, 'cib-param', 'erp-vip', 'ip', '127.0.0.11');
    const run = runCheck();
    const report = checkConsistent(run);
    const found = report.findings.filter((f) => f.facet === 'pacemaker' && f.key.includes('erp-vip'));
    expect(found, describeFindings(report)).toHaveLength(1);
    const [finding] = found as [Finding];
    expect(finding.severity).toBe('critical');
    expect(finding.outliers).toEqual([erpA]);
    expect(finding.values[erpA]).toContain('127.0.0.11');
    expect(finding.values[erpB]).toContain('127.0.0.10');
    expect(report.ready).toBe(false);
    expect(run.exitCode).toBe(1);
  });

  it('a node that is down is reported unreachable, the others are still audited, verdict not ready, exit 1', () => {
    seed(erpC, 'stop');
    seed(erpB, 'install-deb', 'driftd-lab-tool', '1.0-1');
    const run = runCheck();
    const report = checkConsistent(run);
    expect(run.exitCode).toBe(1);
    expect(report.ready).toBe(false);
    const down = report.nodes.find((node) => node.name === erpC)!;
    expect(down.reachable).toBe(false);
    expect(down.ready).toBe(false);
    expect(down.error).toMatch(/refused|ECONNREFUSED|connect/i);
    expect(
      report.findings.some((f) => f.kind === 'unreachable' && (f.outliers.includes(erpC) || erpC in f.values)),
      describeFindings(report),
    ).toBe(true);
    // The rest is still audited: drift between the reachable nodes is found.
    expectAudited(report, [erpA, erpB]);
    expect(
      findingsAbout(report, 'packages', 'driftd-lab-tool').some((f) => f.outliers.includes(erpB)),
      describeFindings(report),
    ).toBe(true);
  });

  it('a node whose host key changed is refused (never trusted), reported, the others audited, exit 1', () => {
    seed(erpA, 'rekey');
    const run = runCheck();
    const report = checkConsistent(run);
    expect(run.exitCode).toBe(1);
    expect(report.ready).toBe(false);
    const rekeyed = report.nodes.find((node) => node.name === erpA)!;
    expect(rekeyed.reachable).toBe(false);
    expect(rekeyed.ready).toBe(false);
    // Nothing from the impostor is used: no facet was collected.
    expect(rekeyed.facets).toEqual({});
    expect(rekeyed.error).toMatch(/host key/i);
    expect(rekeyed.error).toContain(hostKeyFingerprint(erpA));
    expect(
      report.findings.some((f) => f.kind === 'unreachable' && f.outliers.includes(erpA)),
      describeFindings(report),
    ).toBe(true);
    expectAudited(report, [erpB, erpC]);
  });
});
