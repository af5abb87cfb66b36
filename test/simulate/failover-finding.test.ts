/**
 * The unsafe-failover finding and the report's `failover` list, through the engine as every
 * audit runs it (evaluateCluster). The scenarios come from the REAL crm_simulate of this
 * host on the demo CIB with status (fixtures/cluster/pacemaker/crm_simulate-2.1.5-demo-with-status.xml,
 * a real Pacemaker 2.1.5 scheduler output), each node failing in turn; one case adds two
 * HAND-MADE location constraints to it (nowhere to go), one a HAND-MADE outcome (a second
 * scenario). The snapshots are HAND-MADE minimal ones: only the facets the judgement reads.
 * Skipped loudly without crm_simulate; a failure under CI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/core/check-report.js';
import { CIB_META_KEY } from '../../src/core/simulate/cib-meta.js';
import { failoverStatuses, type FailoverScenario } from '../../src/core/simulate/findings.js';
import { judgeSimulation } from '../../src/core/simulate/judge.js';
import { mapNodes } from '../../src/core/simulate/pick-cib.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { simulateEveryNode } from '../../src/simulate/failover.js';
import { findCrmSimulate } from '../../src/simulate/run.js';
import { FIXTURES } from '../collectors/fixture-outputs.js';
import { FRESH } from '../core/engine/handmade-cluster.js';
import { check, rules, withEvidence } from '../core/engine/check.js';

type Finding = CheckReport['findings'][number];

const required = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const crmSimulate = findCrmSimulate(process.env.DRIFTD_CRM_SIMULATE);
if (!crmSimulate && !required)
  console.warn('CRM_SIMULATE ABSENT: install pacemaker-cli-utils (test/setup.sh does); the failover finding tests are SKIPPED');
const withScheduler = crmSimulate !== undefined || required ? describe : describe.skip;

const NODES = ['erp-a', 'erp-b', 'erp-c'];
const CIB = readFileSync(join(FIXTURES, 'cluster', 'pacemaker', 'crm_simulate-2.1.5-demo-with-status.xml'), 'utf8');
/** HAND-MADE: erp-group may run on erp-a only, so it has nowhere to go when erp-a fails. */
const PINNED = CIB.replace(
  '</constraints>',
  '<rsc_location id="no-b" rsc="erp-group" node="erp-b" score="-INFINITY"/><rsc_location id="no-c" rsc="erp-group" node="erp-c" score="-INFINITY"/></constraints>',
);

const STACK = { pacemaker: '2.1.5-1+deb12u1', corosync: '3.1.7-1+deb12u2', 'resource-agents': '1:4.12.0-2', 'drbd-utils': '9.22.0-1' };

function node(name: string, cib: string, packages: Record<string, string> = STACK): NodeSnapshot {
  return {
    cluster: 'erp',
    node: name,
    takenAt: FRESH,
    facets: {
      packages: {
        status: 'ok',
        items: Object.fromEntries(Object.entries(packages).map(([k, v]) => [k, { value: v }])),
        meta: { format: 'deb' },
      },
      kernel: { status: 'ok', items: { release: { value: '6.1.0-28-amd64' }, reboot_required: { value: 'false' } } },
      drbd: { status: 'ok', items: { 'version.kernel': { value: '9.2.12' }, 'version.userland': { value: '9.22.0' } } },
      pacemaker: {
        status: 'ok',
        items: { 'resource.erp-fs': { value: 'ocf:heartbeat:Filesystem' }, 'resource.erp-fs.param.device': { value: '/dev/drbd0' } },
        meta: { source: 'cibadmin', [CIB_META_KEY]: cib },
      },
    },
  };
}

const { 'resource-agents': _ra, ...WITHOUT_AGENTS } = STACK;

async function scenarios(snapshots: NodeSnapshot[]): Promise<FailoverScenario[]> {
  const runs = await simulateEveryNode('erp', NODES, snapshots);
  return runs.map((r) =>
    r.simulation.ok ? { node: r.node, ok: true, report: r.simulation.report } : { node: r.node, ok: false, reason: r.simulation.reason },
  );
}

function failoverOf(report: CheckReport): Finding[] {
  return withEvidence(report).filter((f) => f.kind === 'failover');
}

function nodeOf(report: CheckReport, name: string): CheckReport['nodes'][number] {
  const n = report.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no ${name}`);
  return n;
}

withScheduler('the unsafe-failover finding (real crm_simulate)', () => {
  let missing: { snapshots: NodeSnapshot[]; scenarios: FailoverScenario[] };
  let pinned: { snapshots: NodeSnapshot[]; scenarios: FailoverScenario[] };

  beforeAll(async () => {
    const a = [node('erp-a', CIB), node('erp-b', CIB), node('erp-c', CIB, WITHOUT_AGENTS)];
    const b = [node('erp-a', PINNED), node('erp-b', PINNED), node('erp-c', PINNED)];
    missing = { snapshots: a, scenarios: await scenarios(a) };
    pinned = { snapshots: b, scenarios: await scenarios(b) };
  }, 120_000);

  it('one missing package breaking two resources is one problem: under the package headline, naming both, fix on erp-c', () => {
    const report = check(missing.snapshots, { nodes: NODES, failover: missing.scenarios });
    const failover = failoverOf(report);
    expect(failover).toHaveLength(1);
    const f = failover[0] as Finding;
    expect(f).toMatchObject({
      kind: 'failover',
      facet: 'pacemaker',
      key: 'failover:agent:erp-c:resource-agents',
      severity: 'critical',
      outliers: ['erp-c'],
      remediation: 'install resource-agents on erp-c',
    });
    expect(f.message).toMatch(/^if erp-a fails, erp-fs and erp-ip would move to erp-c, which cannot run them: /);
    expect(f.values['erp-a']).toBe('fails: erp-fs, erp-ip -> erp-c');
    // The root cause (resource-agents missing on erp-c) already has a headline: the failover
    // finding is its evidence, and the headline says what it would break.
    const head = report.findings.find((h) => (h.evidence ?? []).some((e) => e.id === f.id));
    expect(head).toMatchObject({ facet: 'packages', key: 'resource-agents', severity: 'critical', outliers: ['erp-c'] });
    expect(head?.message).toContain('; failover: if erp-a fails, erp-fs and erp-ip would move to erp-c, which cannot run them');
    expect(report.findings.filter((h) => h.kind === 'failover')).toEqual([]);
    expect(report.failover).toEqual([
      { node: 'erp-a', verdict: 'unsafe', reasons: expect.arrayContaining([expect.stringContaining('erp-ip: ocf:heartbeat:IPaddr2')]) },
      { node: 'erp-b', verdict: 'safe', reasons: [] },
      { node: 'erp-c', verdict: 'safe', reasons: [] },
    ]);
    // The target that cannot run them is not ready; the node whose failure sends them there is.
    expect(nodeOf(report, 'erp-c').ready).toBe(false);
    expect(nodeOf(report, 'erp-a')).toMatchObject({ ready: true, score: 1 });
  });

  it('nowhere to go: a critical finding of its own, counted against the node whose failure loses them', () => {
    const report = check(pinned.snapshots, { nodes: NODES, failover: pinned.scenarios });
    const f = report.findings.find((x) => x.kind === 'failover');
    expect(f).toMatchObject({
      key: 'failover:nowhere:erp-a',
      severity: 'critical',
      outliers: ['erp-a'],
      values: { 'erp-a': 'fails: erp-fs, erp-ip not recovered' },
    });
    expect(f?.message).toMatch(/^if erp-a fails, erp-fs and erp-ip would have nowhere to go: would stop: no node can take it/);
    expect(f?.remediation).toContain('crm_resource --why --resource erp-fs');
    expect(failoverOf(report)).toHaveLength(1);
    expect(nodeOf(report, 'erp-a').ready).toBe(false);
    expect(nodeOf(report, 'erp-a').contributions.map((c) => c.finding)).toContain(f?.id);
    expect(nodeOf(report, 'erp-c')).toMatchObject({ ready: true, score: 1 });
    expect(report.summary.critical).toBe(1);
    // Without the simulation the same snapshots are at parity: the finding is the simulation's.
    expect(check(pinned.snapshots, { nodes: NODES }).ready).toBe(true);
  });

  it('the same root cause in two scenarios is still one finding, naming every failing node', () => {
    const extra = judgeSimulation({
      cluster: 'erp',
      failed: 'erp-b',
      // HAND-MADE outcome: a Dummy resource on erp-b moves to erp-c when erp-b fails.
      outcome: {
        before: {
          nodes: [],
          resources: [
            {
              key: 'dummy',
              primitive: 'dummy',
              agent: 'ocf:heartbeat:Dummy',
              placements: [{ node: 'erp-b', role: 'Started' }],
              stopped: 0,
              managed: true,
              blocked: false,
              failed: false,
            },
          ],
        },
        after: {
          nodes: [],
          resources: [
            {
              key: 'dummy',
              primitive: 'dummy',
              agent: 'ocf:heartbeat:Dummy',
              placements: [{ node: 'erp-c', role: 'Started' }],
              stopped: 0,
              managed: true,
              blocked: false,
              failed: false,
            },
          ],
        },
        fencing: [],
        actions: [],
      },
      nodes: mapNodes(NODES, missing.snapshots),
    });
    const both = missing.scenarios.map((s): FailoverScenario => (s.node === 'erp-b' ? { node: 'erp-b', ok: true, report: extra } : s));
    const report = check(missing.snapshots, { nodes: NODES, failover: both });
    const failover = failoverOf(report);
    expect(failover).toHaveLength(1);
    expect(failover[0]?.values).toMatchObject({ 'erp-a': 'fails: erp-fs, erp-ip -> erp-c', 'erp-b': 'fails: dummy -> erp-c' });
    expect(failover[0]?.message).toMatch(/^if erp-a or erp-b fails, erp-fs, erp-ip and dummy would move to erp-c/);
  });

  it('a simulation that could not run is unknown: no finding, no score change, never safe', () => {
    const unknown: FailoverScenario[] = NODES.map((n) => ({ node: n, ok: false, reason: 'crm_simulate timed out after 1s' }));
    const report = check(pinned.snapshots, { nodes: NODES, failover: unknown });
    const without = check(pinned.snapshots, { nodes: NODES });
    expect(failoverOf(report)).toEqual([]);
    expect(report.nodes).toEqual(without.nodes);
    expect(report.ready).toBe(true);
    expect(report.failover).toEqual(NODES.map((n) => ({ node: n, verdict: 'unknown', reasons: ['crm_simulate timed out after 1s'] })));
    expect(failoverStatuses(['erp-a', 'erp-z'], []).map((s) => s.verdict)).toEqual(['unknown', 'unknown']);
  });

  it('a waived root cause does not hide what it would break: the failover finding then stands alone', () => {
    const waived = rules(
      '  - name: ra-later',
      '    match: { facet: packages, key: resource-agents }',
      '    waivers:',
      '      - { justification: "CHG-7 install on erp-c next week", author: alice, expires: "2030-01-01" }',
    );
    const report = check(missing.snapshots, { nodes: NODES, failover: missing.scenarios, rules: waived });
    expect(report.findings.find((h) => h.facet === 'packages' && h.key === 'resource-agents')?.waived).toBe(true);
    expect(report.findings.filter((h) => h.kind === 'failover')).toEqual([
      expect.objectContaining({ key: 'failover:agent:erp-c:resource-agents', severity: 'critical', outliers: ['erp-c'], waived: false }),
    ]);
    expect(nodeOf(report, 'erp-c').ready).toBe(false);
  });

  it('a rule can lower or drop it like any finding (pacemaker facet, failover:* keys)', () => {
    const lowered = check(pinned.snapshots, {
      nodes: NODES,
      failover: pinned.scenarios,
      rules: rules('  - name: accept-pinned', '    match: { facet: pacemaker, key: "failover:nowhere:*" }', '    severity: warning'),
    });
    expect(lowered.findings.find((f) => f.kind === 'failover')).toMatchObject({ severity: 'warning', rule: 'accept-pinned' });
    expect(nodeOf(lowered, 'erp-a').ready).toBe(true);
  });
});
