import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../../src/collectors/collector.js';
import { corosyncCollector } from '../../../src/collectors/corosync.js';
import { sysctlCollector } from '../../../src/collectors/sysctl.js';
import { corosyncDivergences, drbdDivergences, servicesDivergences, sysctlDivergences } from '../../../src/core/engine/runtime.js';
import { FIXTURES, fixtureOutputs, ok } from '../../collectors/fixture-outputs.js';
import { check, only, rules, withEvidence } from './check.js';
import { facet, snap } from './handmade-cluster.js';

/** Runtime findings, as headlines or as evidence of the drift they explain. */
const runtimeOf = (report: ReturnType<typeof check>) => withEvidence(report).filter((f) => f.kind === 'runtime');

describe('sysctl: live values against the sysctl.d files', () => {
  it('a real machine whose files were never applied: every differing key, with both values and the file line', () => {
    const parsed = sysctlCollector.parse(
      fixtureOutputs('debian12-sysctl-runtime', ['sysctl-all', 'sysctl-conf']),
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(parsed.status).toBe('ok');
    const byKey = Object.fromEntries(sysctlDivergences('vm', parsed).map((d) => [d.key, d.detail]));
    // On the capture machine systemd never ran, so 50-pid-max.conf and 99-protect-links.conf were never applied.
    expect(byKey['kernel.pid_max']).toEqual({ running: '32768', configured: '4194304', source: '/usr/lib/sysctl.d/50-pid-max.conf:16' });
    expect(byKey['fs.protected_regular']).toEqual({ running: '0', configured: '2', source: '/usr/lib/sysctl.d/99-protect-links.conf:9' });
    // protected_hardlinks is 1 both live and on disk: no finding.
    expect(byKey['fs.protected_hardlinks']).toBeUndefined();
    expect(Object.keys(byKey).sort()).toEqual(['fs.protected_fifos', 'fs.protected_regular', 'fs.protected_symlinks', 'kernel.pid_max']);
  });

  it('one node with a live value its file does not set is a runtime finding on that node only, even when peers agree on disk', () => {
    const files = { 'configured.vm.swappiness': { value: '10', source: '/etc/sysctl.d/90-erp.conf:2' } };
    const report = check([
      snap('a', { sysctl: { 'vm.swappiness': '10', ...files } }),
      snap('b', { sysctl: { 'vm.swappiness': '60', ...files } }),
      snap('c', { sysctl: { 'vm.swappiness': '10', ...files } }),
    ]);
    const f = only(runtimeOf(report));
    expect(f).toMatchObject({ facet: 'sysctl', key: 'runtime:vm.swappiness', outliers: ['b'], severity: 'warning', values: { b: '60' } });
    expect(f.detail?.runtime).toEqual({ b: { running: '60', configured: '10', source: '/etc/sysctl.d/90-erp.conf:2' } });
    expect(f.message).toContain('b runs 60, /etc/sysctl.d/90-erp.conf:2 sets 10');
    // One problem: the live drift is the headline, the runtime finding its evidence.
    const head = only(report.findings);
    expect(head).toMatchObject({ key: 'vm.swappiness', kind: 'mismatch', outliers: ['b'] });
    expect(head.evidence?.map((e) => e.key)).toEqual(['runtime:vm.swappiness']);
    expect(report.ready).toBe(true); // a warning does not block readiness
  });

  it('every node wrong the same way is still found on every node (peer diff sees nothing)', () => {
    const node = (name: string) =>
      snap(name, { sysctl: { 'kernel.panic': '0', 'configured.kernel.panic': { value: '10', source: '/etc/sysctl.d/60-ha.conf:1' } } });
    const report = check([node('a'), node('b')]);
    expect(report.findings.filter((f) => f.kind === 'mismatch')).toEqual([]);
    expect(only(runtimeOf(report)).outliers).toEqual(['a', 'b']);
  });

  it('explicit keys beat globs, whatever their order; a glob covers every live key it matches', () => {
    const f = facet({
      'net.ipv4.conf.all.rp_filter': '1',
      'net.ipv4.conf.eth0.rp_filter': '1',
      'net.ipv4.conf.lo.rp_filter': '0',
      'configured.net.ipv4.conf.*.rp_filter': { value: '2', source: 'g:1' },
      'configured.net.ipv4.conf.lo.rp_filter': { value: '0', source: 'e:1' },
    });
    expect(
      sysctlDivergences('a', f)
        .map((d) => d.key)
        .sort(),
    ).toEqual(['net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.eth0.rp_filter']);
  });

  it('a configured key the kernel does not have, and whitespace differences, are not findings', () => {
    const f = facet({
      'net.ipv4.ip_local_port_range': '32768 60999',
      'configured.net.ipv4.ip_local_port_range': '32768\t 60999',
      'configured.net.bridge.bridge-nf-call-iptables': '1',
    });
    expect(sysctlDivergences('a', f)).toEqual([]);
  });

  it('a rule can lower or ignore runtime findings apart from peer drift, and carries source and remediation', () => {
    const snaps = [snap('a', { sysctl: { 'vm.swappiness': '60', 'configured.vm.swappiness': '10' } })];
    const ignored = check(snaps, {
      rules: rules('  - name: quiet', "    match: { facet: sysctl, key: 'runtime:vm.*' }", '    severity: ignore'),
    });
    expect(runtimeOf(ignored)).toEqual([]);
    const cited = check(snaps, {
      rules: rules(
        '  - name: cited',
        "    match: { facet: sysctl, key: 'runtime:*' }",
        '    severity: critical',
        '    source: sysctl.d(5)',
        '    remediation: run sysctl --system',
      ),
    });
    expect(only(runtimeOf(cited))).toMatchObject({
      severity: 'critical',
      rule: 'cited',
      source: 'sysctl.d(5)',
      remediation: 'run sysctl --system',
    });
    expect(cited.ready).toBe(false);
  });
});

describe('corosync: corosync.conf against the running cmap', () => {
  const conf = readFileSync(join(FIXTURES, 'cluster/corosync/handmade-single-node-erp-a.conf'), 'utf8');
  const cmap = readFileSync(join(FIXTURES, 'cluster/corosync/cmapctl-3.1.7-single-node-erp-a.txt'), 'utf8');
  const parse = (confText: string, cmapText: string | undefined) =>
    corosyncCollector.parse(
      cmapText === undefined
        ? {
            'corosync-conf': ok(confText),
            'corosync-cmapctl': {
              exitCode: 1,
              stdout: '',
              stderr: 'Failed to initialize the cmap API. Error CS_ERR_LIBRARY',
              truncated: false,
            },
          }
        : { 'corosync-conf': ok(confText), 'corosync-cmapctl': ok(cmapText) },
      DEFAULT_COLLECTOR_CONTEXT,
    );

  it('the real daemon running the real file: nothing differs', () => {
    const parsed = parse(conf, cmap);
    expect(parsed.meta?.runtime).toBe('cmap');
    expect(corosyncDivergences('erp-a', parsed)).toEqual([]);
  });

  it('the file edited after the daemon started (token 3000 -> 10000, not reloaded): critical, both values', () => {
    const edited = conf.replace(/token:\s*3000/, 'token: 10000');
    expect(edited).not.toBe(conf);
    const report = check([snap('erp-a', { corosync: parse(edited, cmap) })]);
    const f = only(runtimeOf(report));
    expect(f).toMatchObject({ facet: 'corosync', key: 'runtime:totem.token', severity: 'critical', outliers: ['erp-a'] });
    expect(f.detail?.runtime?.['erp-a']).toEqual({ running: '3000', configured: '10000', source: '/etc/corosync/corosync.conf' });
    expect(report.ready).toBe(false);
  });

  it('a key added to the file only, and one removed from the file only, are both found', () => {
    const added = parse(conf.replace(/(token:\s*3000)/, '$1\n\ttoken_retransmits_before_loss_const: 10'), cmap);
    expect(corosyncDivergences('erp-a', added).map((d) => [d.key, d.detail.running, d.detail.configured])).toEqual([
      ['totem.token_retransmits_before_loss_const', null, '10'],
    ]);
    const removed = parse(conf.replace(/\n\s*token:\s*3000/, ''), cmap);
    expect(corosyncDivergences('erp-a', removed).map((d) => [d.key, d.detail.running, d.detail.configured])).toEqual([
      ['totem.token', '3000', null],
    ]);
  });

  it('a stopped corosync (no cmap) says nothing about runtime', () => {
    expect(corosyncDivergences('erp-a', parse(conf.replace('3000', '10000'), undefined))).toEqual([]);
  });

  it('the recorded real 3-node demo cluster has no runtime drift (its drift is between peers)', () => {
    for (const node of ['erp-a', 'erp-b', 'erp-c']) {
      const parsed = corosyncCollector.parse(
        fixtureOutputs(`demo/${node}`, ['corosync-conf', 'corosync-cmapctl']),
        DEFAULT_COLLECTOR_CONTEXT,
      );
      expect(parsed.meta?.runtime).toBe('cmap');
      expect(corosyncDivergences(node, parsed)).toEqual([]);
    }
  });
});

describe('corosync: running on some nodes only', () => {
  const DEMO = ['erp-a', 'erp-b', 'erp-c'];
  const stopped = { exitCode: 1, stdout: '', stderr: 'Failed to initialize the cmap API. Error CS_ERR_LIBRARY', truncated: false };
  const demo = (notRunning: readonly string[]) =>
    DEMO.map((node) => {
      const outputs = fixtureOutputs(`demo/${node}`, ['corosync-conf', 'corosync-cmapctl']);
      const parsed = corosyncCollector.parse(
        notRunning.includes(node) ? { ...outputs, 'corosync-cmapctl': stopped } : outputs,
        DEFAULT_COLLECTOR_CONTEXT,
      );
      return snap(node, { corosync: parsed });
    });
  const isCmapKey = (key: string) => key.startsWith('runtime.');
  const fileFindings = (report: ReturnType<typeof check>) =>
    report.findings.filter((f) => f.facet === 'corosync' && !isCmapKey(f.key) && f.key !== 'daemon:running');

  it('one node stopped: a single critical finding naming it and why, not one "missing" per cmap key', () => {
    const report = check(demo(['erp-c']));
    const f = only(report.findings.filter((x) => x.key === 'daemon:running'));
    expect(f).toMatchObject({ kind: 'missing', facet: 'corosync', severity: 'critical', outliers: ['erp-c'], majority: 'running' });
    expect(f.values).toEqual({ 'erp-a': 'running', 'erp-b': 'running', 'erp-c': null });
    expect(f.message).toContain('not on erp-c (unavailable: ');
    expect(report.findings.filter((x) => isCmapKey(x.key) && x.outliers.includes('erp-c'))).toEqual([]);
    expect(report.ready).toBe(false);
  });

  it('the files are still compared across every node, the stopped one included', () => {
    const all = check(demo([]));
    const split = check(demo(['erp-c']));
    expect(fileFindings(all).length).toBeGreaterThan(0); // the demo's real corosync.conf drift
    expect(fileFindings(split).map((f) => [f.key, f.outliers])).toEqual(fileFindings(all).map((f) => [f.key, f.outliers]));
  });

  it('all running or all stopped: no daemon:running finding', () => {
    expect(check(demo([])).findings.filter((f) => f.key === 'daemon:running')).toEqual([]);
    expect(check(demo(DEMO)).findings.filter((f) => f.key === 'daemon:running')).toEqual([]);
  });

  it('two of three stopped: the one running node is the outlier only when a majority exists, named either way', () => {
    const report = check(demo(['erp-b', 'erp-c']));
    const f = only(report.findings.filter((x) => x.key === 'daemon:running'));
    expect(f.values).toEqual({ 'erp-a': 'running', 'erp-b': null, 'erp-c': null });
    expect(f.message).toContain('not on erp-b (unavailable: ');
    expect(f.message).toContain('erp-c (unavailable: ');
  });
});

describe('services and drbd (hand-made states)', () => {
  it('an enabled service that failed is a warning, a merely inactive one (maybe a finished oneshot) is info', () => {
    const f = facet({
      'pacemaker.service': 'enabled failed',
      'e2scrub_reap.service': 'enabled inactive',
      'ssh.service': 'enabled active',
      'corosync.service': 'disabled',
    });
    expect(servicesDivergences('a', f).map((d) => [d.key, d.severity])).toEqual([
      ['pacemaker.service', 'warning'],
      ['e2scrub_reap.service', 'info'],
    ]);
  });

  it('a drbd resource with pending adjust commands is critical; an in-sync one is not a finding', () => {
    const f = facet({ 'runtime.adjust.r0': 'drbdsetup net-options r0 1 --ping-timeout=10', 'runtime.adjust.r1': '' });
    expect(drbdDivergences('a', f).map((d) => [d.key, d.severity])).toEqual([['r0', 'critical']]);
  });
});

describe('kernel: running release against the newest installed', () => {
  it('the reboot precondition carries running and newest installed per node', () => {
    const report = check([
      snap('a', { kernel: { release: '6.1.0-26-amd64', reboot_required: 'true', newest_installed: '6.1.0-28-amd64' } }),
      snap('b', { kernel: { release: '6.1.0-28-amd64', reboot_required: 'false' } }),
    ]);
    const f = only(report.findings.filter((x) => x.key === 'reboot_required'));
    expect(f.detail?.runtime).toEqual({
      a: { running: '6.1.0-26-amd64', configured: '6.1.0-28-amd64', source: '/boot/vmlinuz-6.1.0-28-amd64' },
    });
    expect(f.message).toContain('a runs 6.1.0-26-amd64, would boot 6.1.0-28-amd64');
  });
});

describe('properties', () => {
  const value = fc.string({ maxLength: 6 });
  it('sysctl: a divergence exactly where the live value differs (whitespace aside) from the configured one', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z]{1,3}(\.[a-z]{1,3}){0,2}$/), fc.tuple(value, fc.option(value))), (spec) => {
        const items: Record<string, string> = {};
        for (const [k, [live, conf]] of Object.entries(spec)) {
          items[k] = live;
          if (conf !== null) items[`configured.${k}`] = conf;
        }
        const got = new Set(sysctlDivergences('n', facet(items)).map((d) => d.key));
        const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
        for (const [k, [live, conf]] of Object.entries(spec)) {
          if (k.startsWith('configured.')) continue;
          expect(got.has(k)).toBe(conf !== null && norm(conf) !== norm(live));
        }
      }),
    );
  });
});
