import { describe, expect, it } from 'vitest';
import { findingId } from '../../../src/core/engine/finding-id.js';
import { check, only, rules } from './check.js';
import { NOW, snap, statusFacet, unreachable } from './handmade-cluster.js';

const sysctl = (v: Record<string, string>) => ({ sysctl: v });

describe('reachability and staleness', () => {
  it('an unreachable node is a critical finding, scores 0 and makes the cluster not ready', () => {
    const report = check([snap('erp-a', sysctl({ k: '1' })), snap('erp-b', sysctl({ k: '1' })), unreachable('erp-c')]);
    const f = only(report.findings);
    expect(f).toMatchObject({
      kind: 'unreachable',
      facet: 'node',
      key: 'erp-c',
      severity: 'critical',
      outliers: ['erp-c'],
      values: { 'erp-c': null },
    });
    expect(f.message).toBe('erp-c is unreachable: connect ECONNREFUSED 127.0.0.2:22');
    const c = report.nodes.find((n) => n.name === 'erp-c');
    expect(c).toMatchObject({ reachable: false, ready: false, score: 0, error: 'connect ECONNREFUSED 127.0.0.2:22' });
    expect(c?.contributions).toEqual([{ finding: f.id, weight: 1, effect: 'zero', message: f.message }]);
    expect(report).toMatchObject({ ready: false, score: 0 });
  });

  it('a configured node without any snapshot counts as unreachable', () => {
    const report = check([snap('erp-a', sysctl({}))], { nodes: ['erp-a', 'erp-b'] });
    expect(only(report.findings)).toMatchObject({
      kind: 'unreachable',
      key: 'erp-b',
      message: 'erp-b is unreachable: no snapshot collected yet',
    });
    expect(report.nodes[1]).toMatchObject({ name: 'erp-b', reachable: false, snapshotAt: null, error: 'no snapshot' });
  });

  it('an unreachable node takes no part in the vote', () => {
    const report = check([
      snap('erp-a', sysctl({ k: '1' })),
      snap('erp-b', sysctl({ k: '2' })),
      snap('erp-c', sysctl({ k: '2' })),
      unreachable('erp-d'),
    ]);
    const drift = only(report.findings.filter((f) => f.kind === 'mismatch'));
    expect(drift).toMatchObject({ majority: '2', outliers: ['erp-a'] });
    expect(Object.keys(drift.values)).toEqual(['erp-a', 'erp-b', 'erp-c']);
  });

  it('a snapshot older than staleAfterSeconds is stale: not ready, score kept', () => {
    const old = new Date(NOW.getTime() - 3601 * 1000).toISOString();
    const report = check([snap('erp-a', sysctl({})), snap('erp-b', sysctl({}), old)]);
    const f = only(report.findings);
    expect(f).toMatchObject({ kind: 'stale', facet: 'node', key: 'erp-b', outliers: ['erp-b'] });
    expect(report.nodes[1]).toMatchObject({ ready: false, score: 1, contributions: [{ finding: f.id, weight: 0, effect: 'not-ready' }] });
    expect(report.nodes[0]).toMatchObject({ ready: true });
  });

  it('exactly staleAfterSeconds old is still fresh', () => {
    const edge = new Date(NOW.getTime() - 3600 * 1000).toISOString();
    expect(check([snap('erp-a', sysctl({}), edge)]).findings).toEqual([]);
  });

  it('uses the latest snapshot of each node', () => {
    const report = check([
      snap('erp-a', sysctl({ k: '1' })),
      snap('erp-b', sysctl({ k: '2' }), '2026-11-26T07:00:00Z'),
      snap('erp-b', sysctl({ k: '1' }), '2026-11-26T07:59:00Z'),
    ]);
    expect(report.findings).toEqual([]);
    expect(report.nodes[1]?.snapshotAt).toBe('2026-11-26T07:59:00Z');
  });
});

describe('failover-readiness score', () => {
  const severities = rules(
    '  - name: crit',
    '    match: { facet: sysctl, key: "c.*" }',
    '    severity: critical',
    '  - name: inf',
    '    match: { facet: sysctl, key: "i.*" }',
    '    severity: info',
  );

  it('deducts the severity weight per unwaived finding where the node is an outlier', () => {
    const report = check(
      [
        snap('erp-a', sysctl({ 'w.1': '1', 'w.2': '1', 'w.3': '1', 'i.1': '1' })),
        snap('erp-b', sysctl({ 'w.1': '1', 'w.2': '1', 'w.3': '1', 'i.1': '1' })),
        snap('erp-c', sysctl({ 'w.1': '2', 'w.2': '2', 'w.3': '2', 'i.1': '2' })),
      ],
      { rules: severities },
    );
    const c = report.nodes.find((n) => n.name === 'erp-c');
    expect(c?.score).toBe(0.85);
    expect(c?.ready).toBe(true);
    expect(c?.contributions).toEqual(
      ['w.1', 'w.2', 'w.3'].map((k) => ({
        finding: findingId('erp', 'mismatch', 'sysctl', k),
        weight: 0.05,
        effect: '-0.05',
        message: `sysctl ${k}: erp-c has 2 (majority has 1)`,
      })),
    );
    expect(report.nodes.find((n) => n.name === 'erp-a')).toMatchObject({ score: 1, contributions: [] });
    expect(report).toMatchObject({ ready: true, score: 0.85, summary: { critical: 0, warning: 3, info: 1, waived: 0 } });
  });

  it('a critical outlier is not ready; the majority nodes stay ready', () => {
    const report = check(
      [snap('erp-a', sysctl({ 'c.1': '1' })), snap('erp-b', sysctl({ 'c.1': '1' })), snap('erp-c', sysctl({ 'c.1': '2' }))],
      { rules: severities },
    );
    expect(report.nodes.map((n) => [n.name, n.ready, n.score])).toEqual([
      ['erp-a', true, 1],
      ['erp-b', true, 1],
      ['erp-c', false, 0.5],
    ]);
    expect(report.nodes[2]?.contributions[0]).toMatchObject({ weight: 0.5, effect: 'not-ready' });
    expect(report).toMatchObject({ ready: false, score: 0.5 });
  });

  it('a critical finding without a majority makes every node involved not ready', () => {
    const report = check([snap('erp-a', sysctl({ 'c.1': '1' })), snap('erp-b', sysctl({ 'c.1': '2' }))], { rules: severities });
    expect(report.nodes.map((n) => n.ready)).toEqual([false, false]);
  });

  it('never goes below 0', () => {
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`c.${i}`, '1']));
    const other = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`c.${i}`, '2']));
    const report = check([snap('erp-a', sysctl(many)), snap('erp-b', sysctl(many)), snap('erp-c', sysctl(other))], { rules: severities });
    expect(report.nodes[2]?.score).toBe(0);
  });

  it('the cluster score is the weakest node', () => {
    const report = check([
      snap('erp-a', sysctl({ 'w.1': '1', 'w.2': '1' })),
      snap('erp-b', sysctl({ 'w.1': '1', 'w.2': '2' })),
      snap('erp-c', sysctl({ 'w.1': '2', 'w.2': '1' })),
    ]);
    expect(report.nodes.map((n) => n.score)).toEqual([1, 0.95, 0.95]);
    expect(report.score).toBe(0.95);
  });

  it('orders findings critical first, waived last', () => {
    const r = rules(
      '  - name: crit',
      '    match: { facet: sysctl, key: "c.*" }',
      '    severity: critical',
      '  - name: waive-b',
      '    match: { facet: sysctl, key: "b.*" }',
      '    severity: critical',
      '    waivers: [{ justification: j, author: a, expires: 2030-01-01 }]',
    );
    const a = { 'a.1': '1', 'b.1': '1', 'c.1': '1' };
    const b = { 'a.1': '2', 'b.1': '2', 'c.1': '2' };
    const report = check([snap('erp-a', sysctl(a)), snap('erp-b', sysctl(a)), snap('erp-c', sysctl(b))], { rules: r });
    expect(report.findings.map((f) => f.key)).toEqual(['c.1', 'a.1', 'b.1']);
  });
});

describe('a node that cannot be judged (issue #22)', () => {
  it('a node whose every facet timed out is reachable but NOT ready, says why per facet, and the cluster is not ready', () => {
    const timedOut = (id: string) => statusFacet('error', `command failed: ${id}: timeout after 4s`);
    const report = check([
      snap('erp-a', { os: { id: 'debian' }, packages: { openssl: '3.0.15-1' } }),
      snap('erp-b', { os: { id: 'debian' }, packages: { openssl: '3.0.15-1' } }),
      snap('erp-c', { os: timedOut('os-release'), packages: timedOut('packages-query') }),
    ]);
    const c = report.nodes.find((n) => n.name === 'erp-c');
    expect(c).toMatchObject({ reachable: true, ready: false });
    expect(c?.contributions.map((x) => [x.finding, x.effect])).toEqual([
      ['facet:os:error', 'not-ready'],
      ['facet:packages:error', 'not-ready'],
    ]);
    expect(c?.contributions[1]?.message).toContain('packages-query: timeout after 4s');
    expect(report.ready).toBe(false);
    expect(report.nodes.filter((n) => n.ready).map((n) => n.name)).toEqual(['erp-a', 'erp-b']);
  });

  it('an unsupported facet (the node has no such thing) is not a failure', () => {
    const report = check([
      snap('erp-a', { os: { id: 'debian' }, drbd: statusFacet('unsupported', 'no drbdadm') }),
      snap('erp-b', { os: { id: 'debian' }, drbd: statusFacet('unsupported', 'no drbdadm') }),
    ]);
    expect(report.nodes.map((n) => [n.name, n.ready])).toEqual([
      ['erp-a', true],
      ['erp-b', true],
    ]);
    expect(report.ready).toBe(true);
  });
});
