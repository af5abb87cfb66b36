/**
 * #23 on real sshd nodes: meanings as Pacemaker and dpkg define them. Each test starts
 * from the lab baseline, seeds one situation with seed.sh the way an admin (or an
 * interrupted upgrade) would leave it, and reads what the real `driftd check` says.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import { labNodes, labUnavailableReason, resetAllNodes, runCheck, seed } from './lab-env.js';

type Finding = CheckReport['findings'][number];

const unavailable = labUnavailableReason();
if (unavailable) console.warn(`SKIPPING lab semantics scenarios: ${unavailable}`);
const describeLab = unavailable ? describe.skip : describe;

function summary(report: CheckReport): string {
  return JSON.stringify(
    report.findings.map((f) => ({
      facet: f.facet,
      key: f.key,
      kind: f.kind,
      severity: f.severity,
      outliers: f.outliers,
      values: f.values,
    })),
    null,
    1,
  );
}

function about(report: CheckReport, facet: string, keyPart: string): Finding[] {
  return report.findings.filter((f) => f.facet === facet && f.key.includes(keyPart));
}

describeLab('Pacemaker and dpkg semantics on the lab (real SSH, real dpkg)', () => {
  beforeEach(() => resetAllNodes());
  afterAll(() => {
    if (!unavailable) resetAllNodes();
  });

  it('the clean lab: every agent the CIB references is on every node, no package state finding', () => {
    const { report } = runCheck();
    expect(
      report.findings.filter((f) => f.kind === 'precondition'),
      summary(report),
    ).toEqual([]);
  });

  it('a custom OCF agent (no package ships it) missing on the standby is a critical precondition naming that node', () => {
    const [first, second, standby] = labNodes() as [string, string, string];
    for (const node of [first, second]) seed(node, 'agent-install', 'driftd-lab', 'erp-custom');
    for (const node of labNodes()) seed(node, 'cib-primitive', 'erp-custom-app', 'ocf:driftd-lab:erp-custom');
    const { report } = runCheck();
    const findings = about(report, 'pacemaker', 'agent:');
    expect(findings, summary(report)).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'precondition',
      key: 'agent:ocf:driftd-lab:erp-custom',
      severity: 'critical',
      outliers: [standby],
      values: {
        [first]: '/usr/lib/ocf/resource.d/driftd-lab/erp-custom',
        [second]: '/usr/lib/ocf/resource.d/driftd-lab/erp-custom',
        [standby]: null,
      },
    });
    expect(findings[0]?.message).toContain(`not installed on ${standby}`);
    expect(report.ready).toBe(false);

    // Copied onto the standby too (still no package): nothing left to report.
    seed(standby, 'agent-install', 'driftd-lab', 'erp-custom');
    const after = runCheck().report;
    expect(about(after, 'pacemaker', 'agent:'), summary(after)).toEqual([]);
  });

  it('a held package is installed: no missing finding, no state finding', () => {
    for (const node of labNodes()) seed(node, 'install-deb', 'driftd-lab-held', '1.0-1');
    const held = labNodes()[1] as string;
    seed(held, 'hold-deb', 'driftd-lab-held');
    const { report } = runCheck();
    expect(about(report, 'packages', 'driftd-lab-held'), summary(report)).toEqual([]);
  });

  it('an interrupted upgrade (unpacked on one node, half-configured on another) is "not configured" there, not missing', () => {
    const [, unpacked, halfConfigured] = labNodes() as [string, string, string];
    for (const node of labNodes()) seed(node, 'install-deb', 'driftd-lab-upgrade', '1.0-1');
    seed(unpacked, 'unpack-deb', 'driftd-lab-upgrade', '2.0-1');
    seed(halfConfigured, 'half-configure-deb', 'driftd-lab-upgrade', '2.0-1');
    const { report } = runCheck();
    const state = report.findings.filter((f) => f.key === 'state:driftd-lab-upgrade');
    expect(state, summary(report)).toHaveLength(1);
    expect(state[0]).toMatchObject({ kind: 'precondition', facet: 'packages', severity: 'critical' });
    expect([...(state[0]?.outliers ?? [])].sort()).toEqual([unpacked, halfConfigured].sort());
    expect(state[0]?.values[unpacked]).toBe('unpacked');
    expect(state[0]?.values[halfConfigured]).toBe('half-configured');
    expect(state[0]?.message).toContain('dpkg --configure -a');
    // The version on disk is still compared (2.0-1 unpacked against 1.0-1), never "missing".
    expect(
      report.findings.filter((f) => f.key === 'driftd-lab-upgrade' && f.kind === 'missing'),
      summary(report),
    ).toEqual([]);
  });
});
