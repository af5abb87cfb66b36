import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { evaluatePort, type EvalChain } from '../../src/collectors/firewall-eval.js';
import { iptablesRuleFor, parseNftJson, securityCollector, splitIptablesWords } from '../../src/collectors/security.js';
import { isParserCrash } from '../../src/collectors/util.js';
import { compileRules } from '../../src/core/engine/rules/compile.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { check } from '../core/engine/check.js';
import { snap } from '../core/engine/handmade-cluster.js';
import { failed, FIXTURES, fixtureOutputs, ok } from './fixture-outputs.js';

const IDS = ['security-selinux', 'security-apparmor', 'security-apparmor-profiles', 'security-nft', 'security-iptables'];
const SHIPPED = compileRules(loadRulePacks([], { includeShipped: true }).packs);
const parse = (dir: string, extra = {}) => securityCollector.parse({ ...fixtureOutputs(dir, IDS), ...extra }, DEFAULT_COLLECTOR_CONTEXT);
const handmade = (name: string) => ok(readFileSync(join(FIXTURES, 'handmade-facets', `${name}.txt`), 'utf8'));
const ports = (items: Record<string, { value: string }>) =>
  Object.fromEntries(
    Object.entries(items)
      .filter(([k]) => k.startsWith('port.'))
      .map(([k, v]) => [k, v.value]),
  );

describe('security: real nft rulesets (loaded with nft -f in a private network namespace)', () => {
  it('an HA ruleset: policy drop, corosync from the peers set only, pcsd and pacemaker remote open', () => {
    const facet = parse('debian12-nft-ha');
    expect(facet.status).toBe('ok');
    expect(facet.items.selinux?.value).toBe('Disabled');
    expect(facet.items.apparmor?.value).toBe('disabled');
    expect(facet.items.firewall?.value).toBe('nftables');
    expect(facet.items['nft.inet.filter.chain.input']?.value).toBe('type filter hook input priority 0 policy drop');
    expect(facet.items['nft.inet.filter.set.cluster_peers']?.value).toBe('type ipv4_addr elements 10.0.0.1,10.0.0.2,10.0.0.3');
    expect(ports(facet.items)).toEqual({ 'port.5405/udp': 'restricted', 'port.2224/tcp': 'open', 'port.3121/tcp': 'open' });
    // Counters and handles change by themselves: they are not part of the rules.
    const rules = facet.items['nft.inet.filter.chain.input.rules']?.value ?? '';
    expect(rules).not.toContain('counter');
    expect(rules).not.toContain('handle');
    expect(rules.split('\n')).toHaveLength(8);
  });

  it('the same ruleset without the corosync rule: 5405/udp closed', () => {
    expect(ports(parse('debian12-nft-no-corosync').items)['port.5405/udp']).toBe('closed');
  });

  it('iptables rules (iptables-nft): read from iptables-save, jumps followed, -s makes them restricted', () => {
    const facet = parse('debian12-iptables');
    expect(facet.items.firewall?.value).toBe('iptables');
    expect(facet.items['iptables.filter.INPUT']?.value).toBe('policy DROP');
    expect(facet.items['iptables.filter.CLUSTER.rules']?.value).toContain('--dport 5404:5406');
    expect(ports(facet.items)).toEqual({ 'port.5405/udp': 'restricted', 'port.2224/tcp': 'restricted', 'port.3121/tcp': 'restricted' });
  });

  it('no ruleset at all (this host): every port open', () => {
    const facet = parse('debian12-facets');
    expect(facet.items.firewall?.value).toBe('nftables');
    expect(ports(facet.items)).toEqual({ 'port.5405/udp': 'open', 'port.2224/tcp': 'open', 'port.3121/tcp': 'open' });
  });

  it('as a non-root user: the firewall is "unreadable" with the tools own words; the rest is kept', () => {
    const facet = parse('debian12-security-not-root');
    expect(facet.status).toBe('ok');
    expect(facet.items.firewall?.value).toBe('unreadable');
    expect(facet.meta?.firewall).toContain('Operation not permitted');
    expect(facet.items.selinux?.value).toBe('Disabled');
  });

  it('as a check: the node where corosync port is closed is critical (cluster-ports); equal rulesets give nothing', () => {
    const ha = parse('debian12-nft-ha');
    const report = check(
      [snap('a', { security: ha }), snap('b', { security: parse('debian12-nft-no-corosync') }), snap('c', { security: ha })],
      {
        rules: SHIPPED,
      },
    );
    const port = report.findings.find((f) => f.key === 'port.5405/udp');
    expect(port).toMatchObject({ severity: 'critical', outliers: ['b'], rule: 'cluster-ports' });
    expect(report.findings.map((f) => f.key).sort()).toEqual(['nft.inet.filter.chain.input.rules', 'port.5405/udp']);
    expect(check([snap('a', { security: ha }), snap('b', { security: ha })], { rules: SHIPPED }).findings).toEqual([]);
  });

  it('SELinux enforcing and AppArmor profiles (hand-made outputs of the same commands)', () => {
    const facet = parse('debian12-facets', {
      'security-selinux': handmade('handmade-getenforce-enforcing'),
      'security-apparmor': handmade('handmade-apparmor-enabled'),
      'security-apparmor-profiles': handmade('handmade-apparmor-profiles'),
    });
    expect(facet.items.selinux?.value).toBe('Enforcing');
    expect(facet.items.apparmor?.value).toBe('enabled');
    expect(facet.items['apparmor.profile./usr/sbin/cupsd']?.value).toBe('complain');
    expect(facet.items['apparmor.profile./usr/sbin/chronyd']?.value).toBe('enforce');
    // Not root and no sudo: AppArmor's state is still compared, the profiles are said to be unreadable.
    const notRoot = parse('debian12-facets', {
      'security-apparmor': handmade('handmade-apparmor-enabled'),
      'security-apparmor-profiles': failed(1, '/bin/cat: /sys/kernel/security/apparmor/profiles: Permission denied'),
    });
    expect(notRoot.items.apparmor?.value).toBe('enabled');
    expect(notRoot.meta?.apparmor_profiles).toContain('root-only');
    expect(Object.keys(notRoot.items).some((k) => k.startsWith('apparmor.profile.'))).toBe(false);
    // AppArmor off (this host): the missing profile list is no news.
    expect(parse('debian12-facets').meta?.apparmor_profiles).toBeUndefined();
  });
});

describe('security: the port walk', () => {
  const q = { port: 5405, protocol: 'udp' as const, name: 'corosync' };
  const base = (policy: 'accept' | 'drop', rules: EvalChain['rules']): EvalChain => ({
    hook: 'input',
    family: 'inet',
    priority: 0,
    policy,
    rules,
  });

  it('policy alone; an unconditional accept; a restricted accept before a drop policy; a second base chain that drops', () => {
    expect(evaluatePort(new Map(), ['inet'])).toBe('open');
    expect(evaluatePort(new Map([['t.in', base('drop', [])]]), ['inet'])).toBe('closed');
    expect(evaluatePort(new Map([['t.in', base('drop', [{ applies: 'yes', verdict: 'accept' }])]]), ['inet'])).toBe('open');
    expect(evaluatePort(new Map([['t.in', base('drop', [{ applies: 'maybe', verdict: 'accept' }])]]), ['inet'])).toBe('restricted');
    const twoChains = new Map([
      ['t.in', base('accept', [])],
      ['u.in', { ...base('drop', []), priority: 10 }],
    ]);
    expect(evaluatePort(twoChains, ['inet'])).toBe('closed');
  });

  it('iptables words: quotes, multiport ranges, lo and ESTABLISHED rules do not apply to a new peer connection', () => {
    expect(splitIptablesWords('-A INPUT -m comment --comment "a b" -j ACCEPT')).toEqual([
      '-A',
      'INPUT',
      '-m',
      'comment',
      '--comment',
      'a b',
      '-j',
      'ACCEPT',
    ]);
    expect(iptablesRuleFor(['-p', 'udp', '-m', 'multiport', '--dports', '2224,5404:5406', '-j', 'ACCEPT'], q, 'filter')).toEqual({
      applies: 'yes',
      verdict: 'accept',
    });
    expect(iptablesRuleFor(['-p', 'tcp', '--dport', '5405', '-j', 'ACCEPT'], q, 'filter').applies).toBe('no');
    expect(iptablesRuleFor(['-i', 'lo', '-j', 'ACCEPT'], q, 'filter').applies).toBe('no');
    expect(iptablesRuleFor(['-m', 'state', '--state', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'], q, 'filter').applies).toBe('no');
    expect(iptablesRuleFor(['!', '-p', 'udp', '-j', 'DROP'], q, 'filter').applies).toBe('no');
  });

  it('never throws on arbitrary nft JSON, iptables-save text or tool output', () => {
    const json = fc
      .jsonValue()
      .map((v) => JSON.stringify({ nftables: [v, { rule: { family: 'inet', table: 't', chain: 'c', expr: [v] } }] }));
    const words = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '*filter',
            ':INPUT DROP [0:0]',
            '-A INPUT',
            ' -p udp',
            ' --dport 5405',
            ' -j ACCEPT',
            ' -j X',
            '"',
            '!',
            '\n',
            'COMMIT\n',
          ),
          fc.string(),
        ),
        {
          maxLength: 30,
        },
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(json, fc.string()), words, fc.string(), (nft, ipt, other) => {
        const facet = securityCollector.parse(
          { 'security-selinux': ok(other), 'security-apparmor': ok(other), 'security-nft': ok(nft), 'security-iptables': ok(ipt) },
          DEFAULT_COLLECTOR_CONTEXT,
        );
        expect(isParserCrash(facet)).toBe(false);
        const iptOnly = securityCollector.parse(
          {
            'security-selinux': ok(other),
            'security-apparmor': ok(other),
            'security-nft': { exitCode: 127, stdout: '', stderr: 'not found', truncated: false },
            'security-iptables': ok(ipt),
          },
          DEFAULT_COLLECTOR_CONTEXT,
        );
        expect(isParserCrash(iptOnly)).toBe(false);
        expect(() => parseNftJson(nft)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
