/**
 * The judgement of a simulated failure: Pacemaker's answer (a real crm_simulate output,
 * erp-a failing in the demo cluster) against the facets collected from the target nodes.
 * The snapshots are HAND-MADE minimal ones: only the facets the judgement reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeSimulation, type SimulationReport } from '../../src/core/simulate/judge.js';
import type { SimResource, SimulationOutcome } from '../../src/core/simulate/model.js';
import { cibNodeNames, mapNodes, pickCib } from '../../src/core/simulate/pick-cib.js';
import { renderSimulation } from '../../src/core/simulate/render.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { parseSimulation } from '../../src/simulate/parse-output.js';
import { FIXTURES } from '../collectors/fixture-outputs.js';

const parsed = parseSimulation(
  readFileSync(join(FIXTURES, 'cluster', 'pacemaker', 'crm_simulate-2.1.5-demo-fail-erp-a-output.xml'), 'utf8'),
);
if (!parsed.ok) throw new Error(parsed.error);
const REAL: SimulationOutcome = parsed.outcome;

interface NodeSpec {
  packages?: Record<string, string>;
  reboot?: boolean;
  drbdKernel?: string;
  agents?: string;
  error?: string;
}

const STACK = { pacemaker: '2.1.5-1+deb12u1', corosync: '3.1.7-1+deb12u2', 'resource-agents': '1:4.12.0-2', 'drbd-utils': '9.22.0-1' };

function node(name: string, spec: NodeSpec = {}): NodeSnapshot {
  if (spec.error !== undefined) return { cluster: 'erp', node: name, takenAt: '2026-12-07T00:00:00Z', error: spec.error, facets: {} };
  const packages = spec.packages ?? STACK;
  return {
    cluster: 'erp',
    node: name,
    takenAt: '2026-12-07T00:00:00Z',
    facets: {
      packages: {
        status: 'ok',
        items: Object.fromEntries(Object.entries(packages).map(([k, v]) => [k, { value: v }])),
        meta: { format: 'deb' },
      },
      kernel: {
        status: 'ok',
        items: {
          release: { value: '6.1.0-28-amd64' },
          reboot_required: { value: String(spec.reboot === true) },
          ...(spec.reboot ? { newest_installed: { value: '6.1.0-29-amd64' } } : {}),
        },
      },
      drbd: { status: 'ok', items: { 'version.kernel': { value: spec.drbdKernel ?? '9.2.12' }, 'version.userland': { value: '9.22.0' } } },
      pacemaker: {
        status: 'ok',
        items: { 'resource.erp-fs': { value: 'ocf:heartbeat:Filesystem' }, 'resource.erp-fs.param.device': { value: '/dev/drbd0' } },
        ...(spec.agents !== undefined ? { meta: { agents: spec.agents } } : {}),
      },
    },
  };
}

function judge(c: NodeSpec, outcome: SimulationOutcome = REAL, others: NodeSpec = {}): SimulationReport {
  const snapshots = [node('erp-a', others), node('erp-b', others), node('erp-c', c)];
  return judgeSimulation({ cluster: 'erp', failed: 'erp-a', outcome, nodes: mapNodes(['erp-a', 'erp-b', 'erp-c'], snapshots) });
}

function verdictOf(report: SimulationReport, key: string): { judgement: string; outcome: string; reasons: string[] } {
  const r = report.resources.find((x) => x.resource === key);
  if (!r) throw new Error(`no ${key}`);
  return { judgement: r.judgement, outcome: r.outcome, reasons: r.reasons };
}

describe('judging a simulated failure', () => {
  it('erp-a fails, everything moves to erp-c which has what it needs: safe', () => {
    const report = judge({});
    expect(report.verdict).toBe('safe');
    expect(verdictOf(report, 'erp-fs')).toEqual({ judgement: 'ok', outcome: 'moves', reasons: [] });
    expect(verdictOf(report, 'drbd-erpdata-clone/drbd-erpdata')).toMatchObject({ judgement: 'ok', outcome: 'promotes' });
    expect(report.fencing).toEqual(['Fence (reboot) erp-a']);
    expect(renderSimulation(report)).toContain('Verdict: SAFE');
  });

  it('the agent missing on the target: not safe, naming the package', () => {
    const { 'resource-agents': _ra, ...withoutAgents } = STACK;
    const report = judge({ packages: withoutAgents });
    expect(report.verdict).toBe('unsafe');
    expect(verdictOf(report, 'erp-ip')).toEqual({
      judgement: 'fails',
      outcome: 'moves',
      reasons: ['ocf:heartbeat:IPaddr2 is not installed on erp-c (needs resource-agents)'],
    });
    expect(verdictOf(report, 'drbd-erpdata-clone/drbd-erpdata').judgement).toBe('ok');
  });

  it("the node's agent listing wins over the package list", () => {
    const { 'resource-agents': _ra, ...withoutAgents } = STACK;
    const listing = 'ocf:heartbeat:Filesystem ocf:heartbeat:IPaddr2 ocf:linbit:drbd';
    expect(judge({ packages: withoutAgents, agents: listing }).verdict).toBe('safe');
    expect(verdictOf(judge({ agents: 'ocf:linbit:drbd' }), 'erp-fs').reasons).toEqual([
      'ocf:heartbeat:Filesystem is not installed on erp-c (needs resource-agents)',
    ]);
  });

  it('another version of the providing package or of the cluster stack than where it runs now', () => {
    expect(verdictOf(judge({ packages: { ...STACK, 'resource-agents': '1:4.10.0-1' } }), 'erp-ip').reasons).toEqual([
      'resource-agents is 1:4.10.0-1 on erp-c, 1:4.12.0-2 where it runs now (erp-a)',
    ]);
    expect(verdictOf(judge({ packages: { ...STACK, pacemaker: '2.1.6-1' } }), 'erp-ip').reasons).toEqual([
      'pacemaker is 2.1.6-1 on erp-c, 2.1.5-1+deb12u1 where it runs now (erp-a)',
    ]);
  });

  it('DRBD versions matter for DRBD and for the file system on /dev/drbd0, not for the IP', () => {
    const report = judge({ drbdKernel: '9.2.11' });
    expect(verdictOf(report, 'drbd-erpdata-clone/drbd-erpdata').reasons).toEqual([
      'DRBD kernel is 9.2.11 on erp-c, 9.2.12 where it runs now (erp-a, erp-b)',
    ]);
    expect(verdictOf(report, 'erp-fs').reasons).toEqual(['DRBD kernel is 9.2.11 on erp-c, 9.2.12 where it runs now (erp-a)']);
    expect(verdictOf(report, 'erp-ip').judgement).toBe('ok');
  });

  it('a reboot waiting on the target', () => {
    expect(verdictOf(judge({ reboot: true }), 'erp-ip').reasons).toEqual([
      'erp-c waits for a reboot (runs 6.1.0-28-amd64, would boot 6.1.0-29-amd64)',
    ]);
  });

  it('a target that could not be read, or that driftd does not collect: could not tell', () => {
    const unreadable = judge({ error: 'ssh: connect to host erp-c port 22: Connection refused' });
    expect(unreadable.verdict).toBe('unknown');
    expect(verdictOf(unreadable, 'erp-ip')).toMatchObject({
      judgement: 'unknown',
      reasons: ['erp-c could not be read (ssh: connect to host erp-c port 22: Connection refused)'],
    });
    const report = judgeSimulation({
      cluster: 'erp',
      failed: 'erp-a',
      outcome: REAL,
      nodes: mapNodes(['erp-a', 'erp-b'], [node('erp-a'), node('erp-b')]),
    });
    expect(report.verdict).toBe('unknown');
    expect(report.reasons).toContain('erp-ip: erp-c is not a node driftd collects for this cluster');
  });

  function withAfter(key: string, change: (r: SimResource) => SimResource): SimulationOutcome {
    return { ...REAL, after: { ...REAL.after, resources: REAL.after.resources.map((r) => (r.key === key ? change(r) : r)) } };
  }

  it('nowhere to go, blocked on the failed node, the promoted instance lost, an instance lost elsewhere', () => {
    const nowhere = judge(
      {},
      withAfter('erp-ip', (r) => ({ ...r, placements: [], stopped: 1 })),
    );
    expect(verdictOf(nowhere, 'erp-ip')).toEqual({
      judgement: 'fails',
      outcome: 'stops',
      reasons: ['would stop: no node can take it (nowhere to go)'],
    });
    const blocked = judge(
      {},
      withAfter('erp-fs', (r) => ({ ...r, placements: [{ node: 'erp-a', role: 'Started' }] })),
    );
    expect(verdictOf(blocked, 'erp-fs')).toMatchObject({ judgement: 'fails', outcome: 'blocked' });
    expect(verdictOf(blocked, 'erp-fs').reasons[0]).toMatch(/would stay on erp-a, which is down/);
    const drbd = 'drbd-erpdata-clone/drbd-erpdata';
    const demoted = judge(
      {},
      withAfter(drbd, (r) => ({ ...r, placements: r.placements.map((p) => ({ ...p, role: 'Unpromoted' })) })),
    );
    expect(verdictOf(demoted, drbd).reasons).toEqual(['no instance would be promoted (was on erp-a)']);
    const lost = judge(
      {},
      withAfter(drbd, (r) => ({ ...r, placements: r.placements.filter((p) => p.node !== 'erp-b') })),
    );
    expect(verdictOf(lost, drbd).reasons).toEqual(['its instance on erp-b would stop too']);
    expect(lost.verdict).toBe('unsafe');
  });

  it('picks the freshest live CIB with status and says why there is none', () => {
    const withCib = (s: NodeSnapshot, xml: string, source = 'cibadmin'): NodeSnapshot => ({
      ...s,
      facets: { ...s.facets, pacemaker: { status: 'ok', items: {}, meta: { source, cib: xml } } },
    });
    const old = '<cib admin_epoch="0" epoch="15" num_updates="9"><status><node_state/></status></cib>';
    const fresh = '<cib epoch="16" num_updates="1" admin_epoch="0"><status><node_state/></status></cib>';
    const picked = pickCib([
      withCib(node('erp-a'), old),
      withCib(node('erp-b'), fresh),
      withCib(node('erp-c'), '<cib epoch="99">', '/var/lib/pacemaker/cib/cib.xml'),
    ]);
    expect(picked).toMatchObject({ ok: true, cib: { node: 'erp-b', version: [0, 16, 1] } });
    const none = pickCib([node('erp-a'), node('erp-b', { error: 'timeout' })]);
    expect(none.ok).toBe(false);
    if (!none.ok)
      expect(none.reason).toBe(
        'no CIB with a status section was collected: erp-a: its CIB (unknown source) has no status section, so it does not say where resources run; erp-b: not reachable (timeout)',
      );
  });

  it("reads the CIB's node names (crm_simulate asserts on an unknown one)", () => {
    const xml = readFileSync(join(FIXTURES, 'cluster', 'pacemaker', 'crm_simulate-2.1.5-demo-with-status.xml'), 'utf8');
    expect(cibNodeNames(xml)).toEqual(['erp-a', 'erp-b', 'erp-c']);
    expect(
      cibNodeNames(
        '<cib><configuration><nodes><node id="7" uname="a&amp;b"/><node id="n2"/></nodes></configuration><status><node_state uname="zz"/></status></cib>',
      ),
    ).toEqual(['a&b', 'n2']);
  });

  it('maps Pacemaker node names to driftd nodes by config name, then by collected hostname', () => {
    const byHost: NodeSnapshot = {
      ...node('10.0.0.3'),
      facets: { ...node('x').facets, os: { status: 'ok', items: { hostname: { value: 'erp-c.example.com' } } } },
    };
    const map = mapNodes(['erp-a', 'erp-c', 'erp-z'], [node('erp-a'), byHost]);
    expect([...map.entries()].map(([k, v]) => [k, v.node])).toEqual([
      ['erp-a', 'erp-a'],
      ['erp-c', '10.0.0.3'],
    ]);
  });
});
