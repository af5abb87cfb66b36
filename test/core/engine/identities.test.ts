/**
 * Identities that must differ (issue #25): equal values are the finding, naming the nodes
 * that share them; differing values are never drift. Hand-made snapshots (see
 * handmade-cluster.ts); the shipped rules are the real rules/ directory.
 */
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../../src/core/check-report.js';
import type { Item } from '../../../src/core/snapshot.js';
import { renderCheckText } from '../../../src/core/engine/render-check.js';
import { loadRulePacks } from '../../../src/rules/load.js';
import { check, only, rules } from './check.js';
import { snap } from './handmade-cluster.js';

const SHIPPED = loadRulePacks([], { includeShipped: true }).rules;

/** Leaves out what the shipped best-practice pack says about the hand-made corosync.conf. */
function notPractice(findings: CheckReport['findings']): CheckReport['findings'] {
  return findings.filter((f) => f.kind !== 'expectation' && f.kind !== 'practice');
}

function id(value: string, unique: string): Item {
  return { value, nodeSpecific: "this node's own identity", unique };
}

const A = '3d1219c7c4c5404aaa1f6d2a48adfda4';
const B = '9f0e6a1b2c3d4e5f60718293a4b5c6d7';
const C = '0123456789abcdef0123456789abcdef';

describe('identities that must differ', () => {
  it('two clones of three: one critical finding naming the two that share, not the healthy one', () => {
    const report = check([
      snap('erp-a', { identity: { 'machine-id': id(A, 'machine-id') } }),
      snap('erp-b', { identity: { 'machine-id': id(A, 'machine-id') } }),
      snap('erp-c', { identity: { 'machine-id': id(C, 'machine-id') } }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({ kind: 'identity', facet: 'identity', key: 'unique:machine-id', severity: 'critical', majority: null });
    expect(f.outliers).toEqual(['erp-a', 'erp-b']);
    expect(f.values).toEqual({ 'erp-a': A, 'erp-b': A, 'erp-c': C });
    expect(f.message).toContain('erp-a and erp-b share 3d1219c7c4c5404aaa1f6d2a48adfda4');
    expect(report.nodes.map((n) => [n.name, n.ready])).toEqual([
      ['erp-a', false],
      ['erp-b', false],
      ['erp-c', true],
    ]);
  });

  it('identities that differ on every node are no finding at all (never drift)', () => {
    const report = check([
      snap('erp-a', { identity: { 'machine-id': id(A, 'machine-id'), 'mac.eth0': id('02:00:00:00:00:0a', 'mac-address') } }),
      snap('erp-b', { identity: { 'machine-id': id(B, 'machine-id'), 'mac.eth0': id('02:00:00:00:00:0b', 'mac-address') } }),
      snap('erp-c', { identity: { 'machine-id': id(C, 'machine-id'), 'mac.eth1': id('02:00:00:00:00:0c', 'mac-address') } }),
    ]);
    expect(report.findings).toEqual([]);
    expect(report.ready).toBe(true);
  });

  it('a class spans keys: eth0 of one node with eth1 of another is a shared MAC', () => {
    const report = check([
      snap('erp-a', { identity: { 'mac.eth0': id('02:00:00:00:00:0a', 'mac-address') } }),
      snap('erp-b', {
        identity: { 'mac.eth1': id('02:00:00:00:00:0a', 'mac-address'), 'mac.eth0': id('02:00:00:00:00:0b', 'mac-address') },
      }),
    ]);
    const f = only(report.findings);
    expect(f.key).toBe('unique:mac-address');
    expect(f.outliers).toEqual(['erp-a', 'erp-b']);
  });

  it('a clone with many addresses is still one finding with a bounded message', () => {
    const macs = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`mac.eth${i}`, id(`02:00:00:00:00:${String(i).padStart(2, '0')}`, 'mac-address')]),
      );
    const report = check([snap('erp-a', { identity: macs(8) }), snap('erp-b', { identity: macs(8) })]);
    const f = only(report.findings);
    expect(f.message).toContain('; and 3 more:');
    expect(f.values['erp-a']?.split(', ')).toHaveLength(8);
  });

  it('one node reporting a value twice (a bond and its member share a MAC) shares it with nobody', () => {
    const report = check([
      snap('erp-a', {
        identity: { 'mac.bond0': id('02:00:00:00:00:0a', 'mac-address'), 'mac.eth0': id('02:00:00:00:00:0a', 'mac-address') },
      }),
      snap('erp-b', { identity: { 'mac.bond0': id('02:00:00:00:00:0b', 'mac-address') } }),
    ]);
    expect(report.findings).toEqual([]);
  });

  it('two nodes of two, and a baseline, change nothing: the clone is named either way', () => {
    const snaps = [
      snap('erp-a', { identity: { 'machine-id': id(A, 'machine-id') } }),
      snap('erp-b', { identity: { 'machine-id': id(A, 'machine-id') } }),
    ];
    expect(only(check(snaps).findings).outliers).toEqual(['erp-a', 'erp-b']);
    expect(only(check(snaps, { baseline: 'erp-a' }).findings).outliers).toEqual(['erp-a', 'erp-b']);
  });

  it('every node sharing: all named, each finding per class', () => {
    const snaps = ['erp-a', 'erp-b', 'erp-c'].map((n) =>
      snap(n, { identity: { 'machine-id': id(A, 'machine-id'), 'ssh.hostkey.ed25519': id('SHA256:x', 'ssh-host-key') } }),
    );
    const report = check(snaps);
    expect(report.findings.map((f) => [f.key, f.outliers])).toEqual([
      ['unique:machine-id', ['erp-a', 'erp-b', 'erp-c']],
      ['unique:ssh-host-key', ['erp-a', 'erp-b', 'erp-c']],
    ]);
  });

  it('the text report says what to do: fix the clones, diff a clone against the healthy node', () => {
    const report = check([
      snap('erp-a', { identity: { 'machine-id': id(A, 'machine-id') } }),
      snap('erp-b', { identity: { 'machine-id': id(A, 'machine-id') } }),
      snap('erp-c', { identity: { 'machine-id': id(C, 'machine-id') } }),
    ]);
    const text = renderCheckText(report);
    expect(text).toContain('[identity] identity machine-id must differ between nodes');
    expect(text).toContain('Identity findings: nodes share what must tell them apart');
    expect(text).toContain('Fix the nodes each critical finding names: erp-a (1), erp-b (1)');
    expect(text).toContain('`driftd diff erp-a erp-c`');
  });

  it('the shipped rules carry a source and a remedy onto the finding', () => {
    const report = check(
      [
        snap('erp-a', { identity: { 'machine-id': id(A, 'machine-id') } }),
        snap('erp-b', { identity: { 'machine-id': id(A, 'machine-id') } }),
      ],
      { rules: SHIPPED },
    );
    const f = only(report.findings);
    expect(f.severity).toBe('critical');
    expect(f.rule).toBe('identity-shared');
    expect(f.remediation).toContain('systemd-machine-id-setup');
  });
});

describe('unique: true in a rule', () => {
  const uniqueRule = rules('  - name: site-serial', '    match: { facet: os, key: serial }', '    unique: true');

  it('makes equal values the finding and differing values no drift', () => {
    const shared = check(
      [snap('erp-a', { os: { serial: 'X1' } }), snap('erp-b', { os: { serial: 'X1' } }), snap('erp-c', { os: { serial: 'X2' } })],
      { rules: uniqueRule },
    );
    const f = only(shared.findings);
    expect(f).toMatchObject({ kind: 'identity', key: 'unique:site-serial', outliers: ['erp-a', 'erp-b'] });
    const distinct = check(
      [snap('erp-a', { os: { serial: 'X1' } }), snap('erp-b', { os: { serial: 'X2' } }), snap('erp-c', { os: { serial: 'X3' } })],
      { rules: uniqueRule },
    );
    expect(distinct.findings).toEqual([]);
    // Without the rule the same values are ordinary drift.
    const plain = check([
      snap('erp-a', { os: { serial: 'X1' } }),
      snap('erp-b', { os: { serial: 'X2' } }),
      snap('erp-c', { os: { serial: 'X3' } }),
    ]);
    expect(only(plain.findings).kind).toBe('mismatch');
  });

  it('unique: false turns a collector mark off (an address shared on purpose)', () => {
    const off = rules('  - name: anycast', '    match: { facet: identity, key: ip.lo0.* }', '    unique: false');
    const report = check(
      [
        snap('erp-a', { identity: { 'ip.lo0.192.0.2.53': id('192.0.2.53', 'ip-address') } }),
        snap('erp-b', { identity: { 'ip.lo0.192.0.2.53': id('192.0.2.53', 'ip-address') } }),
      ],
      { rules: off },
    );
    expect(report.findings).toEqual([]);
  });
});

describe('identities listed per node in a shared file (owner group)', () => {
  const nodelist = (ids: [string, string, string]): Record<string, string> => ({
    'nodelist.node[name=erp-a].nodeid': ids[0],
    'nodelist.node[name=erp-a].ring0_addr': '10.0.0.11',
    'nodelist.node[name=erp-b].nodeid': ids[1],
    'nodelist.node[name=erp-b].ring0_addr': '10.0.0.12',
    'nodelist.node[name=erp-c].nodeid': ids[2],
    'nodelist.node[name=erp-c].ring0_addr': '10.0.0.13',
  });

  it('a corosync.conf giving two entries one nodeid: one critical naming the entries, every copy to fix', () => {
    const conf = nodelist(['1', '1', '3']);
    const report = check(
      ['erp-a', 'erp-b', 'erp-c'].map((n) => snap(n, { corosync: conf })),
      { rules: SHIPPED },
    );
    const f = only(notPractice(report.findings));
    expect(f).toMatchObject({ kind: 'identity', facet: 'corosync', key: 'unique:corosync-nodeid-unique', severity: 'critical' });
    expect(f.message).toContain('erp-a and erp-b are given the same 1 in the configuration of erp-a, erp-b, erp-c');
    expect(f.outliers).toEqual(['erp-a', 'erp-b', 'erp-c']);
    expect(f.source).toContain('corosync.conf(5)');
  });

  it('distinct nodeids and ring addresses (the same file on every node) are no finding', () => {
    const conf = nodelist(['1', '2', '3']);
    expect(
      notPractice(
        check(
          ['erp-a', 'erp-b', 'erp-c'].map((n) => snap(n, { corosync: conf })),
          { rules: SHIPPED },
        ).findings,
      ),
    ).toEqual([]);
  });

  it('an entry changed on one node only stays peer drift of the shared file', () => {
    const report = check(
      [
        snap('erp-a', { corosync: nodelist(['1', '2', '3']) }),
        snap('erp-b', { corosync: nodelist(['1', '2', '3']) }),
        snap('erp-c', { corosync: nodelist(['1', '2', '4']) }),
      ],
      { rules: SHIPPED },
    );
    const f = only(notPractice(report.findings));
    expect(f).toMatchObject({ kind: 'mismatch', key: 'nodelist.node[name=erp-c].nodeid', outliers: ['erp-c'] });
  });

  it('DRBD node-ids are compared within a resource (scope group)', () => {
    const drbd = {
      'resource.r0.on.alpha.node-id': '0',
      'resource.r0.on.beta.node-id': '1',
      'resource.r1.on.alpha.node-id': '1',
      'resource.r1.on.beta.node-id': '1',
    };
    const report = check(
      ['alpha', 'beta'].map((n) => snap(n, { drbd })),
      { rules: SHIPPED },
    );
    const f = only(report.findings);
    expect(f.key).toBe('unique:drbd-node-id-unique:r1');
    expect(f.message).toContain('alpha and beta are given the same 1');
  });
});
