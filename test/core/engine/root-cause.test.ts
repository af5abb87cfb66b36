/**
 * One problem, one finding (issue #21): what follows from a change is attached to it as
 * evidence, the headline names the nodes to fix, and only headlines are counted.
 */
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../../src/core/check-report.js';
import type { Item } from '../../../src/core/snapshot.js';
import { check, only, rules, withEvidence } from './check.js';
import { debPackages, facet, snap } from './handmade-cluster.js';

type F = CheckReport['findings'][number];
const keys = (list: readonly F[] | undefined) => (list ?? []).map((f) => `${f.facet}:${f.key}`).sort();

const CRITICAL_STACK = rules(
  '  - name: corosync-config',
  '    match: { facet: corosync, key: "*" }',
  '    severity: critical',
  '  - name: pacemaker-config',
  '    match: { facet: pacemaker, key: "*" }',
  '    severity: critical',
);

describe('corosync: derived runtime values under the corosync.conf key that caused them', () => {
  const node = (name: string, token: string, consensus: string) =>
    snap(name, {
      corosync: facet(
        {
          'totem.token': token,
          'runtime.runtime.config.totem.token': token,
          'runtime.runtime.config.totem.consensus': consensus,
          'runtime.runtime.config.totem.token_retransmit': String(Number(token) / 4),
          'runtime.totem.token': token,
        },
        { meta: { runtime: 'cmap' } },
      ),
    });

  it('one critical headline, totem.token, with five pieces of evidence', () => {
    const report = check([node('a', '3000', '3600'), node('b', '3000', '3600'), node('c', '4000', '4800')], { rules: CRITICAL_STACK });
    const f = only(report.findings);
    expect(f).toMatchObject({ key: 'totem.token', severity: 'critical', outliers: ['c'] });
    expect(keys(f.evidence)).toEqual([
      'corosync:runtime.runtime.config.totem.consensus',
      'corosync:runtime.runtime.config.totem.token',
      'corosync:runtime.runtime.config.totem.token_retransmit',
      'corosync:runtime.totem.token',
    ]);
    expect(report.summary).toEqual({ critical: 1, warning: 0, info: 0, waived: 0 });
  });

  it('a file changed and not reloaded: the runtime check is evidence too', () => {
    const changedNotLoaded = snap('c', {
      corosync: facet({ 'totem.token': '4000', 'runtime.totem.token': '3000' }, { meta: { runtime: 'cmap' } }),
    });
    const ok = (n: string) =>
      snap(n, { corosync: facet({ 'totem.token': '3000', 'runtime.totem.token': '3000' }, { meta: { runtime: 'cmap' } }) });
    const report = check([ok('a'), ok('b'), changedNotLoaded], { rules: CRITICAL_STACK });
    const f = only(report.findings);
    expect(f.key).toBe('totem.token');
    expect(keys(f.evidence)).toEqual(['corosync:runtime:totem.token']);
  });
});

describe('sysctl: the live value, the files value and the runtime check of one key', () => {
  it('a file changed and applied on one node: one headline', () => {
    const n = (name: string, v: string) =>
      snap(name, { sysctl: { 'vm.swappiness': v, 'configured.vm.swappiness': { value: v, source: '/etc/sysctl.d/90-erp.conf:2' } } });
    const report = check([n('a', '10'), n('b', '10'), n('c', '60')]);
    const f = only(report.findings);
    expect(f).toMatchObject({ key: 'vm.swappiness', outliers: ['c'] });
    expect(keys(f.evidence)).toEqual(['sysctl:configured.vm.swappiness']);
  });

  it('a file changed and not applied: drift of the file value, with the runtime check as evidence', () => {
    const n = (name: string, file: string) =>
      snap(name, { sysctl: { 'vm.swappiness': '10', 'configured.vm.swappiness': { value: file, source: '/etc/sysctl.d/90-erp.conf:2' } } });
    const report = check([n('a', '10'), n('b', '10'), n('c', '60')]);
    const f = only(report.findings);
    expect(f.outliers).toEqual(['c']);
    expect(keys([f, ...(f.evidence ?? [])])).toEqual(['sysctl:configured.vm.swappiness', 'sysctl:runtime:vm.swappiness']);
  });

  it('the sysctl.d file in the files facet goes under the key it changes', () => {
    const text = (v: string) => `# tuning\nvm.swappiness = ${v}\n`;
    const file = (v: string): Item => ({ value: `sha256=${v.padStart(64, '0')} mode=0644 owner=root:root size=20`, content: text(v) });
    const n = (name: string, v: string) => snap(name, { sysctl: { 'vm.swappiness': v }, files: { '/etc/sysctl.d/90-erp.conf': file(v) } });
    const report = check([n('a', '10'), n('b', '10'), n('c', '60')]);
    const f = only(report.findings);
    expect(f.key).toBe('vm.swappiness');
    expect(keys(f.evidence)).toEqual(['files:/etc/sysctl.d/90-erp.conf']);
  });
});

describe('agents missing because their package is missing', () => {
  const cib = {
    'resource.ip': 'ocf:heartbeat:IPaddr2',
    'resource.fs': 'ocf:heartbeat:Filesystem',
    'node.a': 'member',
    'node.b': 'member',
    'node.c': 'member',
  };
  const pkgs = { pacemaker: '2.1.5-1', 'resource-agents': '1:4.12.0-2' };
  it('the package is the critical headline and names the agents; the summary counts one', () => {
    const { 'resource-agents': _gone, ...without } = pkgs;
    const report = check([
      snap('a', { pacemaker: cib, packages: debPackages(pkgs) }),
      snap('b', { pacemaker: cib, packages: debPackages(pkgs) }),
      snap('c', { pacemaker: cib, packages: debPackages(without) }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({ facet: 'packages', key: 'resource-agents', severity: 'critical', kind: 'precondition', outliers: ['c'] });
    expect(f.message).toContain('ocf:heartbeat:Filesystem, ocf:heartbeat:IPaddr2');
    expect(keys(f.evidence)).toEqual(['pacemaker:agent:ocf:heartbeat:Filesystem', 'pacemaker:agent:ocf:heartbeat:IPaddr2']);
    expect(report.summary.critical).toBe(1);
    expect(report.nodes.find((n) => n.name === 'c')?.ready).toBe(false);
  });
});

describe('one package upgrade', () => {
  it('binaries with the same versions and the same nodes behind are one finding, named after the non-library package', () => {
    const pk = (v: string) => debPackages({ openssl: v, 'libssl3:amd64': v, curl: '7.88.1-10' });
    const report = check([
      snap('a', { packages: pk('3.0.19-1') }),
      snap('b', { packages: pk('3.0.19-1') }),
      snap('c', { packages: pk('3.0.17-1') }),
    ]);
    const f = only(report.findings);
    expect(f.key).toBe('openssl');
    expect(keys(f.evidence)).toEqual(['packages:libssl3:amd64']);
    expect(f.message).toBe('packages openssl, libssl3:amd64 (one upgrade): c is behind (3.0.17-1 < 3.0.19-1): upgrade them together on c');
  });

  it('packages at different versions stay apart', () => {
    const report = check([
      snap('a', { packages: debPackages({ openssl: '3.0.19-1', 'libssl3:amd64': '3.0.19-1' }) }),
      snap('b', { packages: debPackages({ openssl: '3.0.19-1', 'libssl3:amd64': '3.0.19-1' }) }),
      snap('c', { packages: debPackages({ openssl: '3.0.17-1', 'libssl3:amd64': '3.0.18-1' }) }),
    ]);
    expect(report.findings).toHaveLength(2);
  });
});

describe('one CIB resource', () => {
  it('its per-key findings are one headline per resource', () => {
    const cib = (mask: string, nic: string) => ({
      'resource.erp-ip': 'ocf:heartbeat:IPaddr2',
      'resource.erp-ip.param.cidr_netmask': mask,
      'resource.erp-ip.param.nic': nic,
      'resource.db.meta.target-role': 'Started',
    });
    const report = check(
      [
        snap('a', { pacemaker: cib('24', 'eth0') }),
        snap('b', { pacemaker: cib('24', 'eth0') }),
        snap('c', { pacemaker: cib('16', 'eth1') }),
      ],
      { rules: CRITICAL_STACK },
    );
    const f = only(report.findings);
    expect(f.message).toMatch(/^pacemaker resource erp-ip differs on c in 2 settings \(param\.cidr_netmask, param\.nic\)/);
    expect(f.evidence).toHaveLength(1);
  });

  it('a raw cib.xml difference with no parsed CIB difference is cosmetic', () => {
    const cibFile = (sha: string): Item => ({ value: `sha256=${sha.repeat(64)} mode=0600 owner=hacluster:haclient size=10` });
    const report = check(
      [
        snap('a', { pacemaker: { 'property.stonith-enabled': 'true' }, files: { '/var/lib/pacemaker/cib/cib.xml': cibFile('a') } }),
        snap('b', { pacemaker: { 'property.stonith-enabled': 'true' }, files: { '/var/lib/pacemaker/cib/cib.xml': cibFile('a') } }),
        snap('c', { pacemaker: { 'property.stonith-enabled': 'true' }, files: { '/var/lib/pacemaker/cib/cib.xml': cibFile('b') } }),
      ],
      { rules: CRITICAL_STACK },
    );
    expect(only(report.findings)).toMatchObject({ severity: 'info', key: '/var/lib/pacemaker/cib/cib.xml' });
  });
});

describe('the right direction: a rule that says which value is right beats the majority', () => {
  const token = rules(
    '  - name: corosync-config',
    '    match: { facet: corosync, key: "*" }',
    '    severity: critical',
    '  - name: corosync-token',
    '    match: { facet: corosync, key: totem.token }',
    '    expect: { min: 5000, severity: warning }',
    "    remediation: 'Set token: 5000 on every node'",
  );
  const n = (name: string, v: string) => snap(name, { corosync: { 'totem.token': v } });

  it('the minority that keeps the rule is right: the majority is named to fix, in message, outliers and fix', () => {
    const report = check([n('erp-a', '3000'), n('erp-b', '3000'), n('erp-c', '5000')], { rules: token });
    const f = only(report.findings);
    expect(f).toMatchObject({ key: 'totem.token', severity: 'critical', outliers: ['erp-a', 'erp-b'], majority: '5000' });
    expect(f.message).toBe(
      'corosync totem.token: erp-a has 3000, erp-b has 3000; rule corosync-token expects at least 5000 (erp-c has 5000): fix erp-a, erp-b',
    );
    expect(f.remediation).toBe('Set token: 5000 on every node');
    expect(keys(f.evidence)).toEqual(['corosync:totem.token']);
    expect(f.evidence?.[0]?.kind).toBe('mismatch');
    expect(report.nodes.find((x) => x.name === 'erp-c')?.ready).toBe(true);
  });

  it('every node agreeing and breaking the rule is said as such', () => {
    const report = check([n('erp-a', '3000'), n('erp-b', '3000'), n('erp-c', '3000')], { rules: token });
    expect(only(report.findings).message).toBe(
      'corosync totem.token: every node has 3000; rule corosync-token expects at least 5000 (the nodes agree: change it once for the whole cluster)',
    );
  });

  it('a practice check broken the same way on every node is said as such', () => {
    const practice = rules(
      '  - name: consensus',
      "    match: { facet: corosync, key: 'practice:corosync-consensus-vs-token' }",
      '    severity: warning',
    );
    const c = (name: string) => snap(name, { corosync: { 'totem.token': '5000', 'totem.consensus': '5000' } });
    const f = only(check([c('erp-a'), c('erp-b'), c('erp-c')], { rules: practice }).findings);
    expect(f.kind).toBe('practice');
    expect(f.message).toBe(
      'corosync-consensus-vs-token: expected totem.consensus at least 1.2 x totem.token (corosync.conf(5)) (every node: token=5000 consensus=5000 (needs >= 6000); the nodes agree: change it once for the whole cluster)',
    );
  });

  it('no node keeps the rule: the majority decides the drift, and the headline says the rule is broken everywhere', () => {
    const report = check([n('erp-a', '3000'), n('erp-b', '3000'), n('erp-c', '4000')], { rules: token });
    const f = only(report.findings);
    expect(f).toMatchObject({ kind: 'mismatch', outliers: ['erp-c'] });
    expect(f.message).toContain('no node keeps rule corosync-token (expects at least 5000)');
  });

  it('the baseline node decides where no rule does', () => {
    const report = check([n('erp-a', '3000'), n('erp-b', '3000'), n('erp-c', '4000')], { rules: CRITICAL_STACK, baseline: 'erp-c' });
    expect(only(report.findings).outliers).toEqual(['erp-a', 'erp-b']);
  });
});

describe('headlines only are counted', () => {
  it('evidence never carries evidence, and every check finding is either a headline or evidence once', () => {
    const n = (name: string, v: string) =>
      snap(name, {
        corosync: facet(
          { 'totem.token': v, 'runtime.runtime.config.totem.token': v, 'runtime.totem.token': v },
          { meta: { runtime: 'cmap' } },
        ),
        sysctl: { 'vm.swappiness': v },
      });
    const report = check([n('a', '3000'), n('b', '3000'), n('c', '4000')], { rules: CRITICAL_STACK });
    expect(report.findings).toHaveLength(2);
    for (const f of report.findings) for (const e of f.evidence ?? []) expect('evidence' in e).toBe(false);
    const ids = withEvidence(report).map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const scored = report.nodes.flatMap((x) => x.contributions.map((c) => c.finding));
    const headlineIds = new Set(report.findings.map((f) => f.id));
    expect(scored.filter((id) => !['unreachable', 'stale'].includes(id)).every((id) => headlineIds.has(id))).toBe(true);
  });
});

describe('one MTU change', () => {
  const nic = (mtu: string) => ({ network: { 'link.eth0.100.mtu': mtu }, sysctl: { 'net.ipv6.conf.eth0/100.mtu': mtu } });
  it("a NIC's MTU and the IPv6 MTU the kernel sets with it are one finding", () => {
    const f = only(check([snap('a', nic('1500')), snap('b', nic('9000')), snap('c', nic('1500'))]).findings);
    expect(f).toMatchObject({ facet: 'network', key: 'link.eth0.100.mtu', outliers: ['b'] });
    expect(keys(f.evidence)).toEqual(['sysctl:net.ipv6.conf.eth0/100.mtu']);
  });

  it('an IPv6 MTU set by hand on another node stays its own finding', () => {
    const report = check([
      snap('a', nic('1500')),
      snap('b', { network: { 'link.eth0.100.mtu': '9000' }, sysctl: { 'net.ipv6.conf.eth0/100.mtu': '1500' } }),
      snap('c', { network: { 'link.eth0.100.mtu': '1500' }, sysctl: { 'net.ipv6.conf.eth0/100.mtu': '1280' } }),
    ]);
    expect(report.findings.map((f) => [f.facet, f.outliers]).sort()).toEqual([
      ['network', ['b']],
      ['sysctl', ['c']],
    ]);
  });
});
