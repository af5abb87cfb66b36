import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_PACK_MAX_BYTES } from '../../src/config/files.js';
import { formatIssue } from '../../src/config/load.js';
import { explainFinding, resolveRule } from '../../src/core/engine/rules/compile.js';
import { checkRulePacks, loadRulePacks, SHIPPED_RULES_DIR } from '../../src/rules/load.js';
import { check } from '../core/engine/check.js';
import { debPackages, snap } from '../core/engine/handmade-cluster.js';

const SHIPPED_FILES = [
  '00-defaults.yaml',
  'cluster-config.yaml',
  'cluster-stack.yaml',
  'identity.yaml',
  'kernel-drivers.yaml',
  'noise.yaml',
  'practice.yaml',
  'runtime.yaml',
  'security-mode.yaml',
  'security.yaml',
  'sysctl.yaml',
  'time.yaml',
  'users.yaml',
];

describe('shipped rule packs', () => {
  const shipped = loadRulePacks([], { includeShipped: true });

  it('all load without errors, in file-name order', () => {
    expect(shipped.errors.map(formatIssue)).toEqual([]);
    expect(shipped.files.map((f) => path.basename(f))).toEqual(SHIPPED_FILES);
    expect(path.dirname(shipped.files[0] ?? '')).toBe(SHIPPED_RULES_DIR);
    expect(shipped.packs.map((p) => p.pack)).toEqual([
      'defaults',
      'cluster-config',
      'cluster-stack',
      'identity',
      'kernel-drivers',
      'noise',
      'best-practice',
      'runtime',
      'security-mode',
      'security',
      'sysctl',
      'time',
      'users',
    ]);
  });

  it.each([
    ['sysctl', 'fs.file-nr', 'ignore', 'volatile-sysctl'],
    ['users', 'named.user.postgres', 'critical', 'named-accounts'],
    ['users', 'named.group.haclient', 'critical', 'named-accounts'],
    ['users', 'user.postgres', undefined, null],
    ['security', 'port.5405/udp', 'critical', 'cluster-ports'],
    ['mounts', 'runtime:/srv/data', 'warning', 'mounts-runtime'],
    ['sysctl', 'kernel.random.boot_id', 'ignore', 'volatile-sysctl'],
    ['sysctl', 'vm.swappiness', undefined, null],
    ['sysctl', 'net.ipv4.ip_nonlocal_bind', 'warning', 'failover-path-sysctls'],
    ['packages', 'pacemaker', 'critical', 'pacemaker-packages'],
    ['packages', 'pacemaker-cli', 'critical', 'pacemaker-packages'],
    ['packages', 'corosync', 'critical', 'corosync-packages'],
    ['packages', 'libknet1:amd64', 'critical', 'knet-packages'],
    ['packages', 'resource-agents', 'critical', 'agent-packages'],
    ['packages', 'fence-agents-ipmilan', 'critical', 'agent-packages'],
    ['packages', 'sbd', 'critical', 'fencing-and-storage-packages'],
    ['packages', 'drbd-utils', 'critical', 'fencing-and-storage-packages'],
    ['packages', 'multipath-tools', 'critical', 'fencing-and-storage-packages'],
    ['packages', 'crmsh', 'critical', 'cluster-shells'],
    ['packages', 'pcs', 'critical', 'cluster-shells'],
    ['packages', 'openssl', 'warning', 'tls-libraries'],
    ['packages', 'libssl3', 'warning', 'tls-libraries'],
    ['packages', 'openssh-server', 'warning', 'ssh'],
    ['packages', 'libc6:amd64', 'warning', 'libc'],
    ['packages', 'glibc', 'warning', 'libc'],
    ['packages', 'sudo', 'warning', 'sudo'],
    ['packages', 'linux-image-6.1.0-18-amd64', 'info', 'kernel-image-packages'],
    ['packages', 'vim', undefined, null],
    ['modules', 'drbd', 'critical', 'drbd-kernel-module'],
    ['modules', 'drbd_transport_tcp', 'critical', 'drbd-kernel-module'],
    ['modules', 'qla2xxx', 'critical', 'storage-drivers'],
    ['modules', 'mlx5_core', 'critical', 'network-drivers'],
    ['modules', 'bonding', 'critical', 'network-drivers'],
    ['modules', 'snd_hda_intel', undefined, null],
    ['kernel', 'release', undefined, null],
    ['kernel', 'reboot_required', 'warning', 'pending-reboot'],
    ['kernel', 'installed.6.1.0-17-amd64', 'info', 'installed-kernels'],
    ['corosync', 'totem.token', 'critical', 'corosync-config'],
    ['corosync', 'runtime.stats.srp.mcast_tx', 'ignore', 'volatile-corosync-runtime'],
    ['pacemaker', 'property.stonith-enabled', 'critical', 'pacemaker-config'],
    ['pacemaker', 'property.dc-version', 'ignore', 'volatile-cib'],
    ['drbd', 'resource.r0.net.protocol', 'critical', 'drbd-config'],
    ['sysctl', 'runtime:vm.swappiness', 'warning', 'sysctl-runtime'],
    ['sysctl', 'runtime:kernel.panic', 'critical', 'sysctl-runtime-failover-path'],
    ['corosync', 'runtime:totem.token', 'critical', 'corosync-runtime'],
    ['drbd', 'runtime:r0', 'critical', 'drbd-runtime'],
    ['corosync', 'practice:corosync-consensus-vs-token', 'warning', 'corosync-consensus-vs-token'],
    ['corosync', 'practice:corosync-two-node', 'critical', 'corosync-two-node'],
    ['pacemaker', 'practice:pacemaker-fencing-per-node', 'critical', 'fencing-per-node'],
    ['pacemaker', 'practice:sbd-stonith-timeout', 'critical', 'sbd-stonith-timeout'],
    ['files', '/etc/corosync/corosync.conf', 'critical', 'cluster-files'],
    ['files', '/etc/drbd.d/r0.res', 'critical', 'cluster-files'],
    ['files', '/etc/multipath.conf', 'critical', 'cluster-files'],
    ['files', '/etc/hosts', undefined, null],
  ] as const)('%s %s -> %s (rule %s)', (facetName, key, severity, rule) => {
    const eff = resolveRule(shipped.rules, facetName, key);
    expect(eff.severity).toBe(severity);
    expect(eff.severityRule).toBe(rule);
  });

  it.each([
    ['sysctl', 'kernel.hostname'],
    ['corosync', 'runtime.nodelist.local_node_id'],
    ['files', '/etc/machine-id'],
  ] as const)('%s %s is node-specific', (facetName, key) => {
    expect(resolveRule(shipped.rules, facetName, key).nodeSpecific).toBe(true);
  });

  it('ignore a volatile sysctl and a differing hostname end to end', () => {
    const report = check(
      [
        snap('erp-a', { sysctl: { 'fs.file-nr': '1216 0 9223372036854775807', 'kernel.hostname': 'erp-a', 'vm.swappiness': '10' } }),
        snap('erp-b', { sysctl: { 'fs.file-nr': '1344 0 9223372036854775807', 'kernel.hostname': 'erp-b', 'vm.swappiness': '10' } }),
      ],
      { rules: shipped.rules },
    );
    expect(report.findings).toEqual([]);
  });

  it('make a cluster-stack skew critical and not ready', () => {
    const report = check(
      [
        snap('erp-a', { packages: debPackages({ pacemaker: '2.1.6-1', vim: '2:9.0.1378-2' }) }),
        snap('erp-b', { packages: debPackages({ pacemaker: '2.1.6-1', vim: '2:9.0.1378-2' }) }),
        snap('erp-c', { packages: debPackages({ pacemaker: '2.1.5-1', vim: '2:9.0.1378-1' }) }),
      ],
      { rules: shipped.rules },
    );
    expect(report.findings.map((f) => [f.key, f.severity, f.rule])).toEqual([
      ['pacemaker', 'critical', 'pacemaker-packages'],
      ['vim', 'warning', null],
    ]);
    expect(report.nodes.find((n) => n.name === 'erp-c')?.ready).toBe(false);
  });

  it('explain lists the rules that touch a key, in order', () => {
    expect(
      explainFinding(shipped.rules, { facet: 'corosync', key: 'runtime.stats.srp.mcast_tx' }).map((e) => [e.pack, e.rule, e.sets]),
    ).toEqual([
      ['cluster-config', 'corosync-config', { severity: 'critical' }],
      ['noise', 'volatile-corosync-runtime', { severity: 'ignore' }],
    ]);
  });
});

describe('loading user packs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'driftd-rules-'));
    mkdirSync(path.join(dir, 'site'));
    writeFileSync(
      path.join(dir, 'site', '10-first.yaml'),
      'pack: first\nrules:\n  - name: swap\n    match: { facet: sysctl, key: vm.swappiness }\n    severity: critical\n',
    );
    writeFileSync(
      path.join(dir, 'site', '20-second.yaml'),
      'pack: second\nrules:\n  - name: swap-info\n    match: { facet: sysctl, key: "vm.*" }\n    severity: info\n',
    );
    writeFileSync(path.join(dir, 'site', 'README.md'), 'not a pack\n');
    writeFileSync(
      path.join(dir, 'broken.yaml'),
      'pack: broken\nrules:\n  - name: oops\n    match: { facet: sysctl, key: a }\n    severity: loud\n',
    );
    writeFileSync(path.join(dir, 'garbage.yaml'), 'pack: [unclosed\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a directory in file-name order after the shipped packs; later wins', () => {
    const loaded = loadRulePacks([path.join(dir, 'site')], { includeShipped: true });
    expect(loaded.errors).toEqual([]);
    expect(loaded.files.slice(-2).map((f) => path.basename(f))).toEqual(['10-first.yaml', '20-second.yaml']);
    expect(resolveRule(loaded.rules, 'sysctl', 'vm.swappiness')).toMatchObject({ severity: 'info', severityRule: 'swap-info' });
  });

  it('a malformed pack is an error with file:line:col; the other packs still load', () => {
    const loaded = loadRulePacks([path.join(dir, 'broken.yaml'), path.join(dir, 'garbage.yaml'), path.join(dir, 'site')], {
      includeShipped: false,
    });
    const messages = loaded.errors.map(formatIssue);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(
      new RegExp(
        `^${escape(path.join(dir, 'broken.yaml'))}:5:5: rules\\[0\\]\\.severity: expected one of "critical", "warning", "info", "ignore"$`,
      ),
    );
    expect(messages[1]).toMatch(new RegExp(`^${escape(path.join(dir, 'garbage.yaml'))}:2:1: YAML: `));
    expect(loaded.packs.map((p) => p.pack)).toEqual(['first', 'second']);
    expect(resolveRule(loaded.rules, 'sysctl', 'vm.swappiness').severity).toBe('info');
  });

  it('a path that does not exist is an error, not a crash', () => {
    const loaded = loadRulePacks([path.join(dir, 'nope.yaml')], { includeShipped: false });
    expect(loaded.errors).toEqual([{ file: path.join(dir, 'nope.yaml'), line: 1, col: 1, message: 'cannot read rule pack path (ENOENT)' }]);
  });

  it('a FIFO, /dev/zero, a directory named *.yaml or an oversized file is refused, without hanging or reading without limit (issue #22)', () => {
    const special = path.join(dir, 'special');
    mkdirSync(special);
    execFileSync('/usr/bin/mkfifo', [path.join(special, '10-fifo.yaml')]);
    mkdirSync(path.join(special, '20-dir.yaml'));
    writeFileSync(path.join(special, '30-huge.yaml'), `pack: huge\n# ${'x'.repeat(RULE_PACK_MAX_BYTES)}\n`);
    writeFileSync(path.join(special, '40-ok.yaml'), 'pack: ok\nrules: []\n');
    const started = Date.now();
    const loaded = loadRulePacks([special, '/dev/zero'], { includeShipped: false });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(loaded.errors.map(formatIssue)).toEqual([
      `${path.join(special, '10-fifo.yaml')}:1:1: cannot read rule pack (rule pack ${path.join(special, '10-fifo.yaml')} is a FIFO (named pipe); it must be a regular file)`,
      `${path.join(special, '20-dir.yaml')}:1:1: cannot read rule pack (rule pack ${path.join(special, '20-dir.yaml')} is a directory; it must be a regular file)`,
      expect.stringMatching(
        new RegExp(
          `^${escape(path.join(special, '30-huge.yaml'))}:1:1: cannot read rule pack \\(rule pack .* is \\d+ bytes, over the ${RULE_PACK_MAX_BYTES}-byte cap`,
        ),
      ),
      '/dev/zero:1:1: cannot read rule pack (rule pack /dev/zero is a character device; it must be a regular file)',
    ]);
    expect(loaded.packs.map((p) => p.pack)).toEqual(['ok']);
  });

  it('checkRulePacks reports every pack with its rule count, and the errors', () => {
    const result = checkRulePacks([path.join(dir, 'site'), path.join(dir, 'broken.yaml')]);
    expect(result.packs.map((p) => [path.basename(p.file), p.pack, p.rules])).toEqual([
      ['10-first.yaml', 'first', 1],
      ['20-second.yaml', 'second', 1],
    ]);
    expect(result.errors).toHaveLength(1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
