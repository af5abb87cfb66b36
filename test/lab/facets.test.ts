/**
 * The users and mounts facets on the lab's real sshd nodes (issue #25): a service
 * account whose uid differs on one node, and an /etc/fstab entry that is not mounted.
 * Both facets are on by default, so the lab's own config collects them; the clean lab
 * (scenarios.test.ts) has no finding with them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import { LAB_CONFIG, LAB_DIR, labNodes, labUnavailableReason, resetAllNodes, runCheck, seed } from './lab-env.js';

type Finding = CheckReport['findings'][number];

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab facet scenarios: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

const withEvidence = (report: CheckReport): Finding[] => report.findings.flatMap((f) => [f, ...(f.evidence ?? [])]);
const shown = (report: CheckReport): string =>
  JSON.stringify(report.findings.map((f) => ({ facet: f.facet, key: f.key, kind: f.kind, severity: f.severity, outliers: f.outliers })));

/** The lab's config with `users.accounts` naming the site's service accounts. */
function configNaming(accounts: string[]): string {
  const text = readFileSync(LAB_CONFIG, 'utf8').replace(/^clusters:/m, `users:\n  accounts: [${accounts.join(', ')}]\nclusters:`);
  const path = join(LAB_DIR, 'driftd-users.yaml');
  writeFileSync(path, text);
  return path;
}

describeLab(unavailable ? `lab facet scenarios (SKIPPED: ${unavailable})` : 'lab facet scenarios: users and mounts', () => {
  const nodes = unavailable ? [] : labNodes();
  const [erpA, erpB, erpC] = nodes as [string, string, string];

  beforeEach(() => resetAllNodes());
  afterAll(() => {
    if (!unavailable) resetAllNodes();
  });

  it('clean lab: users and mounts are collected on every node, with no finding', () => {
    const { report } = runCheck();
    for (const node of report.nodes) {
      expect(node.facets.users, node.name).toBe('ok');
      expect(node.facets.mounts, node.name).toBe('ok');
    }
    expect(report.findings, shown(report)).toEqual([]);
  });

  it('an account with another uid on one node: a warning naming that node', () => {
    seed(erpB, 'user-uid', 'www-data', '1033');
    const { report, exitCode } = runCheck();
    const f = report.findings.find((x) => x.facet === 'users');
    expect(f, shown(report)).toMatchObject({ key: 'user.www-data', kind: 'mismatch', severity: 'warning', outliers: [erpB] });
    expect(f?.values[erpB]).toBe('uid=1033 gid=33(www-data)');
    expect(f?.values[erpA]).toBe('uid=33 gid=33(www-data)');
    expect(report.findings, shown(report)).toHaveLength(1);
    expect(exitCode).toBe(report.ready ? 0 : 1);
  });

  it('the same drift on an account the site names (users.accounts, resolved by getent on the node): critical, not ready', () => {
    seed(erpC, 'user-uid', 'www-data', '1033');
    const { report, exitCode } = runCheck([], configNaming(['www-data', 'nobody']));
    const f = report.findings.find((x) => x.facet === 'users');
    expect(f, shown(report)).toMatchObject({ key: 'named.user.www-data', severity: 'critical', outliers: [erpC], rule: 'named-accounts' });
    expect(report.findings, shown(report)).toHaveLength(1);
    expect(report.ready).toBe(false);
    expect(exitCode).toBe(1);
  });

  it('an fstab entry not mounted on any node: a runtime warning naming every node (peers agree, so no drift)', () => {
    for (const node of nodes) seed(node, 'fstab-add', 'tmpfs', '/srv/driftd-lab', 'tmpfs', 'size=1m');
    const { report } = runCheck();
    expect(report.findings, shown(report)).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      kind: 'runtime',
      facet: 'mounts',
      key: 'runtime:/srv/driftd-lab',
      severity: 'warning',
      rule: 'mounts-runtime',
    });
    expect([...(report.findings[0]?.outliers ?? [])].sort()).toEqual([...nodes].sort());
    expect(report.findings[0]?.message).toContain('/etc/fstab:2 sets tmpfs tmpfs');
  });

  it('an fstab entry added on one node only: the entry is drift there, and not mounted (both about that node)', () => {
    seed(erpA, 'fstab-add', 'tmpfs', '/srv/driftd-lab', 'tmpfs', 'size=1m');
    const { report } = runCheck();
    const all = withEvidence(report).filter((f) => f.facet === 'mounts');
    expect(
      all.find((f) => f.kind === 'runtime'),
      shown(report),
    ).toMatchObject({ key: 'runtime:/srv/driftd-lab', outliers: [erpA] });
    expect(
      all.find((f) => f.key === 'fstab./srv/driftd-lab'),
      shown(report),
    ).toMatchObject({ kind: 'missing', outliers: [erpA] });
    expect(
      all.every((f) => f.outliers.length === 1 && f.outliers[0] === erpA),
      shown(report),
    ).toBe(true);
  });
});
