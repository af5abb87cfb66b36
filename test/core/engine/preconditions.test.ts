import { describe, expect, it } from 'vitest';
import { agentProvider, packageName, referencedAgents } from '../../../src/core/engine/preconditions.js';
import { check, only, rules } from './check.js';
import { debPackages, facet, snap } from './handmade-cluster.js';

const cib = {
  'resource.vip': 'ocf:heartbeat:IPaddr2',
  'resource.vip.param.ip': 'ocf:looks:like-an-agent-but-is-a-param',
  'resource.fence-a': 'stonith:fence_ipmilan',
  'resource.drbd-r0': 'ocf:linbit:drbd',
  'resource.web': 'systemd:nginx',
  'template.ping-tpl': 'ocf:pacemaker:ping',
};

describe('agents referenced by the CIB', () => {
  it('are read from resource and template items, not from parameters', () => {
    expect(referencedAgents([facet(cib)])).toEqual([
      'ocf:heartbeat:IPaddr2',
      'ocf:linbit:drbd',
      'ocf:pacemaker:ping',
      'stonith:fence_ipmilan',
      'systemd:nginx',
    ]);
  });

  it.each([
    ['ocf:heartbeat:IPaddr2', 'resource-agents', true],
    ['ocf:heartbeat:IPaddr2', 'resource-agents-base', true],
    ['ocf:heartbeat:IPaddr2', 'pacemaker', false],
    ['ocf:pacemaker:ping', 'pacemaker', true],
    ['ocf:pacemaker:ping', 'pacemaker-resource-agents', true],
    ['ocf:linbit:drbd', 'drbd-utils', true],
    ['stonith:fence_ipmilan', 'fence-agents', true],
    ['stonith:fence_ipmilan', 'fence-agents-ipmilan', true],
    ['stonith:fence_ipmilan', 'fence-agents-all', true],
    ['stonith:fence_ipmilan', 'fence-agents-kdump', false],
  ])('%s is provided by %s: %s', (agent, pkg, expected) => {
    expect(agentProvider(agent)?.isProvidingPackage(pkg)).toBe(expected);
  });

  it('does not check agents no package can be named for', () => {
    expect(agentProvider('systemd:nginx')).toBeUndefined();
    expect(agentProvider('ocf:custom:thing')).toBeUndefined();
    expect(agentProvider('lsb:foo')).toBeUndefined();
  });

  it.each([
    ['libc6:amd64', 'libc6'],
    ['glibc.i686', 'glibc'],
    ['fence-agents-ipmilan', 'fence-agents-ipmilan'],
    ['python3.11', 'python3.11'],
  ])('package key %s names package %s', (key, name) => {
    expect(packageName(key)).toBe(name);
  });
});

describe('precondition findings', () => {
  const installed = { pacemaker: '2.1.5-1', 'resource-agents': '1:4.12.0-2', 'fence-agents': '4.12.1-1', 'drbd-utils': '9.22.0-1' };

  it('nothing when every referenced agent is installed everywhere', () => {
    const snaps = ['erp-a', 'erp-b'].map((n) => snap(n, { pacemaker: cib, packages: debPackages(installed) }));
    expect(check(snaps).findings).toEqual([]);
  });

  it('an agent missing on one node is a critical precondition naming that node', () => {
    const { 'fence-agents': _dropped, ...withoutFence } = installed;
    const report = check([
      snap('erp-a', { pacemaker: cib, packages: debPackages(installed) }),
      snap('erp-b', { pacemaker: cib, packages: debPackages(installed) }),
      snap('erp-c', { pacemaker: cib, packages: debPackages(withoutFence) }),
    ]);
    // One problem: the missing package is the headline, critical, naming the agent it
    // takes away; the agent's own precondition finding is its evidence.
    const head = only(report.findings);
    expect(head).toMatchObject({ facet: 'packages', key: 'fence-agents', kind: 'precondition', severity: 'critical', outliers: ['erp-c'] });
    expect(head.message).toBe(
      "package fence-agents is missing on erp-c, so the CIB's stonith:fence_ipmilan cannot run there: install fence-agents on erp-c",
    );
    const f = only((head.evidence ?? []).filter((x) => x.kind === 'precondition'));
    expect(f).toMatchObject({
      facet: 'pacemaker',
      key: 'agent:stonith:fence_ipmilan',
      severity: 'critical',
      outliers: ['erp-c'],
      values: { 'erp-a': 'fence-agents 4.12.1-1', 'erp-c': null },
    });
    expect(f.message).toBe(
      'resource agent stonith:fence_ipmilan is referenced by the CIB but not installed on erp-c (needs fence-agents or fence-agents-ipmilan)',
    );
    expect(report.nodes.find((n) => n.name === 'erp-c')?.ready).toBe(false);
    expect(report.nodes.find((n) => n.name === 'erp-a')?.ready).toBe(true);
  });

  it('the agent file in the files facet counts as installed', () => {
    const { 'resource-agents': _dropped, ...without } = installed;
    const report = check([
      snap('erp-a', { pacemaker: cib, packages: debPackages(installed) }),
      snap('erp-b', {
        pacemaker: cib,
        packages: debPackages(without),
        files: { '/usr/lib/ocf/resource.d/heartbeat/IPaddr2': 'sha256=ab mode=0755 owner=root:root size=1' },
      }),
    ]);
    expect(report.findings.filter((f) => f.kind === 'precondition')).toEqual([]);
  });

  it('a node whose packages facet failed is not claimed to lack the agent', () => {
    const report = check([
      snap('erp-a', { pacemaker: cib, packages: debPackages(installed) }),
      snap('erp-b', { pacemaker: cib, packages: { status: 'error', items: {}, error: 'dpkg-query failed' } }),
    ]);
    expect(report.findings.filter((f) => f.kind === 'precondition')).toEqual([]);
  });

  it('DRBD kernel module versions that differ across nodes are a precondition, not plain drift', () => {
    const report = check([
      snap('erp-a', { drbd: { 'version.kernel': '9.2.5', 'version.userland': '9.22.0' } }),
      snap('erp-b', { drbd: { 'version.kernel': '9.2.5', 'version.userland': '9.22.0' } }),
      snap('erp-c', { drbd: { 'version.kernel': '8.4.11', 'version.userland': '9.22.0' } }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({ kind: 'precondition', facet: 'drbd', key: 'version.kernel', severity: 'critical', outliers: ['erp-c'] });
    expect(f.message).toBe('DRBD kernel module versions differ across nodes: drbd version.kernel: erp-c has 8.4.11 (majority has 9.2.5)');
  });

  it('a pending reboot is one precondition listing the nodes', () => {
    const report = check([
      snap('erp-a', { kernel: { release: '6.1.0-18-amd64', reboot_required: 'false' } }),
      snap('erp-b', { kernel: { release: '6.1.0-18-amd64', reboot_required: 'true', newest_installed: '6.1.0-19-amd64' } }),
    ]);
    const f = only(report.findings.filter((x) => x.kind === 'precondition'));
    expect(f).toMatchObject({
      facet: 'kernel',
      key: 'reboot_required',
      severity: 'critical',
      outliers: ['erp-b'],
      values: { 'erp-a': 'false', 'erp-b': 'true' },
    });
    expect(report.findings.some((x) => x.kind !== 'precondition' && x.key === 'reboot_required')).toBe(false);
  });

  it('rules can lower a precondition and waive it', () => {
    const r = rules(
      '  - name: reboots-are-planned',
      '    match: { facet: kernel, key: reboot_required }',
      '    severity: warning',
      '    waivers: [{ justification: "patch night 2026-11-28", author: carol, expires: 2026-11-28 }]',
    );
    const report = check([snap('erp-a', { kernel: { reboot_required: 'true' } })], { rules: r });
    expect(only(report.findings)).toMatchObject({ severity: 'warning', waived: true, rule: 'reboots-are-planned' });
  });
});

describe('package states (dpkg) and duplicate versions (rpm)', () => {
  const rpm = (items: Record<string, string>) => facet(items, { meta: { format: 'rpm' } });

  it('a package dpkg left half-configured is "not configured" on that node, not missing', () => {
    const report = check([
      snap('erp-a', { packages: debPackages({ pacemaker: '2.1.5-1' }) }),
      snap('erp-b', { packages: facet({ pacemaker: '2.1.5-1' }, { meta: { format: 'deb', 'unfinished:pacemaker': 'half-configured' } }) }),
    ]);
    const f = only(report.findings);
    expect(f).toMatchObject({
      kind: 'precondition',
      facet: 'packages',
      key: 'state:pacemaker',
      severity: 'critical',
      outliers: ['erp-b'],
      values: { 'erp-a': '2.1.5-1', 'erp-b': 'half-configured' },
    });
    expect(f.message).toMatch(/^package pacemaker is not configured on erp-b \(half-configured\): .*dpkg --configure -a/);
  });

  it('pending triggers alone are a warning', () => {
    const report = check([
      snap('erp-a', { packages: facet({ 'man-db': '2.11.2-2' }, { meta: { format: 'deb', 'unfinished:man-db': 'triggers-pending' } }) }),
    ]);
    expect(only(report.findings)).toMatchObject({ key: 'state:man-db', severity: 'warning', outliers: ['erp-a'] });
  });

  it('rpm: several versions of one package are flagged, kernels and gpg-pubkey are not', () => {
    const items = {
      kernel: '5.14.0-162.6.1.el9_1 5.14.0-70.13.1.el9_0',
      'kernel-core': '5.14.0-162.6.1.el9_1 5.14.0-70.13.1.el9_0',
      'gpg-pubkey': 'fd431d51-4ae0493b 5a6340b3-6229229e',
      bash: '5.1.8-5.el9',
    };
    const report = check([
      snap('erp-a', { packages: rpm(items) }),
      snap('erp-b', { packages: rpm({ ...items, 'pacemaker.x86_64': '2.1.5-5.el9 2.1.6-1.el9', 'pacemaker.i686': '2.1.5-5.el9' }) }),
    ]);
    const dupes = report.findings.filter((f) => f.kind === 'precondition');
    expect(dupes).toHaveLength(1);
    expect(dupes[0]).toMatchObject({
      key: 'duplicates:pacemaker.x86_64',
      severity: 'warning',
      outliers: ['erp-b'],
      values: { 'erp-a': null, 'erp-b': '2.1.5-5.el9 2.1.6-1.el9' },
    });
  });

  it('a deb facet is never read for rpm duplicates', () => {
    const report = check([snap('erp-a', { packages: debPackages({ weird: '1.0 2.0' }) })]);
    expect(report.findings.filter((f) => f.kind === 'precondition')).toEqual([]);
  });
});

describe('agent presence judged on the node itself', () => {
  const cibWithCustom = { ...cib, 'resource.sap': 'ocf:suse:SAPHana', 'resource.custom': 'ocf:acme:thing' };
  const listed = (names: string[]) => facet(cibWithCustom, { meta: { agents: names.sort().join(' ') } });
  const everything = [
    'ocf:heartbeat:IPaddr2',
    'ocf:linbit:drbd',
    'ocf:pacemaker:ping',
    'stonith:fence_ipmilan',
    'unit:nginx.service',
    'ocf:suse:SAPHana',
    'ocf:acme:thing',
  ];

  it('a custom agent missing on the standby is critical and names that node, packages or not', () => {
    const report = check([
      snap('erp-a', { pacemaker: listed(everything), packages: debPackages({}) }),
      snap('erp-b', { pacemaker: listed(everything.filter((a) => a !== 'ocf:acme:thing')), packages: debPackages({}) }),
    ]);
    const f = only(report.findings.filter((x) => x.kind === 'precondition'));
    expect(f).toMatchObject({
      facet: 'pacemaker',
      key: 'agent:ocf:acme:thing',
      severity: 'critical',
      outliers: ['erp-b'],
      values: { 'erp-a': '/usr/lib/ocf/resource.d/acme/thing', 'erp-b': null },
    });
    expect(f.message).toBe(
      'resource agent ocf:acme:thing is referenced by the CIB but not installed on erp-b (needs the executable /usr/lib/ocf/resource.d/acme/thing, installed as on the other nodes)',
    );
  });

  it('an agent present without its package is fine (no resource-agents package, IPaddr2 on disk)', () => {
    const report = check(['erp-a', 'erp-b'].map((n) => snap(n, { pacemaker: listed(everything), packages: debPackages({}) })));
    expect(report.findings.filter((x) => x.kind === 'precondition')).toEqual([]);
  });

  it('a systemd unit missing on one node names the unit; a packaged agent names its package', () => {
    const report = check([
      snap('erp-a', { pacemaker: listed(everything) }),
      snap('erp-b', { pacemaker: listed(everything.filter((a) => a !== 'unit:nginx.service' && a !== 'stonith:fence_ipmilan')) }),
    ]);
    const keys = report.findings.filter((x) => x.kind === 'precondition').map((x) => [x.key, x.outliers, x.message.replace(/.*\(/, '(')]);
    expect(keys).toEqual([
      ['agent:stonith:fence_ipmilan', ['erp-b'], '(needs fence-agents or fence-agents-ipmilan)'],
      ['agent:systemd:nginx', ['erp-b'], '(needs the unit nginx.service)'],
    ]);
  });

  it('a node without the listing (an older recording) falls back to package evidence', () => {
    const { 'fence-agents': _f, ...withoutFence } = {
      pacemaker: '2.1.5-1',
      'resource-agents': '1:4.12.0-2',
      'fence-agents': '4.12.1-1',
      'drbd-utils': '9.22.0-1',
    };
    const report = check([
      snap('erp-a', { pacemaker: listed(everything) }),
      snap('erp-b', { pacemaker: cibWithCustom, packages: debPackages(withoutFence) }),
    ]);
    const f = only(report.findings.filter((x) => x.kind === 'precondition'));
    expect(f).toMatchObject({ key: 'agent:stonith:fence_ipmilan', outliers: ['erp-b'] });
  });
});
