/** Hand-made snapshots (test/core/engine/handmade-cluster.ts). */
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../src/core/changes.js';
import { evaluateCluster } from '../../src/core/engine/index.js';
import { baselineValuesOf, type WindowContext } from '../../src/core/window/classify.js';
import { buildAbortSummary, buildSummary, renderSummary } from '../../src/core/window/summary.js';
import { evaluateNode, finishVerdict, type NodeEvaluation } from '../../src/core/window/verdict.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { parseExpectationText } from '../../src/window/expectation-file.js';
import { debPackages, facet, NOW, SCORING, snap } from '../core/engine/handmade-cluster.js';

const { rules } = loadRulePacks([], { includeShipped: true });
const EXPECT = parseExpectationText('packages:\n  openssl: ">=3.0.15-1~deb12u1"\n', 'expect.yaml');
const OLD = '3.0.11-1~deb12u2';
const NEW = '3.0.15-1~deb12u1';

function node(
  name: string,
  openssl: string,
  opts: { reboot?: string; swappiness?: string; pacemaker?: string; noKernel?: boolean } = {},
): NodeSnapshot {
  const s = snap(name, {
    packages: debPackages({ openssl, pacemaker: opts.pacemaker ?? '2.1.5-1' }),
    sysctl: facet({ 'vm.swappiness': opts.swappiness ?? '10' }),
    kernel: facet({ release: '6.1.0-27-amd64', reboot_required: opts.reboot ?? 'false' }),
  });
  if (opts.noKernel) delete s.facets.kernel;
  return s;
}

const baseline = [node('erp-a', OLD), node('erp-b', OLD), node('erp-c', OLD)];
const window: WindowContext = {
  expectation: EXPECT,
  baselineValues: baselineValuesOf(baseline, EXPECT),
  baselineFindingIds: [],
  format: 'deb',
};

function evaluate(nodeName: string, now: NodeSnapshot[]): NodeEvaluation {
  const report = evaluateCluster({ cluster: 'erp', nodes: now.map((s) => s.node), snapshots: now, rules, scoring: SCORING, now: NOW });
  return evaluateNode({
    node: nodeName,
    baseline: baseline.find((s) => s.node === nodeName) ?? null,
    now: now.find((s) => s.node === nodeName) ?? null,
    report,
    window,
    rules,
    diff: diffSnapshots,
  });
}

describe('evaluateNode (window verify)', () => {
  it.each([
    {
      name: 'patched, nothing else: safe',
      nodes: [node('erp-a', OLD), node('erp-b', NEW), node('erp-c', OLD)],
      verdict: 'safe',
      reasons: [],
    },
    {
      name: 'not patched yet: not safe',
      nodes: [node('erp-a', OLD), node('erp-b', OLD), node('erp-c', OLD)],
      verdict: 'not-safe',
      reasons: [/^expectation packages\/openssl: openssl is 3\.0\.11-1~deb12u2, expected >=3\.0\.15-1~deb12u1$/],
    },
    {
      name: 'patched, plus a sysctl change: not safe',
      nodes: [node('erp-a', OLD), node('erp-b', NEW, { swappiness: '60' }), node('erp-c', OLD)],
      verdict: 'not-safe',
      reasons: [/^unexpected change sysctl\/vm\.swappiness: changed 10 -> 60$/],
    },
    {
      name: 'patched, but the cluster stack moved too: not safe (unexpected change and peer disagreement)',
      nodes: [node('erp-a', OLD), node('erp-b', NEW, { pacemaker: '2.1.6-1' }), node('erp-c', OLD)],
      verdict: 'not-safe',
      reasons: [/^unexpected change packages\/pacemaker/, /^disagrees with peers: packages\/pacemaker/],
    },
    {
      name: 'patched, reboot pending: not safe',
      nodes: [node('erp-a', OLD), node('erp-b', NEW, { reboot: 'true' }), node('erp-c', OLD)],
      verdict: 'not-safe',
      reasons: [/^unexpected change kernel\/reboot_required/, /^reboot pending/],
    },
    {
      name: 'kernel facet gone since the baseline: not safe, and the reboot state is unknown',
      nodes: [node('erp-a', OLD), node('erp-b', NEW, { noKernel: true }), node('erp-c', OLD)],
      verdict: 'not-safe',
      reasons: [/^unexpected change kernel\/@status: removed ok -> \(absent\)$/, /^reboot state unknown/],
    },
  ])('$name', ({ nodes, verdict, reasons }) => {
    const e = evaluate('erp-b', nodes);
    expect(e.reasons).toHaveLength(reasons.length);
    reasons.forEach((re, i) => expect(e.reasons[i]).toMatch(re));
    expect(e.verdict).toBe(verdict);
  });

  it('undecided when the node cannot be judged', () => {
    const gone: NodeSnapshot = {
      cluster: 'erp',
      node: 'erp-b',
      takenAt: NOW.toISOString(),
      error: 'connect ECONNREFUSED 127.0.0.3:22',
      facets: {},
    };
    const e = evaluate('erp-b', [node('erp-a', OLD), gone, node('erp-c', OLD)]);
    expect(e.verdict).toBe('undecided');
    expect(e.reasons).toEqual(['erp-b is unreachable: connect ECONNREFUSED 127.0.0.3:22']);
  });

  it('undecided, not safe, when the kernel facet is missing at baseline and now', () => {
    const base = node('erp-b', OLD, { noKernel: true });
    const now = node('erp-b', NEW, { noKernel: true });
    const report = evaluateCluster({ cluster: 'erp', nodes: ['erp-b'], snapshots: [now], rules, scoring: SCORING, now: NOW });
    const e = evaluateNode({ node: 'erp-b', baseline: base, now, report, window, rules, diff: diffSnapshots });
    expect(e.verdict).toBe('undecided');
    expect(e.reasons).toEqual(['reboot state unknown: the kernel facet was not collected']);
  });
});

describe('evaluateNode strict (window finish)', () => {
  it('a move constraint passes verify as operational and blocks finish until cleared', () => {
    // A CIB that follows the shipped best-practice pack (diskless SBD fencing), so only the constraint can tell.
    const cib = {
      'node.erp-b': 'member',
      'resource.erp-ip': 'primitive',
      'property.stonith-watchdog-timeout': '10s',
      'rsc_defaults.resource-stickiness': '1',
      'rsc_defaults.migration-threshold': '3',
    };
    const withCib = (n: NodeSnapshot, extra: Record<string, string>): NodeSnapshot => ({
      ...n,
      facets: { ...n.facets, pacemaker: facet({ ...cib, ...extra }) },
    });
    const base = withCib(node('erp-b', OLD), {});
    const now = withCib(node('erp-b', NEW), { 'constraint.cli-prefer-erp-group': 'location node=erp-b rsc=erp-group score=INFINITY' });
    const report = evaluateCluster({ cluster: 'erp', nodes: ['erp-b'], snapshots: [now], rules, scoring: SCORING, now: NOW });
    const input = { node: 'erp-b', baseline: base, now, report, window, rules, diff: diffSnapshots };
    const relaxed = evaluateNode(input);
    expect(relaxed.verdict).toBe('safe');
    expect(relaxed.operationalChanges.map((c) => c.key)).toEqual(['constraint.cli-prefer-erp-group']);
    const strict = evaluateNode({ ...input, strict: true });
    expect(strict.verdict).toBe('not-safe');
    expect(strict.reasons).toEqual([
      'left over from the failover, clear it: pacemaker/constraint.cli-prefer-erp-group: added (absent) -> location node=erp-b rsc=erp-group score=INFINITY',
    ]);
  });
  it('a new best-practice breach is not-safe and named as such, not as peer disagreement', () => {
    const base = {
      ...node('erp-b', OLD),
      facets: {
        ...node('erp-b', OLD).facets,
        pacemaker: facet({
          'node.erp-b': 'member',
          'property.stonith-watchdog-timeout': '10s',
          'rsc_defaults.resource-stickiness': '1',
          'rsc_defaults.migration-threshold': '3',
        }),
      },
    };
    const now = {
      ...node('erp-b', NEW),
      facets: {
        ...node('erp-b', NEW).facets,
        pacemaker: facet({ 'node.erp-b': 'member', 'rsc_defaults.resource-stickiness': '1', 'rsc_defaults.migration-threshold': '3' }),
      },
    };
    const report = evaluateCluster({ cluster: 'erp', nodes: ['erp-b'], snapshots: [now], rules, scoring: SCORING, now: NOW });
    const e = evaluateNode({ node: 'erp-b', baseline: base, now, report, window, rules, diff: diffSnapshots });
    expect(e.verdict).toBe('not-safe');
    expect(e.reasons.filter((r) => !r.startsWith('unexpected change'))).toEqual([
      'breaks a best practice: pacemaker/practice:pacemaker-fencing-per-node: pacemaker-fencing-per-node: expected with STONITH enabled, a fencing device that can fence every cluster node; erp-b: no fencing (stonith) device configured, no watchdog fencing (fencing-watchdog-timeout / stonith-watchdog-timeout)',
    ]);
  });
});

describe('finishVerdict', () => {
  const judge = (nodes: NodeSnapshot[]) => {
    const report = evaluateCluster({
      cluster: 'erp',
      nodes: nodes.map((s) => s.node),
      snapshots: nodes,
      rules,
      scoring: SCORING,
      now: NOW,
    });
    return finishVerdict(
      ['erp-a', 'erp-b', 'erp-c'].map((n) => evaluate(n, nodes)),
      report,
      window,
    );
  };

  it('fails while a node is behind, naming it', () => {
    const v = judge([node('erp-a', OLD), node('erp-b', NEW), node('erp-c', NEW)]);
    expect(v.ok).toBe(false);
    expect(v.pendingNodes).toEqual(['erp-a']);
    expect(v.reasons.some((r) => r.startsWith('not at parity: warning packages/openssl'))).toBe(true);
  });

  it('fails when every node has the change but they did not converge to one version', () => {
    const v = judge([node('erp-a', '3.0.16-1~deb12u1'), node('erp-b', NEW), node('erp-c', NEW)]);
    expect(v.ok).toBe(false);
    expect(v.pendingNodes).toEqual([]);
    expect(v.reasons).toHaveLength(1);
  });

  it('passes when every node converged and the cluster is at parity', () => {
    expect(judge([node('erp-a', NEW), node('erp-b', NEW), node('erp-c', NEW)])).toEqual({ ok: true, reasons: [], pendingNodes: [] });
  });

  it('findings already open at the baseline do not hold the window open', () => {
    const nodes = [node('erp-a', NEW, { swappiness: '60' }), node('erp-b', NEW), node('erp-c', NEW)];
    const report = evaluateCluster({
      cluster: 'erp',
      nodes: nodes.map((s) => s.node),
      snapshots: nodes,
      rules,
      scoring: SCORING,
      now: NOW,
    });
    const swappiness = report.findings.find((f) => f.key === 'vm.swappiness');
    expect(swappiness).toBeDefined();
    const tolerant: WindowContext = { ...window, baselineFindingIds: [swappiness?.id ?? ''] };
    const withSwappinessAtBaseline = finishVerdict([], report, tolerant);
    expect(withSwappinessAtBaseline.ok).toBe(true);
    expect(finishVerdict([], report, window).ok).toBe(false);
  });
});

describe('buildSummary', () => {
  it("lists each node's declared changes with the time history first saw them and the verifying run", () => {
    const nodes = [node('erp-a', NEW), node('erp-b', NEW), node('erp-c', NEW)];
    const evaluations = ['erp-b', 'erp-a'].map((n) => evaluate(n, nodes));
    const summary = buildSummary({
      window: {
        id: 1,
        cluster: 'erp',
        name: 'openssl',
        openedAt: '2026-11-26T07:00:00Z',
        plannedEnd: null,
        baselineRunId: 10,
        expectation: ['packages/openssl >=3.0.15-1~deb12u1'],
      },
      closedAt: '2026-11-26T08:00:00Z',
      finishRunId: 14,
      evaluations,
      history: [
        {
          node: 'erp-b',
          facet: 'packages',
          key: 'openssl',
          change: 'changed',
          before: OLD,
          after: '3.0.13-1',
          at: '2026-11-26T07:10:00Z',
          runId: 11,
        },
        {
          node: 'erp-b',
          facet: 'packages',
          key: 'openssl',
          change: 'changed',
          before: '3.0.13-1',
          after: NEW,
          at: '2026-11-26T07:20:00Z',
          runId: 12,
        },
      ],
      verifications: [
        { node: 'erp-b', at: '2026-11-26T07:21:00Z', verdict: 'safe', runId: 12 },
        { node: 'erp-b', at: '2026-11-26T07:05:00Z', verdict: 'not-safe', runId: 11 },
      ],
    });
    expect(summary.nodes).toEqual([
      {
        node: 'erp-b',
        changes: [{ facet: 'packages', key: 'openssl', change: 'changed', before: OLD, after: NEW, at: '2026-11-26T07:20:00Z' }],
        verifiedBy: { runId: 12, at: '2026-11-26T07:21:00Z' },
      },
      {
        node: 'erp-a',
        changes: [{ facet: 'packages', key: 'openssl', change: 'changed', before: OLD, after: NEW, at: null }],
        verifiedBy: null,
      },
    ]);
    const text = renderSummary(summary);
    expect(text).toContain('erp-b: 1 change(s), verified by run 12 at 2026-11-26T07:21:00Z');
    expect(text).toContain(`packages/openssl: ${OLD} -> ${NEW}  (seen 2026-11-26T07:20:00Z)`);
    expect(text).toContain('erp-a: 1 change(s), checked by the finish run only');
  });
});

describe('buildAbortSummary', () => {
  it('records the reason and leaves every node without a safe latest verify pending', () => {
    const change = { facet: 'packages' as const, key: 'openssl', change: 'changed' as const, before: OLD, after: NEW };
    const summary = buildAbortSummary({
      window: {
        id: 2,
        cluster: 'erp',
        name: 'openssl',
        openedAt: '2026-11-26T07:00:00Z',
        plannedEnd: '2026-11-26T09:00:00Z',
        baselineRunId: 20,
        expectation: [],
      },
      closedAt: '2026-11-26T08:00:00Z',
      reason: 'vendor pulled the update',
      nodes: ['erp-b', 'erp-c', 'erp-a'],
      verifications: [
        { node: 'erp-b', at: '2026-11-26T07:10:00Z', verdict: 'safe', runId: 21, expectedChanges: [change] },
        { node: 'erp-c', at: '2026-11-26T07:20:00Z', verdict: 'safe', runId: 22, expectedChanges: [change] },
        // erp-c was fine, then drifted: its latest word counts.
        { node: 'erp-c', at: '2026-11-26T07:30:00Z', verdict: 'not-safe', runId: 23, expectedChanges: [change] },
      ],
    });
    expect(summary.outcome).toBe('aborted');
    expect(summary.reason).toBe('vendor pulled the update');
    expect(summary.finishRunId).toBeNull();
    expect(summary.pendingNodes).toEqual(['erp-c', 'erp-a']);
    expect(summary.nodes.map((n) => [n.node, n.changes.length, n.verifiedBy?.runId ?? null])).toEqual([
      ['erp-b', 1, 21],
      ['erp-c', 1, 22],
      ['erp-a', 0, null],
    ]);
    const text = renderSummary(summary);
    expect(text).toContain('ABORTED (vendor pulled the update)');
    expect(text).toContain('LEFT HALF-PATCHED (latest verify not safe): erp-c, erp-a');
    expect(text).toContain('erp-a: 0 change(s), never verified safe');
  });
});
