/** Hand-made snapshots (test/core/engine/handmade-cluster.ts): each case builds only what it is about. */
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../src/core/changes.js';
import { evaluateCluster } from '../../src/core/engine/index.js';
import { baselineValuesOf, classifyChanges, classifyWindowFindings, type WindowContext } from '../../src/core/window/classify.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { parseExpectationText } from '../../src/window/expectation-file.js';
import { debPackages, facet, NOW, SCORING, snap } from '../core/engine/handmade-cluster.js';

const shipped = loadRulePacks([], { includeShipped: true });
const RULES = shipped.rules;

const EXPECT = parseExpectationText('packages:\n  openssl: ">=3.0.15-1~deb12u1"\n  libssl3: ">=3.0.15-1~deb12u1"\n', 'expect.yaml');

function node(name: string, openssl: string, extra: { swappiness?: string; random?: string; pacemaker?: string } = {}): NodeSnapshot {
  return snap(name, {
    packages: debPackages({ openssl, libssl3: openssl, pacemaker: extra.pacemaker ?? '2.1.5-1+deb12u1' }),
    sysctl: facet({
      'vm.swappiness': extra.swappiness ?? '10',
      'kernel.random.boot_id': extra.random ?? 'aaa',
      'kernel.hostname': { value: name, nodeSpecific: 'hostname' },
    }),
    kernel: facet({ release: '6.1.0-27-amd64', reboot_required: 'false' }),
  });
}

const OLD = '3.0.11-1~deb12u2';
const NEW = '3.0.15-1~deb12u1';

describe('classifyChanges', () => {
  it('sorts changes since the baseline into expected, unexpected and ignored', () => {
    const before = node('erp-b', OLD);
    const after = node('erp-b', NEW, { swappiness: '60', random: 'bbb' });
    after.facets.sysctl!.items['kernel.hostname'] = { value: 'erp-b-renamed', nodeSpecific: 'hostname' };
    const out = classifyChanges({ changes: diffSnapshots(before, after), expectation: EXPECT, rules: RULES, before, after });
    expect(out.expected.map((c) => c.key)).toEqual(['libssl3', 'openssl']);
    expect(out.unexpected).toEqual([{ facet: 'sysctl', key: 'vm.swappiness', change: 'changed', before: '10', after: '60' }]);
    expect(out.ignored.map((c) => c.key).sort()).toEqual(['kernel.hostname', 'kernel.random.boot_id']);
  });

  it('a facet that stopped answering is unexpected, not "everything removed"', () => {
    const before = node('erp-b', OLD);
    const after = node('erp-b', NEW);
    after.facets.packages = { status: 'error', items: {}, error: 'dpkg-query: error' };
    const out = classifyChanges({ changes: diffSnapshots(before, after), expectation: EXPECT, rules: RULES, before, after });
    expect(out.unexpected).toEqual([{ facet: 'packages', key: '@status', change: 'changed', before: 'ok', after: 'error' }]);
    expect(out.expected).toEqual([]);
  });

  it('constraints and standby written by a failover by hand are operational, other CIB changes are not', () => {
    const cib = (extra: Record<string, string>) => facet({ 'constraint.order-fs-ip': 'order first=erp-fs then=erp-ip', ...extra });
    const before = snap('erp-b', { pacemaker: cib({}) });
    const after = snap('erp-b', {
      pacemaker: cib({
        'constraint.cli-prefer-erp-group': 'location node=erp-b role=Started rsc=erp-group score=INFINITY',
        'constraint.cli-ban-erp-group-on-erp-a': 'location node=erp-a role=Started rsc=erp-group score=-INFINITY',
        'node.erp-a.attr.standby': 'on',
        'constraint.my-location': 'location node=erp-b rsc=erp-group score=100',
      }),
    });
    const out = classifyChanges({ changes: diffSnapshots(before, after), expectation: EXPECT, rules: RULES, before, after });
    expect(out.operational.map((c) => c.key)).toEqual([
      'constraint.cli-ban-erp-group-on-erp-a',
      'constraint.cli-prefer-erp-group',
      'node.erp-a.attr.standby',
    ]);
    expect(out.unexpected.map((c) => c.key)).toEqual(['constraint.my-location']);
  });

  it('with no expectation every real change is unexpected', () => {
    const before = node('erp-b', OLD);
    const after = node('erp-b', NEW);
    const out = classifyChanges({
      changes: diffSnapshots(before, after),
      expectation: { items: [], allow: [] },
      rules: RULES,
      before,
      after,
    });
    expect(out.unexpected.map((c) => c.key)).toEqual(['libssl3', 'openssl']);
  });
});

describe('classifyWindowFindings', () => {
  const baseline = [node('erp-a', OLD), node('erp-b', OLD), node('erp-c', OLD)];
  const window: WindowContext = {
    expectation: EXPECT,
    baselineValues: baselineValuesOf(baseline, EXPECT),
    baselineFindingIds: [],
    format: 'deb',
  };
  const report = (snapshots: NodeSnapshot[]) =>
    evaluateCluster({ cluster: 'erp', nodes: snapshots.map((s) => s.node), snapshots, rules: RULES, scoring: SCORING, now: NOW });

  // openssl and libssl3 at the same versions are one upgrade: one headline (openssl) with
  // libssl3 as its evidence (issue #21); it is the declared change only when both are.
  it.each([
    {
      name: 'one node patched: the version drift is the declared change',
      nodes: [node('erp-a', OLD), node('erp-b', NEW), node('erp-c', OLD)],
      expected: ['openssl'],
      unexpected: [],
    },
    {
      name: 'two patched, one behind: still declared',
      nodes: [node('erp-a', OLD), node('erp-b', NEW), node('erp-c', NEW)],
      expected: ['openssl'],
      unexpected: [],
    },
    // erp-b moved, but not to what was declared: that is not the window's change.
    {
      name: 'a node moved to a version below the expectation',
      nodes: [node('erp-a', OLD), node('erp-b', '3.0.13-1~deb12u1'), node('erp-c', OLD)],
      expected: [],
      unexpected: ['openssl'],
    },
    {
      name: 'another drift during the window stays an alarm',
      nodes: [node('erp-a', OLD), node('erp-b', NEW, { swappiness: '60' }), node('erp-c', OLD)],
      expected: ['openssl'],
      unexpected: ['vm.swappiness'],
    },
    {
      name: 'cluster stack drift is never explained by an openssl window',
      nodes: [node('erp-a', OLD), node('erp-b', NEW, { pacemaker: '2.1.6-1' }), node('erp-c', OLD)],
      expected: ['openssl'],
      unexpected: ['pacemaker'],
    },
  ])('$name', ({ nodes, expected, unexpected }) => {
    const out = classifyWindowFindings(report(nodes), window);
    expect(out.expected.map((f) => f.key).sort()).toEqual(expected);
    expect(out.unexpected.map((f) => f.key).sort()).toEqual(unexpected);
    for (const f of [...out.expected, ...out.unexpected].filter((x) => x.key === 'openssl')) {
      expect(f.evidence?.map((e) => e.key)).toEqual(['libssl3']);
    }
  });

  it('a headline is the declared change only when its evidence is too', () => {
    const onlyOpenssl = parseExpectationText('packages:\n  openssl: ">=3.0.15-1~deb12u1"\n', 'expect.yaml');
    const w: WindowContext = {
      expectation: onlyOpenssl,
      baselineValues: baselineValuesOf(baseline, onlyOpenssl),
      baselineFindingIds: [],
      format: 'deb',
    };
    const out = classifyWindowFindings(report([node('erp-a', OLD), node('erp-b', NEW), node('erp-c', OLD)]), w);
    expect(out.expected).toEqual([]);
    expect(out.unexpected.map((f) => f.key)).toEqual(['openssl']);
  });

  it('unreachable nodes are never expected', () => {
    const nodes = [
      node('erp-a', OLD),
      node('erp-b', NEW),
      { cluster: 'erp', node: 'erp-c', takenAt: NOW.toISOString(), error: 'connect ECONNREFUSED 127.0.0.2:22', facets: {} },
    ];
    const out = classifyWindowFindings(report(nodes), window);
    expect(out.unexpected.some((f) => f.kind === 'unreachable')).toBe(true);
    expect(out.expected.every((f) => f.kind !== 'unreachable')).toBe(true);
  });
});
