import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findingId } from '../../../src/core/engine/finding-id.js';
import { check, only, rules } from './check.js';
import { debPackages, snap, statusFacet } from './handmade-cluster.js';

const base = {
  os: { id: 'debian', version_id: '12' },
  sysctl: { 'vm.swappiness': '10', 'net.ipv4.ip_forward': '0' },
  modules: { drbd: '9.2.5', bonding: '(none)' },
  services: { 'corosync.service': 'enabled active' },
};

describe('no drift', () => {
  it('identical nodes give no finding at all and every node is ready', () => {
    const report = check(['erp-a', 'erp-b', 'erp-c'].map((n) => snap(n, base)));
    expect(report.findings).toEqual([]);
    expect(report.ready).toBe(true);
    expect(report.score).toBe(1);
    expect(report.nodes.map((n) => [n.name, n.ready, n.score, n.contributions])).toEqual([
      ['erp-a', true, 1, []],
      ['erp-b', true, 1, []],
      ['erp-c', true, 1, []],
    ]);
    expect(report.summary).toEqual({ critical: 0, warning: 0, info: 0, waived: 0 });
  });

  it('never flags items the collector marks node-specific', () => {
    const report = check([
      snap('erp-a', { sysctl: { 'kernel.hostname': { value: 'erp-a', nodeSpecific: 'the hostname names the node' } } }),
      snap('erp-b', { sysctl: { 'kernel.hostname': { value: 'erp-b', nodeSpecific: 'the hostname names the node' } } }),
      snap('erp-c', { sysctl: {} }),
    ]);
    expect(report.findings).toEqual([]);
  });

  it('never flags items a rule marks node-specific', () => {
    const r = rules('  - name: ring', '    match: { facet: corosync, key: "nodelist.node.*.ring0_addr" }', '    nodeSpecific: true');
    const report = check(
      [
        snap('erp-a', { corosync: { 'nodelist.node.0.ring0_addr': '10.0.0.1' } }),
        snap('erp-b', { corosync: { 'nodelist.node.0.ring0_addr': '10.0.0.2' } }),
      ],
      { rules: r },
    );
    expect(report.findings).toEqual([]);
  });

  it('a CIB whose volatile attributes the collector dropped compares equal', () => {
    // What the pacemaker collector leaves of two CIBs that differed only in
    // dc-version, epoch/num_updates and last-lrm-refresh: the same items.
    const cib = { 'resource.vip': 'ocf:heartbeat:IPaddr2', 'resource.vip.param.ip': '192.0.2.10', 'property.stonith-enabled': 'true' };
    const packages = debPackages({ 'resource-agents': '1:4.12.0-2', pacemaker: '2.1.5-1' });
    const report = check([snap('erp-a', { pacemaker: cib, packages }), snap('erp-b', { pacemaker: { ...cib }, packages })]);
    expect(report.findings).toEqual([]);
  });

  it('a facet unsupported on every node is nothing', () => {
    const report = check(['erp-a', 'erp-b'].map((n) => snap(n, { drbd: statusFacet('unsupported', 'no drbdadm') })));
    expect(report.findings).toEqual([]);
  });
});

describe('mismatch and missing', () => {
  it('2 nodes: no majority, both are outliers', () => {
    const report = check([snap('erp-a', { sysctl: { 'vm.swappiness': '10' } }), snap('erp-b', { sysctl: { 'vm.swappiness': '60' } })]);
    const f = only(report.findings);
    expect(f).toMatchObject({
      kind: 'mismatch',
      facet: 'sysctl',
      key: 'vm.swappiness',
      severity: 'warning',
      rule: null,
      values: { 'erp-a': '10', 'erp-b': '60' },
      majority: null,
      outliers: ['erp-a', 'erp-b'],
      waived: false,
    });
    expect(f.message).toBe('sysctl vm.swappiness differs with no majority: erp-a=10, erp-b=60');
    expect(f.id).toBe(findingId('erp', 'mismatch', 'sysctl', 'vm.swappiness'));
    expect(f.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('3 nodes: the majority value and the outlier', () => {
    const report = check(['10', '10', '60'].map((v, i) => snap(`erp-${'abc'[i]}`, { sysctl: { 'vm.swappiness': v } })));
    const f = only(report.findings);
    expect(f).toMatchObject({ majority: '10', outliers: ['erp-c'] });
    expect(f.message).toBe('sysctl vm.swappiness: erp-c has 60 (majority has 10)');
  });

  it('4 nodes: 3 against 1 names the outlier, 2 against 2 is a tie', () => {
    const names = ['erp-a', 'erp-b', 'erp-c', 'erp-d'];
    const three = check(['1', '1', '2', '1'].map((v, i) => snap(names[i] ?? '', { sysctl: { k: v } })));
    expect(only(three.findings)).toMatchObject({ majority: '1', outliers: ['erp-c'] });
    const tie = check(['1', '1', '2', '2'].map((v, i) => snap(names[i] ?? '', { sysctl: { k: v } })));
    expect(only(tie.findings)).toMatchObject({ majority: null, outliers: names });
  });

  it('an item absent on one node is `missing`, with null for that node', () => {
    const report = check([
      snap('erp-a', { packages: debPackages({ sbd: '1.5.2-1' }) }),
      snap('erp-b', { packages: debPackages({ sbd: '1.5.2-1' }) }),
      snap('erp-c', { packages: debPackages({}) }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({
      kind: 'missing',
      values: { 'erp-a': '1.5.2-1', 'erp-b': '1.5.2-1', 'erp-c': null },
      majority: '1.5.2-1',
      outliers: ['erp-c'],
    });
    expect(f.message).toBe('sbd: missing on erp-c (majority has 1.5.2-1)');
  });

  it('with a baseline, outliers are the nodes that differ from it', () => {
    const snaps = [snap('erp-a', { sysctl: { k: '1' } }), snap('erp-b', { sysctl: { k: '2' } }), snap('erp-c', { sysctl: { k: '2' } })];
    const report = check(snaps, { baseline: 'erp-a' });
    expect(report.baseline).toBe('erp-a');
    const f = only(report.findings);
    expect(f).toMatchObject({ majority: '1', outliers: ['erp-b', 'erp-c'] });
    expect(f.message).toBe('sysctl k: erp-b has 2, erp-c has 2 (baseline erp-a has 1)');
  });

  it('normalize rules make equivalent values equal, and report the raw values otherwise', () => {
    const r = rules('  - name: ws', '    match: { facet: sysctl, key: "*" }', '    normalize: [{ pattern: "\\\\s+", replace: " " }]');
    const equal = check([snap('erp-a', { sysctl: { k: '4096 16384' } }), snap('erp-b', { sysctl: { k: '4096\t16384' } })], { rules: r });
    expect(equal.findings).toEqual([]);
    const differ = check([snap('erp-a', { sysctl: { k: '4096  1' } }), snap('erp-b', { sysctl: { k: '4096 2' } })], { rules: r });
    expect(only(differ.findings).values).toEqual({ 'erp-a': '4096  1', 'erp-b': '4096 2' });
  });

  it('takes the severity and the rule name from the rules; ignore drops the finding', () => {
    const r = rules(
      '  - name: swap-critical',
      '    match: { facet: sysctl, key: vm.swappiness }',
      '    severity: critical',
      '  - name: noise',
      '    match: { facet: sysctl, key: "fs.*" }',
      '    severity: ignore',
    );
    const report = check(
      [
        snap('erp-a', { sysctl: { 'vm.swappiness': '10', 'fs.file-nr': '1' } }),
        snap('erp-b', { sysctl: { 'vm.swappiness': '60', 'fs.file-nr': '2' } }),
      ],
      { rules: r },
    );
    expect(only(report.findings)).toMatchObject({ key: 'vm.swappiness', severity: 'critical', rule: 'swap-critical' });
  });

  it('a facet that errored or was truncated on a node is not read as absence there', () => {
    const report = check([
      snap('erp-a', { packages: debPackages({ pacemaker: '2.1.5-1', corosync: '3.1.7-1' }) }),
      snap('erp-b', { packages: debPackages({ pacemaker: '2.1.5-1', corosync: '3.1.7-1' }) }),
      snap('erp-c', { packages: { status: 'truncated', items: { pacemaker: { value: '2.1.5-1' } }, error: 'output over 32 MiB' } }),
      snap('erp-d', { packages: statusFacet('error', 'dpkg-query: exit 2') }),
    ]);
    expect(report.findings).toEqual([]);
    const c = report.nodes.find((n) => n.name === 'erp-c');
    expect(c?.facets).toEqual({ packages: 'truncated' });
    // A facet that could not be read fully makes its node not ready (issue #22), still -warning on the score.
    expect(c?.contributions).toEqual([
      {
        finding: 'facet:packages:truncated',
        weight: 0.05,
        effect: 'not-ready',
        message: 'packages facet was truncated: output over 32 MiB; not ready: driftd cannot vouch for what it could not read',
      },
    ]);
    expect(c?.score).toBe(0.95);
    expect(c?.ready).toBe(false);
    expect(report.ready).toBe(false);
    expect(report.nodes.find((n) => n.name === 'erp-d')?.contributions[0]?.finding).toBe('facet:packages:error');
  });

  it('a facet unsupported on some nodes but collected on others is one `missing` finding with key *', () => {
    const report = check([
      snap('erp-a', { corosync: { 'totem.token': '3000' } }),
      snap('erp-b', { corosync: { 'totem.token': '3000' } }),
      snap('erp-c', { corosync: statusFacet('unsupported', 'no corosync-cmapctl') }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({
      kind: 'missing',
      facet: 'corosync',
      key: '*',
      values: { 'erp-a': 'ok', 'erp-b': 'ok', 'erp-c': null },
      outliers: ['erp-c'],
    });
    expect(f.message).toBe('corosync is unsupported on erp-c but collected on erp-a, erp-b');
  });

  it('ids are stable for the same cluster, kind, facet and key, and differ otherwise', () => {
    expect(findingId('erp', 'mismatch', 'sysctl', 'k')).toBe(findingId('erp', 'mismatch', 'sysctl', 'k'));
    const ids = new Set([
      findingId('erp', 'mismatch', 'sysctl', 'k'),
      findingId('crm', 'mismatch', 'sysctl', 'k'),
      findingId('erp', 'missing', 'sysctl', 'k'),
      findingId('erp', 'mismatch', 'kernel', 'k'),
      findingId('erp', 'mismatch', 'sysctl', 'k2'),
    ]);
    expect(ids.size).toBe(5);
  });
});

describe('files', () => {
  const conf = (token: string) => `totem {\n    version: 2\n    token: ${token}\n    cluster_name: erp\n}\n`;
  const file = (content: string) => ({
    value: `sha256=${createHash('sha256').update(content).digest('hex')} mode=0644 owner=root:root size=${content.length}`,
    content,
  });

  it('a differing file carries a unified diff from the majority to each outlier', () => {
    const report = check([
      snap('erp-a', { files: { '/etc/corosync/corosync.conf': file(conf('3000')) } }),
      snap('erp-b', { files: { '/etc/corosync/corosync.conf': file(conf('3000')) } }),
      snap('erp-c', { files: { '/etc/corosync/corosync.conf': file(conf('10000')) } }),
    ]);
    const diff = only(report.findings).detail?.diff ?? '';
    expect(diff).toContain('--- erp-a:/etc/corosync/corosync.conf');
    expect(diff).toContain('+++ erp-c:/etc/corosync/corosync.conf');
    expect(diff).toContain('-    token: 3000');
    expect(diff).toContain('+    token: 10000');
    expect(diff).not.toContain('erp-b:');
  });

  it('with no majority every other node is diffed against the first', () => {
    const report = check([
      snap('erp-a', { files: { '/etc/multipath.conf': file('a\n') } }),
      snap('erp-b', { files: { '/etc/multipath.conf': file('b\n') } }),
    ]);
    const diff = only(report.findings).detail?.diff ?? '';
    expect(diff).toContain('-a');
    expect(diff).toContain('+b');
  });

  it('an absent file diffs against nothing, and a huge diff is bounded', () => {
    const big = Array.from({ length: 20000 }, (_, i) => `line ${i}`).join('\n');
    const report = check([
      snap('erp-a', { files: { '/etc/x': file(big) } }),
      snap('erp-b', { files: { '/etc/x': file(big) } }),
      snap('erp-c', { files: {} }),
    ]);
    const diff = only(report.findings).detail?.diff ?? '';
    expect(diff).toContain('(absent)');
    expect(diff.length).toBeLessThan(70 * 1024);
    expect(diff).toContain('diff truncated');
  });

  it('metadata-only differences (same content) carry no diff', () => {
    const report = check([
      snap('erp-a', { files: { '/etc/x': { value: 'sha256=1 mode=0644', content: 'same\n' } } }),
      snap('erp-b', { files: { '/etc/x': { value: 'sha256=1 mode=0600', content: 'same\n' } } }),
    ]);
    expect(only(report.findings).detail).toBeUndefined();
  });
});
